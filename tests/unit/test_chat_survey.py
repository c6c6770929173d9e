"""Reading what a customer typed in the chat: scores, choices, free text, and the question that comes next."""
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from survey_app.domain.chat_survey import (askable, choice_values, is_chat_submission, next_question, parse_number,
                                           read_answer, short_title, submission_id, within_window)
from survey_app.domain.models import MULTI, SINGLE, Option, Question, Survey, Text
from survey_app.domain.templates import TEMPLATES
from survey_app.i18n import catalog


@pytest.mark.parametrize("text, score", [
    ("9", 9), (" 9 ", 9), ("10/10", 10), ("9 / 10", 9), ("8 dari 10", 8), ("0", 0), ("sembilan", 9),
    ("Sepuluh", 10), ("nol", 0), ("ten", 10), ("9\ufe0f\u20e3", 9), ("\U0001f51f", 10), ("nilai 7", 7), ("7!", 7),
])
def test_a_reply_that_is_only_a_score_reads_as_that_score(text, score):
    assert parse_number(text, 0, 10) == score


@pytest.mark.parametrize("text", ["11", "-1", "9/5", "8,5", "9 karena cepat", "halo", "", "sebelas", "99",
                                  "9 10", "berhenti"])
def test_anything_but_a_score_on_the_scale_is_not_a_score(text):
    assert parse_number(text, 0, 10) is None


def test_a_rating_outside_its_own_scale_is_refused():
    assert parse_number("6", 1, 5) is None
    assert parse_number("5/5", 1, 5) == 5


def test_the_same_provider_message_always_gives_the_same_short_submission_id():
    wamid = "wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBDNzNFQkI0RkE5NjY1MDZEAA=="
    first = submission_id("tok1", wamid)
    assert first == submission_id("tok1", wamid) and len(first) <= 36
    assert first != submission_id("tok1", "wamid.other") and first != submission_id("tok2", wamid)
    assert is_chat_submission(first) and not is_chat_submission("0f" * 16)


def _post_purchase() -> Survey:
    spec = TEMPLATES["post_purchase_nps"]
    return Survey("s1", spec["title"], spec["intro"], spec["questions"])


def test_follow_ups_come_in_the_survey_order_after_the_score_and_end():
    survey = _post_purchase()
    asked = [next_question(survey, "nps").id]
    while (following := next_question(survey, asked[-1])) is not None:
        asked.append(following.id)
    assert asked == ["reason", "csat_product", "csat_delivery"]


def test_a_reason_is_any_typed_text_and_never_a_tapped_choice():
    reason = _post_purchase().question("reason")
    assert read_answer(reason, "text", "  Pengiriman cepat ", "", {}) == "Pengiriman cepat"
    assert read_answer(reason, "list_reply", "5", "csat_product:5", {}) is None
    assert read_answer(reason, "text", "   ", "", {}) is None


def test_a_rating_is_a_tapped_row_of_that_question_its_number_or_its_title():
    csat = _post_purchase().question("csat_product")
    titles = {"5": "5 - Sangat puas"}
    assert read_answer(csat, "list_reply", "5 - Sangat puas", "csat_product:4", titles) == 4
    assert read_answer(csat, "text", "lima", "", titles) == 5
    assert read_answer(csat, "text", "5 - sangat puas", "", titles) == 5
    assert read_answer(csat, "list_reply", "", "csat_delivery:4", titles) is None  # another question's row
    assert read_answer(csat, "list_reply", "", "csat_product:9", titles) is None
    assert read_answer(csat, "text", "lumayan", "", titles) is None


def test_free_messages_are_allowed_for_24_hours_after_the_customer_wrote():
    wrote = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
    assert within_window(wrote.isoformat(), wrote + timedelta(hours=23, minutes=59))
    assert not within_window(wrote.isoformat(), wrote + timedelta(hours=24))


def test_titles_longer_than_whatsapp_allows_are_cut_at_a_word():
    assert short_title("1 - Sangat tidak puas sekali dengan produk") == "1 - Sangat tidak puas…"
    assert len(short_title("x" * 40)) == 24
    assert short_title(Text("Yes", "Ya").get("id")) == "Ya"


def test_a_retired_question_or_option_is_never_asked_in_the_chat():
    survey = _post_purchase()
    retired = replace(survey, questions=tuple(replace(q, retired=True) if q.id == "reason" else q
                                              for q in survey.questions))
    assert next_question(retired, "nps").id == "csat_product"
    choice = Question("resolved", SINGLE, Text("Resolved?", "Selesai?"), options=(
        Option("yes", Text("Yes", "Ya")), Option("old", Text("Old", "Lama"), retired=True)))
    assert choice_values(choice) == ["yes"]


def test_the_templates_doc_quotes_every_chat_message_as_it_is_sent():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "whatsapp-templates.md").read_text(encoding="utf-8")
    section = doc.split("## The chat survey's own messages\n", 1)[1].split("\n## ", 1)[0]
    for lang in ("id", "en"):
        for key in ("chat_thanks", "chat_already_answered", "chat_reask_text", "chat_reask_choice"):
            assert f"`{catalog(lang)[key]}`" in section, (lang, key)
        assert f'"{catalog(lang)["chat_choose"]}"' in section, lang


def _choice(count: int, qtype: str = SINGLE) -> Question:
    return Question("pick", qtype, Text("Pick", "Pilih"),
                    options=tuple(Option(f"o{i}", Text(f"O{i}", f"O{i}")) for i in range(count)))


def test_only_text_ratings_and_single_choices_of_one_to_ten_options_are_asked_in_the_chat():
    survey = _post_purchase()
    assert [q.id for q in survey.questions if askable(q)] == ["reason", "csat_product", "csat_delivery"]
    assert askable(_choice(1)) and askable(_choice(10))
    assert not askable(_choice(0)) and not askable(_choice(11)) and not askable(_choice(3, MULTI))


def test_a_rating_offers_exactly_its_scale():
    ces = TEMPLATES["customer_effort"]["questions"][0]
    assert choice_values(ces) == ["1", "2", "3", "4", "5", "6", "7"]
    assert choice_values(_post_purchase().question("csat_product")) == ["1", "2", "3", "4", "5"]


def test_a_tapped_choice_is_its_value_and_a_row_of_another_question_is_not():
    choice = _choice(3)
    assert read_answer(choice, "button_reply", "O1", "pick:o1", {}) == "o1"
    assert read_answer(choice, "text", "o1", "", {"o1": "O1"}) == "o1"
    csat = _post_purchase().question("csat_product")
    assert read_answer(csat, "list_reply", "4", "csat_producX:4", {}) is None  # same length, other prefix
    assert read_answer(csat, "text", "XXXX", "", {}) is None


def test_a_submission_id_is_wa_and_32_hex_digits():
    assert re.fullmatch(r"wa-[0-9a-f]{32}", submission_id("tok", "wamid.1"))


def test_short_titles_keep_whole_words_and_never_pass_the_limit():
    assert short_title("x" * 24) == "x" * 24
    assert short_title("abc  defgh ijklmnopqrstuvwxyz") == "abc  defgh…"
    assert short_title("Sangat\ttidak puas sekali dengan produk") == "Sangat\ttidak puas…"
    assert short_title("Sangat puas", 6) == "Sanga…"  # one word longer than the limit: cut inside it
