"""The business's own themes and what its corrections teach, without a store."""
from __future__ import annotations

from survey_app.domain.custom_themes import (OWN_WEIGHTS_MAX, OwnerTheme, Vocabulary, label, learn, owner_themes,
                                             valid_theme_id)
from survey_app.domain.models import Text

CAFE = (OwnerTheme("suasana", Text("Ambience", "Suasana"), ("suasana", "tempat duduk")),
        OwnerTheme("wifi", Text("Wi-Fi", "Wi-Fi"), ("wifi", "internet")),
        OwnerTheme("parkir", Text("Parking", "Parkir"), ("parkir",), retired=True))


def test_an_owner_theme_matches_its_words_through_affixes_stretching_and_case():
    assert owner_themes("Suasananya adem, WIFIII lemot", CAFE) == ("suasana", "wifi")
    assert owner_themes("tempat duduknya nyaman", CAFE) == ("suasana",)


def test_a_phrase_matches_only_word_for_word_in_order():
    assert owner_themes("duduk di tempat lain", CAFE) == ()
    assert owner_themes("wifinya", CAFE) == ("wifi",)
    assert owner_themes("swifi", CAFE) == ()  # a word inside another word is not that word


def test_labels_come_shipped_themes_first_then_the_owners_and_retired_themes_never():
    vocabulary = Vocabulary(CAFE)
    assert label("kopinya enak, wifi kencang, parkir luas", vocabulary)["themes"] == ("product", "wifi")


def test_theme_ids_are_short_plain_and_not_a_shipped_theme():
    assert valid_theme_id("wifi") and valid_theme_id("tempat_duduk")
    assert not valid_theme_id("delivery") and not valid_theme_id("Wi Fi") and not valid_theme_id("x")


def test_a_correction_teaches_the_words_of_the_comment_so_the_same_words_lean_that_way():
    text = "rasanya nendang parah"  # local slang: "nendang parah" is high praise; the lists read "parah" as bad
    assert label(text)["sentiment"] == "negative"
    weights = learn({}, text, "positive", "negative")
    assert label(text, Vocabulary(weights=weights))["sentiment"] == "positive"
    assert label("nendang parah!!", Vocabulary(weights=weights))["sentiment"] == "positive"


def test_an_agreeing_or_neutral_correction_teaches_nothing():
    assert learn({"w:x": 1.0}, "bagus", "positive", "positive") == {"w:x": 1.0}
    assert learn({}, "bagus", "neutral", "positive") == {}


def test_own_weights_stay_bounded():
    weights = {f"w:word{i}": 0.01 for i in range(OWN_WEIGHTS_MAX)}
    learnt = learn(weights, "pelayanan lambat sekali", "positive", "negative")
    assert len(learnt) == OWN_WEIGHTS_MAX and learnt["w:lambat"] > 0
