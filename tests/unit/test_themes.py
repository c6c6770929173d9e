"""Comment themes and sentiment: clear cases, and accuracy on the hand-labelled sample in tests/data.

`python tests/unit/test_themes.py` prints the markdown accuracy table used in docs/themes.md.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from survey_app.domain.themes import THEME_LABELS, THEMES, is_complaint, sentiment, themes

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "labelled_comments.csv"


def load_sample() -> list[dict]:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["themes"] = set(filter(None, row["themes"].split("|")))
    return rows


def accuracy(rows: list[dict]) -> dict:
    """Precision, recall and F1 per theme, and the share of rows whose sentiment is right."""
    result = {}
    for theme in THEMES:
        predicted = [theme in themes(row["text"]) for row in rows]
        actual = [theme in row["themes"] for row in rows]
        tp = sum(p and a for p, a in zip(predicted, actual))
        precision = tp / max(1, sum(predicted))
        recall = tp / max(1, sum(actual))
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        result[theme] = {"precision": precision, "recall": recall, "f1": f1, "support": sum(actual)}
    result["sentiment"] = sum(sentiment(row["text"]) == row["sentiment"] for row in rows) / len(rows)
    for label in ("positive", "negative", "neutral"):  # recall per class: neutral is rare
        labelled = [row for row in rows if row["sentiment"] == label]
        result["sentiment_" + label] = sum(sentiment(row["text"]) == label for row in labelled) / max(1, len(labelled))
    return result


# --- clear cases ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Kualitas kainnya bagus sekali", ("product",)),
    ("The shoes are well made", ("product",)),
    ("Kasirnya ramah", ("service",)),
    ("The waiter was friendly", ("service",)),
    ("Admin lama balas chat", ("communication",)),
    ("They replied within minutes", ("communication",)),
    ("Paketnya belum sampai", ("delivery",)),
    ("The courier came on time", ("delivery",)),
    ("Harganya terjangkau", ("price",)),
    ("Too expensive", ("price",)),
    ("Aplikasinya sering eror", ("system",)),
    ("Checkout keeps failing on the website", ("system",)),
    ("mantap", ()),
    ("ok", ()),
])
def test_one_theme_in_each_language(text, expected):
    assert themes(text) == expected


def test_several_themes_come_in_themes_order():
    assert themes("Ongkir mahal, kurir lama, tapi barangnya bagus") == ("product", "delivery", "price")
    assert themes("App crashed at checkout and support never replied") == ("communication", "system")


def test_informal_spelling_slang_and_affixes():
    assert themes("pengirimannyaaa lamaaa bgttt") == ("delivery",)
    assert sentiment("BAGUSSS BANGETTT!!!") == "positive"
    assert themes("brg nya ori") == ("product",)
    assert themes("adminnya fast respon") == ("communication",)
    assert themes("dibalesnya lama") == ("communication",)
    assert sentiment("mengecewakan") == "negative"


def test_the_goods_as_subject_of_a_delivery_sentence_is_not_a_product_theme():
    assert themes("barang belum sampai") == ("delivery",)
    assert themes("barang bagus") == ("product",)


def test_shipping_cost_is_price_and_manners_follow_the_courier():
    assert themes("ongkirnya mahal") == ("price",)
    assert themes("The shipping fee is too high") == ("price",)
    assert themes("kurirnya tidak ramah") == ("delivery",)
    assert themes("admin ramah") == ("service",)


def test_sampai_sekarang_means_until_now():
    assert themes("sampai sekarang belum dibalas") == ("communication",)


@pytest.mark.parametrize("plain, negated", [
    ("bagus", "tidak bagus"),
    ("ramah", "kurang ramah"),
    ("good", "not good"),
    ("cepat", "gak cepat"),
    ("mahal", "gak mahal"),
    ("kecewa", "tidak mengecewakan"),
    ("bad", "not bad"),
])
def test_negation_flips_sentiment(plain, negated):
    assert {sentiment(plain), sentiment(negated)} == {"positive", "negative"}


def test_a_denied_event_is_negative():
    assert sentiment("paket belum sampai") == "negative"
    assert sentiment("the parcel never arrived") == "negative"
    assert sentiment("gak bisa login") == "negative"


def test_the_clause_after_but_decides():
    assert sentiment("Barang bagus tapi pengiriman lama") == "negative"
    assert sentiment("Pengiriman lama tapi barangnya bagus") == "positive"
    assert sentiment("Broke after a week, although delivery was fast") == "negative"


def test_neutral_comments():
    for text in ("ok", "biasa aja", "-", ""):
        assert sentiment(text) == "neutral", text


@pytest.mark.parametrize("text, expected", [
    ("tidak jelek", "positive"),
    ("gak bisa dibilang murah", "negative"),
    ("enak tapi porsinya kecil", "negative"),
    ("lamaaa bangettt", "negative"),
    ("👍", "positive"),
    ("😡", "negative"),
])
def test_the_examples_of_the_issue(text, expected):
    assert sentiment(text) == expected


def test_a_newline_ends_a_clause_like_a_full_stop():
    """The submit path joins several text answers with newlines."""
    assert sentiment("Tidak ada\nBarangnya mantap") == sentiment("Tidak ada. Barangnya mantap") == "positive"


def test_is_complaint_is_negative_sentiment():
    assert is_complaint("Pelayanannya jutek, kapok")
    assert is_complaint("Never got a reply")
    assert not is_complaint("Mantap, makasih")
    assert not is_complaint("ok")


def test_every_theme_has_labels_in_both_languages():
    assert set(THEME_LABELS) == set(THEMES)
    assert all(label.en and label.id for label in THEME_LABELS.values())


# --- the labelled sample --------------------------------------------------------------------

def test_the_sample_is_big_bilingual_enough_and_well_formed():
    rows = load_sample()
    assert len(rows) >= 220
    assert len({row["text"] for row in rows}) == len(rows)
    assert all(row["themes"] <= set(THEMES) for row in rows)
    assert {row["sentiment"] for row in rows} == {"positive", "negative", "neutral"}
    holdout = sum(row["split"] == "holdout" for row in rows)
    assert {row["split"] for row in rows} == {"tune", "holdout"} and 0.25 <= holdout / len(rows) <= 0.35


# Floors sit a few points under the measured numbers (docs/themes.md) so a regression fails,
# not an honest wording change. The holdout floors are lower: about 10 rows per theme there.
@pytest.mark.parametrize("split, min_precision, min_recall, min_f1, min_sentiment", [
    ("all", 0.85, 0.85, 0.88, 0.90),
    ("holdout", 0.80, 0.80, 0.85, 0.85),
])
def test_accuracy_on_the_labelled_sample(split, min_precision, min_recall, min_f1, min_sentiment):
    rows = [row for row in load_sample() if split == "all" or row["split"] == split]
    result = accuracy(rows)
    for theme in THEMES:
        assert result[theme]["precision"] >= min_precision, (theme, result[theme])
        assert result[theme]["recall"] >= min_recall, (theme, result[theme])
        assert result[theme]["f1"] >= min_f1, (theme, result[theme])
    assert result["sentiment"] >= min_sentiment


def report() -> str:
    """The markdown table in docs/themes.md."""
    rows = load_sample()
    parts = {"holdout": accuracy([r for r in rows if r["split"] == "holdout"]), "all": accuracy(rows)}
    lines = ["| Theme | Holdout P | Holdout R | Holdout F1 (n) | All P | All R | All F1 (n) |",
             "|---|---|---|---|---|---|---|"]
    for theme in THEMES:
        cells = [f"{m['precision']:.2f} | {m['recall']:.2f} | {m['f1']:.2f} ({m['support']})"
                 for m in (part[theme] for part in parts.values())]
        lines.append(f"| {theme} | " + " | ".join(cells) + " |")
    sizes = {split: sum(split == "all" or r["split"] == split for r in rows) for split in parts}
    lines.append("")
    lines.append(f"Sentiment accuracy: holdout {parts['holdout']['sentiment']:.2f} ({sizes['holdout']} comments), "
                 f"all {parts['all']['sentiment']:.2f} ({sizes['all']} comments).")
    for name, part in parts.items():
        recalls = ", ".join(f"{label} {part['sentiment_' + label]:.2f}"
                            for label in ("positive", "negative", "neutral"))
        lines.append(f"Sentiment recall per class, {name}: {recalls}.")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
