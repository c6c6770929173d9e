"""What a chat reply means and why a message failed: stop requests only when the whole message asks to stop (in
Indonesian or English, any case and punctuation, or the Stop button's payload); Meta's error codes in groups."""
import pytest

from survey_app.domain.chat_rules import failure_counts, failure_group, stop_language


@pytest.mark.parametrize("text, language", [("berhenti", "id"), ("Berhenti.", "id"), ("JANGAN KIRIM LAGI!", "id"),
                                            ("stop promosi", "id"), ("STOP", "en"), ("Unsubscribe", "en"),
                                            ("unsub", "en")])
def test_a_message_that_only_asks_to_stop_is_a_stop_request_in_its_language(text, language):
    assert stop_language("text", text, "") == language


@pytest.mark.parametrize("text", ["jangan berhenti jualan ya, mantap!", "stop by tomorrow?", "9", "",
                                  "kapan barangnya dikirim? stop"])
def test_a_message_that_mentions_stopping_among_other_words_is_not(text):
    assert stop_language("text", text, "") is None


def test_the_stop_buttons_payload_is_a_stop_request_and_other_buttons_are_not():
    assert stop_language("button", "Berhenti", "STOP") == ""
    assert stop_language("button", "Isi survei", "SURVEY") is None
    assert stop_language("list_reply", "stop", "stop") is None


def test_failure_codes_fall_in_the_groups_an_owner_acts_on_and_are_counted_most_frequent_first():
    assert [failure_group(c) for c in (131026, 132015, 132016, 131049, 131047, 130472, 131056, None, 999)] == [
        "not_on_whatsapp", "template_paused", "template_paused", "marketing_limit", "outside_window", "experiment",
        "rate_limit", "other", "other"]
    assert failure_counts({"wafail#rate_limit": 1, "wafail#not_on_whatsapp": 4, "inv#whatsapp#sent": 9,
                           "wafail#other": 0}) == [("not_on_whatsapp", 4), ("rate_limit", 1)]
