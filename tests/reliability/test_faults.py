"""Faults between the app and DynamoDB: throttling, server errors, lost connections, lost responses and
transaction conflicts, injected into the store's own botocore client. Whatever fails, a customer's answer is
either acknowledged and stored exactly once, or not acknowledged and shown again with a "please send again"
notice; resending it is then acknowledged, and counted once.

The injector sits on botocore's `before-send` event, below botocore's standard retries (the store's
`max_attempts: 4` counts retries: five HTTP attempts per call), so some faults are retried away inside
botocore: the tests count how many reach the app. Printed figures (run with -s) are for the report.
The many-customer runs use DynamoDB Local: moto deep-copies the whole table on every TransactWriteItems."""
from __future__ import annotations

import email
import html
import json
import os
import random
import re
import threading
import time
import uuid
import zlib
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from email import policy
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.retries.standard import RetryHandler
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.models import botocore_stubber
from moto.ses.models import ses_backends

from survey_app.channels.email_ses import SesEmail
from survey_app.domain.models import Delivery
from survey_app.errors import StoreUnavailable
from survey_app.i18n import translate
from survey_app.services import Sender, create_invitation, local_day, reconcile, save_survey, send_due
from survey_app.services.sending import RECORD_ATTEMPTS
from tests.conftest import REGION
from tests.factories import make_invitation, make_survey

ON_DYNAMODB_LOCAL = pytest.mark.parametrize("engine", ["dynamodb_local"], indirect=True)
HEAVY = os.environ.get("SURVEY_HEAVY") == "1"
_skip_unless_heavy = pytest.mark.skipif(not HEAVY, reason="heavy reliability run: set SURVEY_HEAVY=1 (make reliability)")


def heavy(test):
    """Marked `heavy` (pytest -m heavy) and skipped unless SURVEY_HEAVY=1."""
    return pytest.mark.heavy(_skip_unless_heavy(test))

DDB = "com.amazonaws.dynamodb.v20120810#"
# kind: (HTTP status, __type, message), as DynamoDB's JSON 1.0 protocol sends them
ERROR_RESPONSES = {
    "throttling": (400, DDB + "ThrottlingException", "Rate of requests exceeds the allowed throughput."),
    "provisioned": (400, DDB + "ProvisionedThroughputExceededException",
                    "The level of configured provisioned throughput for the table was exceeded. "
                    "Consider increasing your provisioning level with the UpdateTable API."),
    "internal": (500, DDB + "InternalServerError", "Internal server error"),
}
CONNECT = "connect_error"  # EndpointConnectionError: the request never reached DynamoDB
TIMEOUT = "read_timeout"  # ReadTimeoutError after DynamoDB did the work: only the response is lost
CONFLICT = "transaction_conflict"  # TransactionCanceledException, reason TransactionConflict on the aggregate
FAULT_MIX = {"throttling": 25, "provisioned": 15, "internal": 20, CONNECT: 15, TIMEOUT: 15, CONFLICT: 10}
ATTEMPTS = 5  # the store's Config(retries={"mode": "standard", "max_attempts": 4}): 1 try + 4 retries
DELAY_SCALE = 0.001  # botocore's back-off (throttling: up to 1, 2, 4, 8 s) shrunk 1000x; the real total is reported


class _Body:
    def __init__(self, data: bytes):
        self._data = data

    def stream(self, **_):
        yield self._data


def dynamodb_error(request, status: int, error_type: str, message: str, **extra) -> AWSResponse:
    body = json.dumps({"__type": error_type, "message": message} | extra).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": uuid.uuid4().hex.upper(),
               "x-amz-crc32": str(zlib.crc32(body))}
    return AWSResponse(request.url, status, headers, _Body(body))


def transaction_conflict(request) -> AWSResponse:
    """What DynamoDB answers when another transaction holds one of the items: the hot aggregate item here."""
    items = json.loads(request.body)["TransactItems"]
    reasons = [{"Code": "None"}] * len(items)
    hot = [i for i, item in enumerate(items)
           if "Update" in item and item["Update"]["Key"]["pk"]["S"].startswith("AGG#")] or [len(items) - 1]
    reasons[hot[0]] = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
    codes = ", ".join(r["Code"] for r in reasons)
    return dynamodb_error(request, 400, DDB + "TransactionCanceledException",
                          f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                          CancellationReasons=reasons)


@dataclass
class Call:
    """One API call of the store's client and what happened to each of its HTTP attempts (None: went through)."""

    operation: str
    attempts: list = field(default_factory=list)
    writes_response: bool = False  # the transaction that stores a customer's answer (not open tracking)

    @property
    def failed(self) -> bool:
        return bool(self.attempts and self.attempts[-1])


@dataclass(frozen=True)
class Faulted:
    """One HTTP attempt the injector failed, and the request it failed (DynamoDB's JSON body), so a test can
    show its fault landed on the write it meant to break."""

    operation: str
    kind: str
    request: dict


def written_state(request: dict) -> str:
    """The invitation state an UpdateItem's SET clause writes (store/invitations.py `transition`), "" if none."""
    names, values = request.get("ExpressionAttributeNames", {}), request.get("ExpressionAttributeValues", {})
    sets = request.get("UpdateExpression", "").split(" REMOVE ")[0]
    for name, value in re.findall(r"(#\w+) = (:\w+)", sets):
        if names.get(name) == "state":
            return values[value]["S"]
    return ""


def tally_counters(request: dict) -> set[str]:
    """The counter names a tally Put adds (store/tallies.py `tally_put`), alone (PutItem) or in a transaction."""
    puts = [request.get("Item", {})] + [i["Put"]["Item"] for i in request.get("TransactItems", []) if "Put" in i]
    return {name for item in puts if item.get("pk", {}).get("S", "").startswith("TALLY#")
            for day in item["adds"]["M"].values() for name in day["M"]}


def key_of(request: dict) -> str:
    """The pk an item write names (UpdateItem's Key, PutItem's Item)."""
    return (request.get("Key") or request.get("Item") or {}).get("pk", {}).get("S", "")


class DynamoFaults:
    """Injects faults into a share of one client's DynamoDB requests, below botocore's retries.

    On moto, moto's own before-send handler is taken off this client and called from here, so a request that
    gets a fault never reaches moto (botocore calls every before-send handler, whatever the first returns).
    """

    def __init__(self, client, seed: int = 20261128):
        self.client = client
        self.rng = random.Random(seed)
        self.rate, self.mix, self.operations = 0.0, dict(FAULT_MIX), None
        self.scripted: dict[str, deque] = {}  # operation -> (kind, which requests it waits for)
        self.calls: list[Call] = []
        self.faulted: list[Faulted] = []
        self.quota_denied = 0
        self.backoff_asked = 0.0
        self._current = threading.local()
        self._moto = botocore_stubber.enabled
        self._handler = _retry_handler(client)
        self._originals = (self._handler._retry_policy.compute_retry_delay,
                           self._handler._retry_quota.acquire_retry_quota)

    # -- configuration ---------------------------------------------------
    def fail(self, rate: float, mix: dict | None = None, operations: set | None = None) -> None:
        self.rate, self.mix, self.operations = rate, dict(mix or FAULT_MIX), operations

    def fail_next(self, operation: str, kind: str, times: int = 1, where=None) -> None:
        """The next `times` attempts of `operation` get `kind`, whatever the rate; with `where` (a test on the
        request's JSON body), only attempts whose request passes it: the others go through untouched."""
        self.scripted.setdefault(operation, deque()).extend([(kind, where)] * times)

    def off(self) -> None:
        """Stops random faults; scripted ones stay, so a script that never fired is still reported."""
        self.rate = 0.0

    def unfired(self) -> dict[str, list]:
        """Scripted faults no request consumed: the test never reached the call it meant to break."""
        return {operation: [kind for kind, _ in script] for operation, script in self.scripted.items() if script}

    def reset_figures(self) -> None:
        self.calls, self.faulted, self.quota_denied, self.backoff_asked = [], [], 0, 0.0

    # -- botocore hooks --------------------------------------------------
    def install(self) -> None:
        events = self.client.meta.events
        if self._moto:
            events.unregister("before-send", botocore_stubber)
        events.register("before-call.dynamodb", self._start)
        events.register("before-send.dynamodb", self._send)
        events.register("after-call.dynamodb", self._finish)
        events.register("after-call-error.dynamodb", self._finish)
        delay, acquire = self._originals

        def scaled_delay(context):
            seconds = delay(context)
            self.backoff_asked += seconds
            return seconds * DELAY_SCALE

        def counted_acquire(context):
            granted = acquire(context)
            self.quota_denied += not granted
            return granted

        self._handler._retry_policy.compute_retry_delay = scaled_delay
        self._handler._retry_quota.acquire_retry_quota = counted_acquire

    def uninstall(self) -> None:
        events = self.client.meta.events
        for event, hook in (("before-call.dynamodb", self._start), ("before-send.dynamodb", self._send),
                            ("after-call.dynamodb", self._finish), ("after-call-error.dynamodb", self._finish)):
            events.unregister(event, hook)
        if self._moto:
            events.register("before-send", botocore_stubber)
        del self._handler._retry_policy.compute_retry_delay
        del self._handler._retry_quota.acquire_retry_quota

    def _start(self, model, **_):
        self._current.call = Call(model.name)

    def _finish(self, **_):
        call = self._current.__dict__.pop("call", None)
        if call is not None:
            self.calls.append(call)

    def _choose(self, operation: str, body: bytes) -> str | None:
        script = self.scripted.get(operation)
        if script and (script[0][1] is None or script[0][1](json.loads(body))):
            return script.popleft()[0]
        if not self.rate or (self.operations and operation not in self.operations):
            return None
        if self.rng.random() >= self.rate:
            return None
        kinds = [k for k in self.mix if k != CONFLICT or operation == "TransactWriteItems"]
        return self.rng.choices(kinds, [self.mix[k] for k in kinds])[0]

    def _send(self, request, event_name, **_):
        operation = event_name.rsplit(".", 1)[-1]
        kind = self._choose(operation, request.body)
        call = self._current.call
        call.attempts.append(kind)
        if kind is not None:
            self.faulted.append(Faulted(operation, kind, json.loads(request.body)))
        if operation == "TransactWriteItems" and len(call.attempts) == 1:
            call.writes_response = any(item.get("Put", {}).get("Item", {}).get("pk", {}).get("S", "").startswith(
                "RESP#") for item in json.loads(request.body)["TransactItems"])
        if kind is None:
            return self._forward(request, event_name)
        if kind == CONNECT:
            raise EndpointConnectionError(endpoint_url=request.url)
        if kind == TIMEOUT:
            response = self._forward(request, event_name)
            if response is None:
                response = self.client._endpoint.http_session.send(request)
            response.content  # noqa: B018 (DynamoDB did the work; read it so the connection goes back to the pool)
            raise ReadTimeoutError(endpoint_url=request.url, error="Read timed out.")
        if kind == CONFLICT:
            return transaction_conflict(request)
        return dynamodb_error(request, *ERROR_RESPONSES[kind])

    def _forward(self, request, event_name):
        """The real engine's answer: moto's, or None so botocore sends it to DynamoDB Local."""
        return botocore_stubber(event_name=event_name, request=request) if self._moto else None

    # -- figures ------------------------------------------------------------
    def since(self, mark: int) -> list[Call]:
        return self.calls[mark:]

    def figures(self) -> dict:
        injected = Counter(k for c in self.calls for k in c.attempts if k)
        surfaced = Counter(c.attempts[-1] for c in self.calls if c.failed)
        absorbed = Counter(k for c in self.calls if not c.failed for k in c.attempts if k)
        return {
            "api_calls": len(self.calls), "http_attempts": sum(len(c.attempts) for c in self.calls),
            "faults_injected": sum(injected.values()), "injected_by_kind": dict(injected),
            "absorbed_by_botocore_retries": sum(absorbed.values()), "absorbed_by_kind": dict(absorbed),
            "calls_failed_after_botocore_retries": sum(surfaced.values()), "failed_by_kind": dict(surfaced),
            "retry_quota_denials": self.quota_denied,
            "botocore_backoff_asked_s": round(self.backoff_asked, 1),
        }


def _retry_handler(client) -> RetryHandler:
    """The standard-mode retry handler botocore registered on this client (to shrink its back-off)."""
    for handler in client.meta.events._emitter._handlers.prefix_search("needs-retry.dynamodb.GetItem"):
        if isinstance(getattr(handler, "__self__", None), RetryHandler):
            return handler.__self__
    raise AssertionError("the store's client has no standard-mode retry handler: Config(retries=...) changed?")


@pytest.fixture
def faults(store):
    injector = DynamoFaults(store.client)
    injector.install()
    yield injector  # a script left unfired fails the test: tests/reliability/conftest.py
    injector.uninstall()


# -- customers ------------------------------------------------------------
THANKS = translate("thanks_title", "en")
ALREADY = translate("already_title", "en")
RETRY_NOTICES = tuple(translate("store_unavailable", lang) for lang in ("en", "id"))
SUBMISSION = re.compile(r'name="submission" type="hidden" value="([0-9a-f]*)"')
SURVEY = re.compile(r'name="survey" type="hidden" value="([^"]*)"')
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def checked(page: str, name: str, value: str) -> bool:
    return any(f'name="{name}"' in tag and f'value="{value}"' in tag and "checked" in tag
               for tag in re.findall(r"<input[^>]*>", page))


@dataclass
class Customer:
    """One browser answering one link: the answers it types and everything that happens to it."""

    number: int
    url: str
    answers: dict
    token: str = ""  # personal link; "" for the open link
    submission: str = ""
    get_503: int = 0
    post_503: list = field(default_factory=list)  # "kept" / "dropped" (the page did not show the answers)
    acknowledged: bool = False

    @property
    def response_id(self) -> str:
        return self.token or f"o{self.submission}"


def answers_for(number: int, rng: random.Random) -> dict:
    return {"q_nps": str(rng.randint(0, 10)), "q_reason": f"Pelanggan {number}: kopi {rng.choice(['enak', 'pahit'])}",
            "q_csat_product": str(rng.randint(1, 5)), "q_csat_delivery": str(rng.randint(1, 5))}


def shows_the_answers(page: str, customer: Customer) -> bool:
    a = customer.answers
    return (html.escape(a["q_reason"], quote=False) in page and checked(page, "q_nps", a["q_nps"])
            and checked(page, "q_csat_product", a["q_csat_product"])
            and checked(page, "q_csat_delivery", a["q_csat_delivery"]))


def open_page(client, customer: Customer, limit: int = 50) -> dict:
    """GET until the form shows (a customer reloads an error page); returns the hidden fields."""
    for _ in range(limit):
        page = client.get(customer.url)
        text = page.get_data(as_text=True)
        if page.status_code == 200 and (csrf := CSRF.search(text)) and (sub := SUBMISSION.search(text)):
            return {"csrf_token": csrf.group(1), "submission": sub.group(1), "survey": SURVEY.search(text).group(1)}
        assert page.status_code == 503, f"customer {customer.number}: GET {customer.url} gave {page.status_code}"
        customer.get_503 += 1
    raise AssertionError(f"customer {customer.number}: no answer page after {limit} tries")


def answer(client, faults: DynamoFaults, customer: Customer, limit: int = 50) -> None:
    """POST, and on a 503 send the same form again (same hidden submission id) until thanked."""
    hidden = open_page(client, customer)
    customer.submission = hidden["submission"]
    for _ in range(limit):
        mark = len(faults.calls)
        page = client.post(customer.url, data=hidden | customer.answers)
        text = page.get_data(as_text=True)
        if page.status_code == 200 and THANKS in text:
            customer.acknowledged = True
            return
        assert page.status_code == 503, (
            f"customer {customer.number}: {page.status_code} for a resend of submission {customer.submission}"
            + (" (told 'already answered')" if ALREADY in text else ""))
        assert any(notice in text for notice in RETRY_NOTICES), f"customer {customer.number}: 503 without notice"
        wrote = any(c.writes_response for c in faults.since(mark))
        if SUBMISSION.search(text):
            assert SUBMISSION.search(text).group(1) == customer.submission, "503 page changed the submission id"
            assert shows_the_answers(text, customer), f"customer {customer.number}: 503 form lost the answers"
            hidden = {"csrf_token": CSRF.search(text).group(1), "submission": customer.submission,
                      "survey": SURVEY.search(text).group(1)}
            customer.post_503.append("kept")
        else:  # the generic error page: the browser's back button still has the form; send it again
            assert not wrote, f"customer {customer.number}: the write was tried, yet the 503 page lost the answers"
            customer.post_503.append("dropped")
    raise AssertionError(f"customer {customer.number}: not acknowledged after {limit} sends")


def run_customers(app, store, faults, survey, personal: int, open_link: int, seed: int = 7, **failing):
    """Customers on distinct personal links and on the open link, one after another, while `failing` holds."""
    rng = random.Random(seed)
    links = [make_invitation(store, survey).token for _ in range(personal)]
    customers = [Customer(i, f"/s/{token}", answers_for(i, rng), token=token) for i, token in enumerate(links)]
    customers += [Customer(personal + i, f"/o/{survey.id}", answers_for(personal + i, rng))
                  for i in range(open_link)]
    rng.shuffle(customers)
    # each resend after a 503 takes an open-link rate token (reported: three store errors, then refused); the
    # subject here is store faults, so the hourly limits are out of the way
    app.config.update(OPEN_LINK_LIMIT_PER_HOUR=10**6, OPEN_LINK_LIMIT_PER_BROWSER=10**6)
    faults.reset_figures()
    faults.fail(**failing)
    started = time.monotonic()
    for customer in customers:
        client = app.test_client()  # every customer its own browser (cookies) and address (open-link limit)
        client.environ_base["REMOTE_ADDR"] = f"10.{customer.number // 250}.{customer.number % 250}.7"
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        answer(client, faults, customer)
    elapsed = time.monotonic() - started
    faults.off()
    return customers, elapsed


def check_stored_once(store, survey, customers) -> dict:
    """With faults off: exactly the acknowledged answers are stored, each once, and the counters add up."""
    stored = {r.response_id: r for r in store.iter_responses(survey.id)}
    acknowledged = {c.response_id: c for c in customers if c.acknowledged}
    lost = sorted(set(acknowledged) - set(stored))
    extra = sorted(set(stored) - set(acknowledged))
    wrong = [rid for rid, c in acknowledged.items() if rid in stored and (
        stored[rid].submission_id != c.submission
        or stored[rid].answers.get("nps") != int(c.answers["q_nps"])
        or stored[rid].answers.get("reason") != c.answers["q_reason"])]
    comments = Counter(c.response_id for c in store.latest_comments(survey.id, 10 * len(customers) + 10))
    twice_commented = sorted(rid for rid, n in comments.items() if n > 1)
    drift = reconcile(store, survey)
    days = store.daily_counters(survey.id, "2000-01-01", "2999-12-31")
    counted = sum(day.get("n", 0) for day in days.values())
    invitations = {i.token: i for i in store.invitations_of(survey.id, limit=len(customers) + 10)}
    # reconcile cannot recount invitation events (inv#...): the answered counters are checked here, per day and
    # channel (the invitation's, or the open link's), against the answers acknowledged
    channel = {rid: invitations[c.token].channel if c.token else "open" for rid, c in acknowledged.items()}
    expected_answered = Counter((stored[rid].day, f"inv#{channel[rid]}#answered") for rid in acknowledged
                                if rid in stored)
    answered = {(day, k): v for day, values in days.items() for k, v in values.items() if k.endswith("#answered") and v}
    assert not lost, f"{len(lost)} acknowledged answers lost: {lost[:5]}"
    assert not extra, f"{len(extra)} answers stored twice or never acknowledged: {extra[:5]}"
    assert not wrong, f"stored answers differ from what was acknowledged: {wrong[:5]}"
    assert not twice_commented, f"comments stored twice: {twice_commented[:5]}"
    assert drift.clean and drift.responses == len(acknowledged), drift.items
    assert counted == len(acknowledged)
    assert answered == dict(expected_answered), sorted(set(answered.items()) ^ set(expected_answered.items()))[:5]
    assert all(invitations[c.token].answered_at for c in customers if c.token)
    return {"responses": len(stored), "lost": len(lost), "duplicates": len(extra) + len(twice_commented)}


def report(title: str, customers, elapsed: float, faults: DynamoFaults, stored: dict) -> dict:
    figures = {
        "submissions": len(customers), "acknowledged": sum(c.acknowledged for c in customers),
        "get_503": sum(c.get_503 for c in customers),
        "post_503": sum(len(c.post_503) for c in customers),
        "post_503_answers_shown": sum(c.post_503.count("kept") for c in customers),
        "post_503_answers_not_shown": sum(c.post_503.count("dropped") for c in customers),
        "resends_needed": sum(len(c.post_503) for c in customers),
        "customers_who_resent": sum(bool(c.post_503) for c in customers),
        "max_sends_one_customer": max(len(c.post_503) + 1 for c in customers),
    } | faults.figures() | stored | {"seconds": round(elapsed, 1)}
    print(f"\n{title}: {json.dumps(figures)}")
    return figures


# -- the tests ----------------------------------------------------------------
def test_injected_errors_parse_like_dynamodbs_own(store, faults):
    """The injector's responses are understood by botocore as DynamoDB's: codes, statuses, cancellation reasons."""
    survey = make_survey(store)
    for kind, (status, _, _) in ERROR_RESPONSES.items():
        faults.fail_next("GetItem", kind, times=ATTEMPTS)
        with pytest.raises(ClientError) as caught:
            store.client.get_item(TableName=store.table_name, Key={"pk": {"S": "x"}, "sk": {"S": "y"}})
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
        assert caught.value.response["Error"]["Code"] == ERROR_RESPONSES[kind][1].split("#")[1]
    faults.fail_next("TransactWriteItems", CONFLICT, times=2)
    invitation = make_invitation(store, survey)  # its transaction conflicts twice: the store retries it
    faults.fail_next("TransactWriteItems", CONFLICT)
    with pytest.raises(ClientError) as caught:
        store.client.transact_write_items(TransactItems=[
            {"Update": {"TableName": store.table_name, "Key": {"pk": {"S": f"AGG#{survey.id}"}, "sk": {"S": "DAY#x"}},
                        "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in caught.value.response["CancellationReasons"]] == ["TransactionConflict"]
    assert store.get_invitation(invitation.token).token == invitation.token  # retried by the store, then written


@pytest.mark.parametrize("kind", [*ERROR_RESPONSES, CONNECT, TIMEOUT])
def test_botocore_absorbs_four_faults_in_a_row_and_the_fifth_reaches_the_store(store, faults, kind):
    """Config(retries={"max_attempts": 4}) is botocore's count of *retries*: five HTTP attempts per call."""
    survey = make_survey(store)
    faults.fail_next("GetItem", kind, times=ATTEMPTS - 1)
    assert store.get_survey(survey.id).id == survey.id
    faults.fail_next("GetItem", kind, times=ATTEMPTS)
    with pytest.raises(StoreUnavailable):
        store.get_survey(survey.id)
    assert [c.attempts for c in faults.calls if c.operation == "GetItem"][-2:] == [
        [kind] * (ATTEMPTS - 1) + [None], [kind] * ATTEMPTS]


@ON_DYNAMODB_LOCAL
def test_transaction_conflicts_are_absorbed_by_the_stores_own_retry(app, store, faults):
    """Up to four conflicts in a row on the hot aggregate item still end in a thank-you; five give the 503 with
    the answers kept, and the resend is counted once. Then 100 customers with half of all transactions
    conflicting (botocore never retries a cancelled transaction: only the store's own retry absorbs them)."""
    survey = make_survey(store)
    rng = random.Random(3)
    customers = []
    for streak in (1, 2, 3, 4, 5):
        token = make_invitation(store, survey).token
        customer = Customer(streak, f"/s/{token}", answers_for(streak, rng), token=token)
        client = app.test_client()
        hidden = open_page(client, customer)
        customer.submission = hidden["submission"]
        faults.fail_next("TransactWriteItems", CONFLICT, times=streak)
        page = client.post(customer.url, data=hidden | customer.answers)
        text = page.get_data(as_text=True)
        if streak < 5:
            assert page.status_code == 200 and THANKS in text, f"{streak} conflicts in a row were not absorbed"
        else:
            assert page.status_code == 503 and shows_the_answers(text, customer)
            assert SUBMISSION.search(text).group(1) == customer.submission
            assert client.post(customer.url, data=hidden | customer.answers).status_code == 200
        customer.acknowledged = True
        customers.append(customer)
    failed = [c for c in faults.calls if c.failed]
    assert len(failed) == 15 and {c.attempts[-1] for c in failed} == {CONFLICT}
    assert all(len(c.attempts) == 1 for c in failed), "botocore retried a cancelled transaction"

    more, elapsed = run_customers(app, store, faults, survey, personal=75, open_link=25, seed=11,
                                  rate=0.5, mix={CONFLICT: 1}, operations={"TransactWriteItems"})
    figures = report("transaction conflicts, 50% of transactions", more, elapsed, faults,
                     check_stored_once(store, survey, customers + more))
    assert figures["acknowledged"] == 100 and figures["post_503_answers_not_shown"] == 0
    assert figures["post_503"] <= 10  # five conflicts in a row: 1 in 32 at 50%


def _faults_on_every_call(app, store, faults, personal: int, open_link: int, rate: float):
    survey = make_survey(store)
    customers, elapsed = run_customers(app, store, faults, survey, personal, open_link, rate=rate)
    stored = check_stored_once(store, survey, customers)
    figures = report(f"{rate:.0%} of DynamoDB calls failing", customers, elapsed, faults, stored)
    assert figures["acknowledged"] == personal + open_link
    assert figures["post_503_answers_not_shown"] == 0  # every 503 on a POST gave the customer their answers back
    assert figures["faults_injected"] > 0 and figures["absorbed_by_botocore_retries"] > 0
    return figures


@ON_DYNAMODB_LOCAL
def test_a_third_of_dynamodb_calls_failing_loses_nothing_and_counts_nothing_twice(app, store, faults):
    """500 customers (400 personal links, 100 on the open link), 30% of every DynamoDB request failing in
    every way: each is acknowledged in the end, stored once, and every 503 on a POST shows the answers again
    (the seeded run meets 503s on POSTs: asserted, so a smaller or luckier run cannot pass without them)."""
    figures = _faults_on_every_call(app, store, faults, personal=400, open_link=100, rate=0.3)
    assert figures["post_503_answers_shown"] > 0


@heavy
@ON_DYNAMODB_LOCAL
def test_heavy_a_third_of_dynamodb_calls_failing_loses_nothing(app, store, faults):
    _faults_on_every_call(app, store, faults, personal=4000, open_link=1000, rate=0.3)




@pytest.mark.parametrize("link, operation", [("personal", "GetItem"), ("open", "GetItem"), ("open", "UpdateItem")],
                         ids=["personal-invitation-read", "open-survey-read", "open-rate-limit-write"])
def test_a_503_before_the_write_still_shows_the_typed_answers(app, store, faults, link, operation):
    survey = make_survey(store)
    token = make_invitation(store, survey).token if link == "personal" else ""
    customer = Customer(1, f"/s/{token}" if token else f"/o/{survey.id}", answers_for(1, random.Random(1)),
                        token=token)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    hidden = open_page(client, customer)
    faults.fail_next(operation, "internal", times=ATTEMPTS)
    page = client.post(customer.url, data=hidden | customer.answers)
    text = page.get_data(as_text=True)
    assert page.status_code == 503 and any(notice in text for notice in RETRY_NOTICES)
    assert not [c for c in faults.calls if c.writes_response], "the fault was meant to come before the write"
    assert shows_the_answers(text, customer), "the 503 page does not show the customer's answers"


# -- the "tell us more" step and the scheduled sender ------------------------------
def one_tap_then_more(app, store):
    """A customer taps 3 in the e-mail; returns (client, survey, token, hidden fields of the 'tell us more' form)."""
    survey = make_survey(store)
    token = make_invitation(store, survey).token
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(f"/s/{token}/3").get_data(as_text=True)
    hidden = {"csrf_token": CSRF.search(page).group(1), "submission": SUBMISSION.search(page).group(1),
              "survey": SURVEY.search(page).group(1)}
    more = client.post(f"/s/{token}", data=hidden | {"q_nps": "3", "quick": "1"}).get_data(as_text=True)
    return client, survey, token, {"csrf_token": CSRF.search(more).group(1),
                                   "submission": SUBMISSION.search(more).group(1),
                                   "survey": SURVEY.search(more).group(1)}


MORE = {"q_reason": "Kurir telat", "q_csat_delivery": "1"}


def amended_once(store, survey) -> bool:
    (response,) = store.iter_responses(survey.id)
    return response.answers == {"nps": 3, "reason": "Kurir telat", "csat_delivery": 1} and reconcile(
        store, survey).clean


@ON_DYNAMODB_LOCAL  # botocore gives every TransactWriteItems a ClientRequestToken and resends it; moto ignores it
def test_tell_us_more_whose_reply_was_lost_once_is_stored_once_and_thanked(app, store, faults):
    client, survey, token, hidden = one_tap_then_more(app, store)
    faults.fail_next("TransactWriteItems", TIMEOUT)  # DynamoDB stores it; botocore resends the same transaction
    done = client.post(f"/s/{token}/more", data=hidden | MORE)
    assert done.status_code == 200 and THANKS in done.get_data(as_text=True)
    assert amended_once(store, survey)


def test_a_503_on_tell_us_more_still_shows_the_typed_answers(app, store, faults):
    client, _, token, hidden = one_tap_then_more(app, store)
    faults.fail_next("TransactWriteItems", "internal", times=ATTEMPTS)
    page = client.post(f"/s/{token}/more", data=hidden | MORE)
    text = page.get_data(as_text=True)
    assert page.status_code == 503 and any(notice in text for notice in RETRY_NOTICES)
    assert html.escape(MORE["q_reason"], quote=False) in text and checked(text, "q_csat_delivery", "1")


@ON_DYNAMODB_LOCAL
def test_tell_us_more_resent_after_its_reply_was_lost_is_thanked(app, store, faults):
    client, survey, token, hidden = one_tap_then_more(app, store)
    faults.fail_next("TransactWriteItems", TIMEOUT, times=ATTEMPTS)
    assert client.post(f"/s/{token}/more", data=hidden | MORE).status_code == 503
    assert amended_once(store, survey)
    again = client.post(f"/s/{token}/more", data=hidden | MORE)
    assert amended_once(store, survey)
    assert again.status_code == 200 and THANKS in again.get_data(as_text=True), again.status_code


SENDER_ADDRESS = "survey@toko.test"


@pytest.fixture
def email_sender():
    with mock_aws():  # SES only; DynamoDB Local's address is not AWS's, so moto lets it through
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER_ADDRESS)
        yield (Sender(channels={"email": SesEmail(SENDER_ADDRESS, REGION)}, base_url="https://survey.toko.test",
                      business_name="Toko Nusantara"), ses_backends[DEFAULT_ACCOUNT_ID][REGION])


def email_survey(store):
    return save_survey(store, replace(make_survey(store), delivery=Delivery(channels=("email",),
                                                                            reminder_after_days=0)))


def run_sender_every_5_minutes(app, store, sender, start: datetime, runs: int, batch: int = 100) -> list:
    outcomes = []
    with app.app_context():
        for run in range(runs):
            try:
                outcomes.append(dict(send_due(store, sender, now=start + timedelta(minutes=5 * run), batch=batch)))
            except StoreUnavailable:
                outcomes.append("crashed")
    return outcomes


class FaultsAfterSending:
    """Wraps the e-mail channel: once SES has the message, the DynamoDB calls that pass `where` get the scripted
    faults, so exactly the write that records the outcome fails (the injector fails the test if any of them never
    fires; the test checks in `faults.faulted` which requests they hit)."""

    def __init__(self, channel, faults, operation: str, kind: str, times: int, where):
        self.channel, self.faults, self.script = channel, faults, (operation, kind, times, where)

    def send(self, content):
        message_id = self.channel.send(content)
        operation, kind, times, where = self.script
        self.faults.fail_next(operation, kind, times=times, where=where)
        return message_id


def invitation_update(request: dict) -> dict:
    """The invitation's update in a request: the UpdateItem itself, or a transaction's Update entry."""
    updates = [request] + [item["Update"] for item in request.get("TransactItems", []) if "Update" in item]
    return next((update for update in updates if key_of(update).startswith("INV#")), {})


def records_sent(request: dict) -> bool:
    """The transaction recording an invitation sent with its counter (services/sending.py `_record_sent`)."""
    return written_state(invitation_update(request)) == "sent" and "inv#email#sent" in tally_counters(request)


def delivery_counters(store, survey_id: str) -> dict[str, dict[str, int]]:
    """Each day's invitation-event counters (`inv#<channel>#<event>`), without zeros and empty days, once every
    tally is folded (as the stream consumer, or the counters function after it, folds them in production)."""
    store.fold_pending(survey_id)
    days = store.daily_counters(survey_id, "2000-01-01", "2999-12-31")
    return {day: {k: v for k, v in values.items() if k.startswith("inv#") and v} for day, values in days.items()
            if any(k.startswith("inv#") and v for k, v in values.items())}


def owners_day(moment: str) -> str:
    return local_day(datetime.fromisoformat(moment), "Asia/Jakarta")


def send_once_with_faults_after_the_send(app, store, faults, email_sender, kind, times):
    """One e-mail sent; then `times` attempts of the write recording it sent get `kind`. Returns the invitation,
    how many e-mails SES took, the delivery counters and the runs' outcomes."""
    sender, ses = email_sender
    now = datetime.now(timezone.utc)
    survey = email_survey(store)
    invitation = create_invitation(store, survey, email="budi@example.com", send_at=now - timedelta(minutes=1))
    faulty = replace(sender, channels={"email": FaultsAfterSending(sender.channels["email"], faults,
                                                                   "TransactWriteItems", kind, times, records_sent)},
                     paces={})
    outcomes = run_sender_every_5_minutes(app, store, faulty, now, runs=4)  # past the 10-minute lease
    invitation = store.get_invitation(invitation.token)
    assert [invitation_update(f.request)["Key"]["pk"]["S"] for f in faults.faulted] == [f"INV#{invitation.token}"] * \
        times and all(records_sent(f.request) for f in faults.faulted), "a fault hit another write"
    return invitation, len(ses.sent_messages), delivery_counters(store, survey.id), outcomes


def test_a_store_outage_recording_sent_never_emails_twice_and_flags_the_send_for_the_owner(app, store, faults,
                                                                                          email_sender):
    invitation, emails, counted, outcomes = send_once_with_faults_after_the_send(
        app, store, faults, email_sender, "internal", times=ATTEMPTS * RECORD_ATTEMPTS)
    assert emails == 1, f"e-mailed {emails} times; runs: {outcomes}"
    assert outcomes[0] == {"store_unavailable": 1} and {"unconfirmed": 1} in outcomes
    assert invitation.state == "unconfirmed" and "may or may not have arrived" in invitation.failure
    assert counted == {owners_day(invitation.send_at): {"inv#email#unconfirmed": 1}}  # flagged, never counted sent


def test_a_lost_reply_recording_sent_is_sent_once_and_counted_once(app, store, faults, email_sender):
    invitation, emails, counted, outcomes = send_once_with_faults_after_the_send(
        app, store, faults, email_sender, TIMEOUT, times=1)  # botocore resends the same transaction
    assert (invitation.state, emails, outcomes[0]) == ("sent", 1, {"sent": 1}), outcomes
    assert counted == {owners_day(invitation.sent_at): {"inv#email#sent": 1}}


def test_a_lost_reply_on_the_sent_counter_counts_the_send_once(app, store, faults, email_sender):
    """Every botocore attempt of the transaction recording "sent" with its counter is done, every reply lost: the
    sender's own retry finds it recorded (its condition fails) and counts nothing again."""
    invitation, emails, counted, outcomes = send_once_with_faults_after_the_send(
        app, store, faults, email_sender, TIMEOUT, times=ATTEMPTS)
    assert (invitation.state, emails, outcomes[0]) == ("sent", 1, {"sent": 1}), outcomes
    assert counted == {owners_day(invitation.sent_at): {"inv#email#sent": 1}}


def test_an_ses_answer_lost_after_sending_is_never_resent(app, store, faults, email_sender, monkeypatch):
    sender, ses = email_sender
    channel = sender.channels["email"]
    real = channel.client.send_raw_email

    def accepted_then_lost(**kwargs):
        real(**kwargs)
        raise ReadTimeoutError(endpoint_url="https://email.ap-southeast-3.amazonaws.com")

    monkeypatch.setattr(channel.client, "send_raw_email", accepted_then_lost)
    now = datetime.now(timezone.utc)
    invitation = create_invitation(store, email_survey(store), email="sari@example.com",
                                   send_at=now - timedelta(minutes=1))
    outcomes = run_sender_every_5_minutes(app, store, sender, now, runs=4)
    assert outcomes[0] == {"unconfirmed": 1} and len(ses.sent_messages) == 1, outcomes
    invitation = store.get_invitation(invitation.token)
    assert invitation.state == "unconfirmed"
    assert delivery_counters(store, invitation.survey_id) == {owners_day(invitation.send_at):
                                                              {"inv#email#unconfirmed": 1}}


def test_an_ses_refusal_is_retried_later_and_sent_once(app, store, faults, email_sender, monkeypatch):
    sender, ses = email_sender
    channel = sender.channels["email"]
    real, refusals = channel.client.send_raw_email, []

    def throttled_once(**kwargs):
        if not refusals:
            refusals.append(1)
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}},
                              "SendRawEmail")
        return real(**kwargs)

    monkeypatch.setattr(channel.client, "send_raw_email", throttled_once)
    now = datetime.now(timezone.utc)
    invitation = create_invitation(store, email_survey(store), email="sari@example.com",
                                   send_at=now - timedelta(minutes=1))
    outcomes = run_sender_every_5_minutes(app, store, sender, now, runs=3)
    assert outcomes[:2] == [{"retry_scheduled": 1}, {"sent": 1}] and len(ses.sent_messages) == 1, outcomes
    invitation = store.get_invitation(invitation.token)
    assert invitation.state == "sent"
    assert delivery_counters(store, invitation.survey_id) == {owners_day(invitation.sent_at): {"inv#email#sent": 1}}


@ON_DYNAMODB_LOCAL
def test_the_sender_under_dynamodb_faults_loses_no_invitation(app, store, faults, email_sender):
    """300 due invitations, 30% of DynamoDB calls failing for two hours of runs every 5 minutes, then an hour
    without faults: no customer gets two e-mails; every invitation ends 'sent', or 'unconfirmed' where the
    record around the hand-over to SES failed past its retries (flagged for the owner); nobody who got no e-mail
    is left unflagged."""
    sender, ses = email_sender
    now = datetime.now(timezone.utc)
    survey = email_survey(store)
    tokens = {create_invitation(store, survey, email=f"c{i}@example.com", order_ref=f"o-{i}",
                                send_at=now - timedelta(minutes=1)).token for i in range(300)}
    faults.reset_figures()
    faults.fail(0.3)
    started = time.monotonic()
    stormy = run_sender_every_5_minutes(app, store, sender, now, runs=24)
    faults.off()
    calm = run_sender_every_5_minutes(app, store, sender, now + timedelta(hours=2), runs=12)
    elapsed = time.monotonic() - started
    states = Counter(i.state for i in store.invitations_of(survey.id, limit=400))
    recipients = Counter(email.message_from_string(m.raw_data, policy=policy.default)["To"]
                         for m in ses.sent_messages)
    figures = {"invitations": len(tokens), "runs": len(stormy) + len(calm),
               "crashed_runs": stormy.count("crashed") + calm.count("crashed"), "states": dict(states),
               "emails": sum(recipients.values()), "customers_emailed": len(recipients),
               "customers_emailed_twice_or_more": sum(n > 1 for n in recipients.values()),
               "outcomes": dict(sum((Counter(o) for o in stormy + calm if o != "crashed"), Counter()))
               } | faults.figures() | {"seconds": round(elapsed, 1)}
    print(f"\nsender under 30% DynamoDB faults: {json.dumps(figures)}")
    assert set(states) <= {"sent", "unconfirmed"} and sum(states.values()) == len(tokens), states
    assert max(recipients.values()) == 1, figures
    never_emailed = {f"c{i}@example.com" for i in range(len(tokens))} - set(recipients)
    invitations = store.invitations_of(survey.id, limit=400)
    flagged = {i.email for i in invitations if i.state == "unconfirmed"}
    sent = {i.email for i in invitations if i.state == "sent"}
    assert never_emailed <= flagged, figures
    assert sent <= set(recipients), figures  # whoever is counted sent got the e-mail (once: asserted above)
    assert len(recipients) >= 0.97 * len(tokens), figures
    assert calm[-1] == {}
    # every send and every flag counted once, on the owner's day of the run that sent or flagged it
    expected = Counter((owners_day(i.sent_at if i.state == "sent" else i.send_at), f"inv#email#{i.state}")
                       for i in invitations)
    counted = {(day, name): n for day, values in delivery_counters(store, survey.id).items()
               for name, n in values.items()}
    assert counted == dict(expected), sorted(set(counted.items()) ^ set(expected.items()))


def test_a_scripted_fault_that_never_fires_is_reported_and_one_that_fires_is_not(store):
    """The `faults` fixture fails a test whose script is left over: here the same check, seen from inside."""
    injector = DynamoFaults(store.client)
    injector.install()
    try:
        injector.fail_next("TransactWriteItems", "internal")
        injector.fail_next("GetItem", "internal", times=ATTEMPTS)
        with pytest.raises(ClientError):
            store.client.get_item(TableName=store.table_name, Key={"pk": {"S": "x"}, "sk": {"S": "y"}})
        assert injector.unfired() == {"TransactWriteItems": ["internal"]}
        injector.off()
        assert injector.unfired() == {"TransactWriteItems": ["internal"]}, "off() must not hide a pending script"
    finally:
        injector.uninstall()
