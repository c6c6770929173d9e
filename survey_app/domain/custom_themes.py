"""The business's own themes and what its corrections taught: labels that speak its words, not only ours.

An owner theme is a name (id, en) and example words or phrases; a comment has it when one of them occurs, matched
on the same listed forms as the shipped themes (stretched letters, slang, affixes). A correction of a comment's
sentiment nudges the business's own word weights, added to the shipped model's, so the next comment that
uses those words leans the way the owner said. Both stay in the business's own table: nothing leaves it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from . import sentiment_model
from .models import Text
from .themes import THEMES, comment_features, normalised_words, sentiment, themes, word_forms

THEME_ID = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
LEARNING_STEP = 1.5  # added to a word's own weight per correction that disagreed with the model
OWN_WEIGHTS_MAX = 3000  # a business's own weights kept (largest first): the item stays far below 400 KB
LEARNT_FEATURES = ("w:", "n:", "c:", "b:")  # words and word pairs; character n-grams are too general to learn from


@dataclass(frozen=True)
class OwnerTheme:
    """A theme the owner defined; `examples` are words or phrases, each matched whole."""

    id: str
    label: Text
    examples: tuple[str, ...]
    retired: bool = False
    updated_at: str = ""

    def phrases(self) -> list[tuple[str, ...]]:
        return [tuple(normalised_words(example)) for example in self.examples if normalised_words(example)]


@dataclass(frozen=True)
class Vocabulary:
    """What a business's labels use beside the shipped model: its live themes and its own sentiment weights."""

    themes: tuple[OwnerTheme, ...] = ()
    weights: Mapping[str, float] = field(default_factory=dict)

    @property
    def live(self) -> tuple[OwnerTheme, ...]:
        return tuple(t for t in self.themes if not t.retired)


def valid_theme_id(theme_id: str) -> bool:
    return bool(THEME_ID.match(theme_id)) and theme_id not in THEMES


def owner_themes(text: str, owned: Iterable[OwnerTheme]) -> tuple[str, ...]:
    """Ids of the owner themes one of whose example phrases occurs in the text, word for word (a word also
    matches through its affixes: "suasananya" has "suasana")."""
    owned = tuple(owned)
    if not owned:
        return ()
    forms = [word_forms(word) for word in normalised_words(text)]
    return tuple(theme.id for theme in owned if any(_contains(forms, phrase) for phrase in theme.phrases()))


def _contains(forms: list[set[str]], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(all(word in forms[i + k] for k, word in enumerate(phrase)) for i in range(len(forms) - size + 1))


def label(text: str, vocabulary: Vocabulary | None = None) -> dict[str, object]:
    """Themes (shipped, then the owner's) and sentiment of one comment, with the business's own weights."""
    vocabulary = vocabulary or Vocabulary()
    found = themes(text) + owner_themes(text, vocabulary.live)
    if not vocabulary.weights:
        return {"themes": found, "sentiment": sentiment(text)}
    features = comment_features(text)
    if not vocabulary.weights.keys() & features.keys():
        return {"themes": found, "sentiment": sentiment(text)}
    # the business taught something about these words: its weights count, even where the word lists are sure
    shipped = sentiment_model.model()
    weights = shipped | {"polar": _Sum(shipped["polar"], vocabulary.weights), "lexicon_decides": float("inf")}
    return {"themes": found, "sentiment": sentiment_model.classify(features, weights)}


class _Sum:
    """The shipped weights plus the business's own, read without copying the shipped ones."""

    def __init__(self, shipped: Mapping[str, float], own: Mapping[str, float]):
        self.shipped, self.own = shipped, own

    def get(self, name: str, default: float = 0.0) -> float:
        return self.shipped.get(name, default) + self.own.get(name, 0.0)


def learn(weights: Mapping[str, float], text: str, said: str, model_said: str) -> dict[str, float]:
    """The business's weights after the owner said `said` where the model said `model_said`: the comment's words
    move toward the owner's side (a perceptron step), so the same words lean that way next time."""
    if said == model_said or said not in ("positive", "negative"):
        return dict(weights)
    step = LEARNING_STEP if said == "positive" else -LEARNING_STEP
    updated = dict(weights)
    for name in comment_features(text):
        if name.startswith(LEARNT_FEATURES):
            updated[name] = round(updated.get(name, 0.0) + step, 3)
    kept = sorted(updated.items(), key=lambda item: -abs(item[1]))[:OWN_WEIGHTS_MAX]
    return {name: weight for name, weight in kept if weight}
