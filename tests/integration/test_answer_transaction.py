"""The answer transaction item by item: what one submit writes (response, comment, case, every aggregate and
segment counter), what an amend adds, history imports, and the owner's day in the other Indonesian zones
(Asia/Makassar UTC+8, Asia/Jayapura UTC+9) at local midnight: answers, comments and exports."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from survey_app.errors import AlreadyAnswered
from survey_app.services import amend_response, create_invitation, reconcile, submit_response
from survey_app.services.dashboard import Filters, filtered_comments
from survey_app.services.exports import export_csv
from survey_app.services.responses import PastAnswer, counters_for, import_history
from survey_app.store import segment_sk
from tests.factories import every_type_survey, make_survey

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)
AT = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)  # 00:00 on 1 December in Jayapura, 23:00 on 30 Nov in Makassar


def everything(store, survey) -> dict:
    return store.daily_counters(survey.id, "2000-01-01", "2999-12-31")


@MOTO
def test_a_detractor_with_a_comment_writes_response_comment_case_and_exact_counters(store):
    survey = make_survey(store)
    invitation = create_invitation(store, survey, customer_name="Rina", email="rina@example.com",
                                   properties={"store": "Makassar"}, now=AT - timedelta(days=1))
    response = submit_response(store, survey, {"nps": 3, "reason": "Kurir telat, barang rusak", "csat_product": ""},
                               language="id", submission_id="a" * 32, invitation=invitation, now=AT,
                               tz_name="Asia/Makassar", case_due_hours=24)
    assert (response.response_id, response.day, response.answers) == (
        invitation.token, "2026-11-30", {"nps": 3, "reason": "Kurir telat, barang rusak"})
    stored = store.get_response(survey.id, invitation.token)
    assert stored == response and stored.submission_id == "a" * 32 and stored.customer_name == "Rina"
    answered = store.get_invitation(invitation.token)
    assert (answered.answered_at, answered.state) == (AT.isoformat(), "answered")
    assert store.submission_of(invitation.token) == "a" * 32
    (comment,) = store.latest_comments(survey.id, 5)
    assert (comment.text, comment.score, comment.question_id, comment.customer_name) == (
        "Kurir telat, barang rusak", 3, "reason", "Rina")
    assert "delivery" in comment.themes and comment.sentiment == "negative"
    assert (comment.properties, comment.language, comment.submitted_at) == ({"store": "Makassar"}, "id", AT.isoformat())
    case = store.get_case(survey.id, invitation.token)
    assert (case.reason, case.score, case.email, case.due_at) == (
        "detractor", 3, "rina@example.com", (AT + timedelta(hours=24)).isoformat())
    day = everything(store, survey)["2026-11-30"]
    channel = invitation.channel
    expected = counters_for(survey, response) | {f"inv#{channel}#answered": 1}
    assert {k: v for k, v in day.items() if not k.startswith("inv#") or k.endswith("#answered")} == expected
    assert day["n"] == 1 and day["detractor"] == 1 and day["q#nps#sum"] == 3 and day["sentiment#negative"] == 1
    segments = {(value, c["n"]) for _, value, c in store.segment_counters(survey.id, "store", "2026-11-30",
                                                                          "2026-11-30")}
    assert segments == {("Makassar", 1)}
    assert "store" in store.segment_properties(survey.id) and "language" in store.segment_properties(survey.id)


@MOTO
@pytest.mark.parametrize("score, comment, reason", [(7, "Kurir telat, barang rusak parah", "complaint"),
                                                    (6, "", "detractor"), (7, "", None), (10, "Mantap", None)])
def test_a_case_opens_for_every_detractor_and_every_complaint_only(store, score, comment, reason):
    survey = make_survey(store)
    answers = {"nps": score} | ({"reason": comment} if comment else {})
    response = submit_response(store, survey, answers, language="id", submission_id="b" * 32, now=AT)
    case = store.case_or_none(survey.id, response.response_id)
    assert (case.reason if case else None) == reason


@MOTO
def test_a_second_submission_on_an_answered_link_is_refused_and_the_same_one_is_not_counted_twice(store):
    survey = make_survey(store)
    invitation = create_invitation(store, survey, customer_name="Budi", phone="+6281234567890", now=AT)
    submit_response(store, survey, {"nps": 9}, language="en", submission_id="c" * 32, invitation=invitation, now=AT)
    again = submit_response(store, survey, {"nps": 9}, language="en", submission_id="c" * 32,
                            invitation=invitation, now=AT + timedelta(seconds=3))
    assert again.response_id == invitation.token
    with pytest.raises(AlreadyAnswered):
        submit_response(store, survey, {"nps": 1}, language="en", submission_id="d" * 32, invitation=invitation)
    open_one = submit_response(store, survey, {"nps": 5}, language="en", submission_id="e" * 32, now=AT)
    assert open_one.response_id == "o" + "e" * 32 and open_one.channel == "open"
    submit_response(store, survey, {"nps": 5}, language="en", submission_id="e" * 32, now=AT)
    days = everything(store, survey)
    assert sum(d["n"] for d in days.values()) == 2 and sum(d.get("inv#open#answered", 0) for d in days.values()) == 1


@MOTO
def test_tell_us_more_adds_only_unanswered_questions_once_and_moves_the_counters(store):
    survey = make_survey(store)
    response = submit_response(store, survey, {"nps": 9}, language="en", submission_id="f" * 32, now=AT)
    assert store.case_or_none(survey.id, response.response_id) is None
    amended = amend_response(store, survey, response.response_id, "f" * 32,
                             {"nps": 0, "reason": "Kurir telat, barang rusak", "csat_delivery": 2, "csat_product": ""},
                             now=AT + timedelta(minutes=1))
    stored = store.get_response(survey.id, response.response_id)
    assert stored.answers == {"nps": 9, "reason": "Kurir telat, barang rusak", "csat_delivery": 2}
    assert stored.amended_at == (AT + timedelta(minutes=1)).isoformat() and amended.response_id == stored.response_id
    day = everything(store, survey)[response.day]
    assert (day["n"], day["promoter"], day["q#csat_delivery#sum"], day["q#csat_delivery#n"]) == (1, 1, 2, 1)
    assert "q#csat_delivery#top2" not in day and day["theme#delivery#promoter"] == 1
    assert store.get_case(survey.id, response.response_id).reason == "complaint"
    with pytest.raises(AlreadyAnswered):
        amend_response(store, survey, response.response_id, "f" * 32, {"csat_product": 5})
    with pytest.raises(AlreadyAnswered):
        amend_response(store, survey, response.response_id, "0" * 32, {"csat_product": 5})
    again = amend_response(store, survey, response.response_id, "f" * 32, {"csat_delivery": 2})
    assert again.answers == stored.answers and everything(store, survey)[response.day] == day


@MOTO
def test_an_amend_with_nothing_new_writes_nothing(store):
    survey = make_survey(store)
    response = submit_response(store, survey, {"nps": 4}, language="en", submission_id="9" * 32, now=AT)
    before = everything(store, survey)
    assert amend_response(store, survey, response.response_id, "9" * 32, {"nps": 10, "reason": ""}) == response
    assert store.get_response(survey.id, response.response_id).amended_at == ""
    assert everything(store, survey) == before


@MOTO
def test_history_import_counts_each_past_answer_once_on_its_local_day(store):
    survey = make_survey(store)
    past = [PastAnswer({"nps": 10, "reason": "Mantap"}, "id", AT, customer_name="Ani", properties={"store": "A"}),
            PastAnswer({"nps": 2}, "en", AT + timedelta(hours=1)),
            PastAnswer({"nps": 8}, "en", AT - timedelta(seconds=1))]
    assert import_history(store, survey, past, "Asia/Jayapura") == 3
    days = everything(store, survey)
    assert {d: (c["n"], c.get("promoter", 0), c.get("detractor", 0), c.get("passive", 0)) for d, c in days.items()} == {
        "2026-11-30": (1, 0, 0, 1), "2026-12-01": (2, 1, 1, 0)}
    assert [c.text for c in store.latest_comments(survey.id, 5)] == ["Mantap"]
    stored = sorted(store.iter_responses(survey.id), key=lambda r: r.submitted_at)
    assert [(r.customer_name, r.properties, r.channel, r.submission_id) for r in stored] == [
        ("", {}, "", ""), ("Ani", {"store": "A"}, "", ""), ("", {}, "", "")]
    assert all(r.response_id.startswith("h") and len(r.response_id) > 8 for r in stored)
    assert "store" in store.segment_properties(survey.id)


@MOTO
@pytest.mark.parametrize("zone, midnight", [("Asia/Jakarta", datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc)),
                                            ("Asia/Makassar", datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)),
                                            ("Asia/Jayapura", datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc))])
def test_an_answer_at_local_midnight_counts_on_the_owners_day(store, zone, midnight):
    """At the zone's own midnight (1 December begins) the answer is the new day's; a microsecond before, the old."""
    assert midnight == datetime(2026, 12, 1, tzinfo=ZoneInfo(zone))
    survey = make_survey(store)
    before = submit_response(store, survey, {"nps": 9}, language="id", submission_id="1" * 32,
                             now=midnight - timedelta(microseconds=1), tz_name=zone)
    at = submit_response(store, survey, {"nps": 3}, language="id", submission_id="2" * 32, now=midnight, tz_name=zone)
    assert (before.day, at.day) == ("2026-11-30", "2026-12-01")
    days = everything(store, survey)
    assert {day: (c["n"], c.get("promoter", 0), c.get("detractor", 0)) for day, c in days.items()} == {
        "2026-11-30": (1, 1, 0), "2026-12-01": (1, 0, 1)}


@MOTO
@pytest.mark.parametrize("zone", ["Asia/Makassar", "Asia/Jayapura"])
def test_comments_and_exports_at_local_midnight_belong_to_the_day_that_starts(store, zone):
    """One comment a microsecond before the owner's midnight, one exactly at it: each shows on its own day only."""
    survey = make_survey(store)
    local_midnight = datetime(2026, 12, 1, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)
    for moment, text in ((local_midnight - timedelta(microseconds=1), "sebelum"), (local_midnight, "tengah malam")):
        submit_response(store, survey, {"nps": 9, "reason": text}, language="id", submission_id=text.encode().hex()[:32]
                        .ljust(32, "0"), now=moment, tz_name=zone)
    for day, expected in (("2026-11-30", "sebelum"), ("2026-12-01", "tengah malam")):
        filters = Filters(day, day)
        assert [c.text for c in filtered_comments(store, survey, filters, zone, 10)] == [expected], day
        exported = "".join(export_csv(store, survey, filters, [], tz_name=zone))
        assert expected in exported and ({"sebelum", "tengah malam"} - {expected}).pop() not in exported, day


@MOTO
def test_reconcile_names_each_drifted_counter_and_fix_makes_the_aggregates_equal_the_recount(store):
    survey = make_survey(store)
    for submission, score in (("2" * 32, 10), ("3" * 32, 4)):
        invitation = create_invitation(store, survey, customer_name="Ani", phone="+6281234567890",
                                       properties={"store": "Solo"}, now=AT)
        submit_response(store, survey, {"nps": score}, language="id", submission_id=submission,
                        invitation=invitation, now=AT)
    day = "2026-11-30"
    exact = dict(store.aggregate_items(survey.id))
    assert exact[f"DAY#{day}"]["n"] == 2 and exact[segment_sk("store", day, "Solo")]["promoter"] == 1
    assert reconcile(store, survey).clean
    store.add_counters(survey.id, f"DAY#{day}", {"n": 1, "promoter": -1, "inv#whatsapp#sent": 5})
    store.add_counters(survey.id, segment_sk("store", day, "Solo"), {"detractor": 2})
    drift = reconcile(store, survey)
    assert drift.items == {f"DAY#{day}": {"n": (3, 2), "promoter": (0, 1)},
                           segment_sk("store", day, "Solo"): {"detractor": (3, 1)}} and drift.responses == 2
    reconcile(store, survey, fix=True)
    assert reconcile(store, survey).clean
    fixed = dict(store.aggregate_items(survey.id))
    assert fixed[f"DAY#{day}"] == exact[f"DAY#{day}"] | {"inv#whatsapp#sent": 5, "promoter": 1}
    assert fixed[segment_sk("store", day, "Solo")] == exact[segment_sk("store", day, "Solo")]


@MOTO
def test_an_amend_that_changes_the_comments_sentiment_moves_it_and_reconciles(store):
    """Counters the first answer had and the amended one no longer has (a sentiment, a theme) are taken back."""
    survey = every_type_survey(store)
    response = submit_response(store, survey, {"nps": 8, "city": "Makassar"}, language="id",
                               submission_id="4" * 32, now=AT)
    first = everything(store, survey)[response.day]
    assert first["sentiment#neutral"] == 1
    amend_response(store, survey, response.response_id, "4" * 32, {"reason": "Kurir telat, barang rusak parah"},
                   now=AT + timedelta(minutes=1))
    day = everything(store, survey)[response.day]
    assert day.get("sentiment#neutral", 0) == 0 and day["sentiment#negative"] == 1 and day["n"] == 1
    assert reconcile(store, survey).clean


@MOTO
def test_tell_us_more_on_a_detractors_case_adds_the_comment_to_that_case(store):
    survey = make_survey(store)
    invitation = create_invitation(store, survey, customer_name="Sari", email="sari@example.com", now=AT)
    submit_response(store, survey, {"nps": 2}, language="id", submission_id="5" * 32, invitation=invitation, now=AT)
    opened = store.get_case(survey.id, invitation.token)
    assert (opened.reason, opened.comment) == ("detractor", "")
    amend_response(store, survey, invitation.token, "5" * 32, {"reason": "Barang rusak"},
                   now=AT + timedelta(hours=1), case_due_hours=1)
    case = store.get_case(survey.id, invitation.token)
    assert (case.reason, case.comment, case.created_at, case.due_at) == (
        "detractor", "Barang rusak", opened.created_at, opened.due_at)


@MOTO
def test_tell_us_more_with_a_complaint_opens_a_case_with_the_customers_contact(store):
    survey = make_survey(store)
    invitation = create_invitation(store, survey, customer_name="Sari", email="sari@example.com", now=AT)
    submit_response(store, survey, {"nps": 9}, language="id", submission_id="6" * 32, invitation=invitation, now=AT)
    assert store.case_or_none(survey.id, invitation.token) is None
    amend_response(store, survey, invitation.token, "6" * 32, {"reason": "Kurir telat, barang rusak parah"},
                   now=AT + timedelta(hours=2))
    case = store.get_case(survey.id, invitation.token)
    assert (case.reason, case.email, case.customer_name, case.due_at) == (
        "complaint", "sari@example.com", "Sari", (AT + timedelta(hours=48)).isoformat())


@MOTO
def test_amend_refusals_say_why(store):
    survey = make_survey(store)
    response = submit_response(store, survey, {"nps": 9}, language="id", submission_id="7" * 32, now=AT)
    with pytest.raises(AlreadyAnswered, match="^not this submission$"):
        amend_response(store, survey, response.response_id, "8" * 32, {"reason": "x"})
    amend_response(store, survey, response.response_id, "7" * 32, {"reason": "Mantap"})
    with pytest.raises(AlreadyAnswered, match="^already added to$"):
        amend_response(store, survey, response.response_id, "7" * 32, {"reason": "lain"})
    assert amend_response(store, survey, response.response_id, "7" * 32, {"reason": "Mantap", "city": ""}).answers[
        "reason"] == "Mantap"


@MOTO
def test_latest_comments_are_newest_first_and_exactly_as_many_as_asked(store):
    survey = make_survey(store)
    for minute, text in enumerate(["pertama", "kedua", "ketiga"]):
        submit_response(store, survey, {"nps": 9, "reason": text}, language="id",
                        submission_id=f"{minute:032d}", now=AT + timedelta(minutes=minute))
    assert [c.text for c in store.latest_comments(survey.id, 1)] == ["ketiga"]
    assert [c.text for c in store.latest_comments(survey.id, 2)] == ["ketiga", "kedua"]
    assert [c.text for c in store.latest_comments(survey.id, 9)] == ["ketiga", "kedua", "pertama"]
    assert store.latest_comments(survey.id, 0) == [] and {c.survey_id for c in store.latest_comments(survey.id, 3)} == {
        survey.id}
    assert not store.response_exists(survey.id, "o" + "f" * 32) and store.response_exists(survey.id, "o" + "0" * 32)


@MOTO
def test_comments_keep_their_score_and_labels_from_an_amend_and_from_history(store):
    survey = make_survey(store)
    response = submit_response(store, survey, {"nps": 4}, language="id", submission_id="a1" * 16, now=AT)
    amend_response(store, survey, response.response_id, "a1" * 16, {"reason": "Kurir telat sekali"})
    import_history(store, survey, [PastAnswer({"nps": 10, "reason": "Harga murah"}, "id", AT - timedelta(days=1))],
                   "Asia/Jakarta")
    comments = {c.text: c for c in store.latest_comments(survey.id, 5)}
    assert (comments["Kurir telat sekali"].score, comments["Harga murah"].score) == (4, 10)
    assert "delivery" in comments["Kurir telat sekali"].themes and "price" in comments["Harga murah"].themes


@MOTO
def test_an_amend_that_loses_its_race_to_the_same_amend_succeeds_and_to_another_is_refused(store, monkeypatch):
    """Two 'tell us more' posts of one browser at once: the store refuses the second writer; the service then
    reads what was stored and thanks it only if it holds the same answers."""
    survey = make_survey(store)
    real = store.amend_response

    def won_by(extra_of_the_winner):
        def racing(response, extra, *args, **kwargs):
            real(response, extra_of_the_winner or extra, *args, **kwargs)
            raise AlreadyAnswered("the condition on amended_at failed")
        return racing

    same = submit_response(store, survey, {"nps": 9}, language="id", submission_id="b1" * 16, now=AT)
    monkeypatch.setattr(store, "amend_response", won_by(None))
    result = amend_response(store, survey, same.response_id, "b1" * 16, {"reason": "Mantap"})
    assert result.answers == {"nps": 9, "reason": "Mantap"} and result.amended_at
    other = submit_response(store, survey, {"nps": 9}, language="id", submission_id="b2" * 16, now=AT)
    monkeypatch.setattr(store, "amend_response", won_by({"reason": "Lain"}))
    with pytest.raises(AlreadyAnswered):
        amend_response(store, survey, other.response_id, "b2" * 16, {"reason": "Mantap"})


@MOTO
def test_delivery_events_are_added_to_their_day(store):
    survey = make_survey(store)
    store.add_day_counters(survey.id, "2026-11-30", {"inv#email#sent": 2, "inv#email#failed": 1})
    store.add_day_counters(survey.id, "2026-11-30", {"inv#email#sent": 1})
    assert everything(store, survey) == {"2026-11-30": {"inv#email#sent": 3, "inv#email#failed": 1}}


@MOTO
def test_a_case_carries_what_the_owner_needs_to_call_back(store):
    survey = every_type_survey(store)
    invitation = create_invitation(store, survey, customer_name="Dewi", phone="+6281234567890",
                                   properties={"store": "Jayapura"}, now=AT)
    submit_response(store, survey, {"nps": 1, "reason": "Barang rusak", "city": "Jayapura"}, language="en",
                    submission_id="c1" * 16, invitation=invitation, now=AT)
    case = store.get_case(survey.id, invitation.token)
    assert (case.phone, case.email, case.language, case.properties, case.customer_name, case.comment) == (
        "+6281234567890", "", "en", {"store": "Jayapura"}, "Dewi", "Barang rusak\nJayapura")
    open_case = submit_response(store, survey, {"nps": 0}, language="id", submission_id="c2" * 16, now=AT)
    assert (store.get_case(survey.id, open_case.response_id).phone, store.get_case(
        survey.id, open_case.response_id).comment) == ("", "")
