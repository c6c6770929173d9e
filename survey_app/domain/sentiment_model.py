"""Linear models (sentiment, and one per theme) over words, word pairs and character n-grams, as plain JSON.

Trained offline by scripts/train_themes.py (pure Python, no numpy at run time); the weights file is read once, on
the first comment a process labels, so the answer page's cold start never pays for it. See docs/themes.md.
"""
from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Mapping

MODEL_FILE = Path(__file__).with_name("data") / "sentiment_model.json"
NEGATION_REACH = 3  # words after "tidak"/"not" that are read as denied
NGRAMS = (3, 4)
LEXICON_CLIP = 4.0


@lru_cache(maxsize=8192)
def _char_ngrams(word: str) -> dict[str, float]:
    """Character n-grams of a word with its stretched letters squeezed: typos and new spellings still share most."""
    padded = "^" + re.sub(r"(.)\1+", r"\1", word) + "$"
    return {"g:" + padded[start:start + size]: 1.0 for size in NGRAMS for start in range(len(padded) - size + 1)}


def features(tokens: list[str], boundaries: set[str], negators: set[str], contrasts: set[str],
             lexicon: float) -> dict[str, float]:
    """Named feature values of one comment: words (marked when denied or after a contrast), pairs, n-grams, and
    the word-list score, so the model learns how far to trust the lists."""
    found: dict[str, float] = {"bias": 1.0, "lex": max(-LEXICON_CLIP, min(LEXICON_CLIP, lexicon)) / 2}
    found["lex+" if lexicon >= 0.5 else "lex-" if lexicon <= -0.5 else "lex0"] = 1.0
    denied, after_contrast, previous = 0, False, ""
    for token in tokens:
        if token in boundaries:
            denied, previous = 0, ""
            continue
        if token in contrasts:
            after_contrast = True
        if token in negators:
            denied = NEGATION_REACH + 1
        mark = "n:" if denied else "c:" if after_contrast else "w:"
        found[mark + token] = 1.0
        if mark != "w:":
            found["w:" + token] = 1.0
        if previous:
            found["b:" + previous + "_" + token] = 1.0
        if token.isalpha():
            found.update(_char_ngrams(token))
        previous, denied = token, max(0, denied - 1)
    return found


def linear(weights: Mapping[str, float], found: Mapping[str, float]) -> float:
    return sum(weights.get(name, 0.0) * value for name, value in found.items())


def sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, value))))


@lru_cache(maxsize=1)
def model() -> dict:
    """{"polar", "neutral": weights, "neutral_threshold", "lexicon_decides", "themes": {theme: [threshold,
    weights]}}; read once per process."""
    return json.loads(MODEL_FILE.read_text(encoding="utf-8"))


def classify(found: Mapping[str, float], weights: Mapping | None = None) -> str:
    """The word lists decide when their score is clear; otherwise "neutral" when the neutral model is confident
    enough, else the polarity model's side. `weights` defaults to the shipped model."""
    weights = weights or model()
    lexicon = found.get("lex", 0.0) * 2
    if abs(lexicon) >= weights["lexicon_decides"]:
        return "positive" if lexicon > 0 else "negative"
    if sigmoid(linear(weights["neutral"], found)) > weights["neutral_threshold"]:
        return "neutral"
    return "positive" if linear(weights["polar"], found) >= 0 else "negative"


def model_themes(found: Mapping[str, float]) -> set[str]:
    """Themes whose model is confident past its threshold (each chosen by cross-validation when trained)."""
    return {theme for theme, (threshold, weights) in model().get("themes", {}).items()
            if sigmoid(linear(weights, found)) > threshold}
