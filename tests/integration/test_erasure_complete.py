"""Erasure that is complete, on moto and DynamoDB Local: found through the contact index however old the data (the
invitation deleted as TTL would), every item scanned afterwards holds none of the customer's data, the audit is
written first and keyed, aggregates stay, and other customers are untouched."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

from survey_app.background import owner_jobs
from survey_app.domain.conversation import InboundMessage
from survey_app.domain.jobs import DONE
from survey_app.services import create_invitation, submit_response, update_case
from survey_app.services.conversations import ChatSettings, handle_inbound
from survey_app.services.privacy import Erasure, audit_erasure
from survey_app.store.suppressions import UNDELIVERABLE
from survey_app.web.answer.forms import new_submission_id
from tests.factories import make_survey

PHONE, EMAIL, NAME, COMMENT, NOTE = "+6281234567890", "rina.wati@example.com", "Rina Wati", "barang rusak parah", \
    "Rina minta ditelepon sore"
WROTE = "halo, paket saya belum sampai"  # to the WhatsApp number, about no invitation: it waits in the inbox
# the real clock's hour: inbound messages' index entries and claims carry a TTL 90 days after it, and DynamoDB Local
# deletes items whose TTL has passed (AWS too), so a fixed past date would rot
NOW = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
OLD = (NOW - timedelta(days=30, hours=4)).isoformat()  # a message kept a month ago


def before_now(minutes: int) -> str:
    """When an inbound message arrived, as the webhook records it."""
    return (NOW - timedelta(minutes=minutes)).isoformat()


def every_item(store) -> list[str]:
    """The whole table, one JSON text per item (a test may scan; the app never does)."""
    items, kwargs = [], {}
    while True:
        page = store.client.scan(TableName=store.table_name, **kwargs)
        items += [json.dumps(item, ensure_ascii=False) for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def answered_by(store, survey, name, phone, email, comment, order_ref):
    invitation = create_invitation(store, survey, customer_name=name, phone=phone, email=email, order_ref=order_ref)
    submit_response(store, survey, {"nps": 2, "reason": comment}, language="id",
                    submission_id=new_submission_id(), invitation=invitation)
    return invitation


def test_erasing_an_expired_customer_leaves_none_of_their_data_in_any_item(app, store):
    survey = make_survey(store)
    rina = answered_by(store, survey, NAME, PHONE, EMAIL, COMMENT, "SHP-0001")
    case = store.get_case(survey.id, rina.token)
    update_case(store, case, status="contacted", assignee="cs@example.test", note=NOTE, author="cs@example.test")
    store.add_thread_entry(survey.id, rina.token, {"at": "2026-12-01T10:00:00", "message_id": "wamid.1",
                                                   "direction": "in", "text": f"{NAME}: {COMMENT}", "author": PHONE},
                           alert=True)
    other = answered_by(store, survey, "Budi Santoso", "+6281299990000", "budi@example.com", "lambat", "SHP-0002")
    wrote = InboundMessage("wamid.inbox1", PHONE, before_now(60), "text", WROTE, profile_name=NAME)
    assert handle_inbound(store, wrote, lambda message: "unused", ChatSettings(), NOW) == "kept_in_inbox"
    bounce = f"smtp; 550 5.1.1 <{EMAIL}>: Recipient address rejected: User unknown"  # SES's diagnosticCode quotes it
    day_ahead = int(NOW.timestamp()) + 86400  # the SNS message's record, kept as long as SNS may redeliver it
    assert store.record_email_feedback("sns-1", day_ahead, NOW.isoformat(), [(EMAIL, UNDELIVERABLE, bounce)], {})
    store.client.delete_item(TableName=store.table_name, Key={"pk": {"S": f"INV#{rina.token}"}, "sk": {"S": "INV"}})
    before = store.daily_counters(survey.id, "2000-01-01", "2999-12-31")
    assert any(PHONE in item for item in every_item(store))  # the data is there to be found

    with app.app_context():
        job = owner_jobs().start_erasure("dpo@example.test", phone="0812-3456-7890")

    assert job.state == DONE and job.result == {"invitations": 0, "responses": 1, "cases": 1, "deliveries": 0, "messages": 2}
    leftovers = [item for item in every_item(store)
                 if any(secret in item for secret in (PHONE, PHONE[1:], EMAIL, NAME, COMMENT, NOTE, WROTE, "SHP-0001"))]
    assert leftovers == []
    assert store.inbox() == []
    assert store.is_opted_out(EMAIL) and not store.is_opted_out(PHONE)  # the bounce still holds, as a keyed hash
    assert store.claim_contact(EMAIL, "a-new-invitation", NOW.isoformat(), NOW.isoformat()) == "opted_out"
    assert store.daily_counters(survey.id, "2000-01-01", "2999-12-31") == before  # the aggregates stay
    assert store.get_response(survey.id, rina.token).answers == {"nps": 2}  # the anonymous score stays
    assert store.get_case(survey.id, other.token).comment == "lambat"
    assert store.get_invitation(other.token).phone == "+6281299990000"


def test_erasure_by_email_also_drops_the_phone_of_the_same_invitation_and_a_second_one_finds_nothing(app, store):
    survey = make_survey(store)
    rina = answered_by(store, survey, NAME, PHONE, EMAIL, COMMENT, "SHP-0003")
    wrote = InboundMessage("wamid.inbox2", PHONE, before_now(55), "text", WROTE, profile_name=NAME)
    assert handle_inbound(store, wrote, lambda message: "unused", ChatSettings(), NOW) == "kept_in_inbox"
    with app.app_context():
        job = owner_jobs().start_erasure("dpo@example.test", email=EMAIL.upper())
    assert job.result == {"invitations": 1, "responses": 1, "cases": 1, "deliveries": 0, "messages": 1}
    assert store.get_invitation(rina.token).phone == "" and store.inbox() == []  # what the phone wrote went too
    assert store.holdings(PHONE, 10) == [] and store.holdings(EMAIL, 10) == []
    with app.app_context():
        again = owner_jobs().start_erasure("dpo@example.test", phone=PHONE)
    assert again.result == {"invitations": 0, "responses": 0, "cases": 0, "deliveries": 0, "messages": 0}


def test_the_audit_is_written_before_anything_is_erased_and_holds_keyed_hashes_only(app, store):
    survey = make_survey(store)
    answered_by(store, survey, NAME, PHONE, EMAIL, COMMENT, "SHP-0004")
    with app.app_context():
        runner = owner_jobs()
    runner.drain = lambda: None  # queued, not yet run
    job = runner.start_erasure("dpo@example.test", phone=PHONE)
    (started,) = store.audit_log()
    assert started["state"] == "started" and started["job"] == job.id and "responses" not in started
    del runner.drain
    runner.drain()
    (done,) = store.audit_log()
    assert (done["state"], done["responses"], done["cases"]) == ("done", 1, 1)
    assert done["contact_hmac"] != [hashlib.sha256(PHONE.encode()).hexdigest()]
    assert len(done["contact_hmac"][0]) == 64 and PHONE not in json.dumps(done)


def test_audit_hashes_depend_on_the_key(store):
    audit_erasure(store, b"one", [PHONE], "dpo", "2026-12-01T00:00:00", "job1", Erasure())
    audit_erasure(store, b"two", [PHONE], "dpo", "2026-12-01T00:00:01", "job2", Erasure())
    second, first = store.audit_log()
    assert (first["job"], second["job"]) == ("job1", "job2")
    assert first["contact_hmac"] != second["contact_hmac"]


def test_backfill_indexes_adds_invitations_stored_before_the_contact_index_so_erasure_finds_them(app, store):
    survey = make_survey(store)
    rina = answered_by(store, survey, NAME, PHONE, EMAIL, COMMENT, "SHP-0005")
    for contact in (PHONE, EMAIL):  # as an invitation written before the index existed
        store.client.delete_item(TableName=store.table_name, Key={"pk": {"S": f"CONTACTDATA#{contact}"},
                                                                  "sk": {"S": f"{survey.id}#{rina.token}"}})
    result = app.test_cli_runner().invoke(args=["backfill-indexes"])
    assert result.exit_code == 0 and "2 contact index entries written, 1 responses given day keys" in result.output
    with app.app_context():
        job = owner_jobs().start_erasure("dpo@example.test", phone=PHONE)
    assert job.result == {"invitations": 1, "responses": 1, "cases": 1, "deliveries": 0, "messages": 0}


def test_the_app_keys_suppression_hashes_with_its_own_secret():
    from survey_app import create_app

    def key(secret):
        return create_app({"ENV": "test", "TESTING": True, "SECRET_KEY": secret}).extensions["survey_store"].suppression_key

    assert key("one") == key("one") != key("two")
    assert len(key("one")) == 32


def index_entries(store, contact: str) -> dict[str, dict]:
    page = store.client.query(TableName=store.table_name, KeyConditionExpression="pk = :pk",
                              ExpressionAttributeValues={":pk": {"S": f"CONTACTDATA#{contact}"}})
    return {item["message_id"]["S"]: item for item in page["Items"] if "message_id" in item}


def test_a_message_kept_in_the_inbox_keeps_its_index_entry_and_one_handled_otherwise_expires_with_its_claim(store):
    kept = InboundMessage("wamid.kept", PHONE, before_now(60), "text", WROTE)
    stop = InboundMessage("wamid.stop", PHONE, before_now(59), "text", "berhenti")
    assert handle_inbound(store, kept, lambda message: "unused", ChatSettings(), NOW) == "kept_in_inbox"
    assert handle_inbound(store, stop, lambda message: "wamid.out", ChatSettings(), NOW) == "opted_out"
    entries = index_entries(store, PHONE)
    assert "expires_epoch" not in entries["wamid.kept"]  # the inbox keeps it for good: so does the index
    claim = store.client.get_item(TableName=store.table_name, Key={"pk": {"S": "WAIN#wamid.stop"}, "sk": {"S": "WAIN"}})
    assert entries["wamid.stop"]["expires_epoch"] == claim["Item"]["expires_epoch"]


def test_backfill_indexes_adds_inbox_messages_kept_before_their_entries_so_erasure_finds_them(app, store):
    wrote = InboundMessage("wamid.old", PHONE, OLD, "text", WROTE, profile_name=NAME)
    assert handle_inbound(store, wrote, lambda message: "unused", ChatSettings(), NOW) == "kept_in_inbox"
    store.client.delete_item(TableName=store.table_name, Key={  # as a message kept before the entries existed
        "pk": {"S": f"CONTACTDATA#{PHONE}"}, "sk": {"S": f"MSGIN#{OLD}#wamid.old"}})
    result = app.test_cli_runner().invoke(args=["backfill-indexes"])
    assert result.exit_code == 0 and "1 contact index entries written" in result.output
    with app.app_context():
        job = owner_jobs().start_erasure("dpo@example.test", phone=PHONE)
    assert job.result["messages"] == 1 and store.inbox() == []
