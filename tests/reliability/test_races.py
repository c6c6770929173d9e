"""Races on AWS's own engine (DynamoDB Local): many browsers answering through a real threaded WSGI server,
dozens of them on the same personal link at once, and two scheduled senders over the same due invitations.
A customer's answer is stored once, whoever else is pressing send; each invitation is e-mailed once."""
from __future__ import annotations

import email
import http.client
import json
import os
import random
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from email import policy
from http.cookies import SimpleCookie

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from werkzeug.serving import WSGIRequestHandler, make_server

from survey_app.channels.email_ses import SesEmail
from survey_app.domain.models import Delivery
from survey_app.i18n import translate
from survey_app.services import Sender, create_invitation, reconcile, save_survey, send_due
from tests.conftest import REGION
from tests.factories import CSRF_PATTERN, SUBMISSION_PATTERN, make_invitation, make_survey
from tests.racing import Spans, all_at_once
from tests.reliability.test_faults import Customer, DynamoFaults, check_stored_once

ON_DYNAMODB_LOCAL = pytest.mark.parametrize("engine", ["dynamodb_local"], indirect=True)  # moto is not thread-safe
HEAVY = os.environ.get("SURVEY_HEAVY") == "1"
_skip_unless_heavy = pytest.mark.skipif(not HEAVY, reason="heavy reliability run: set SURVEY_HEAVY=1 (make reliability)")


def heavy(test):
    """Marked `heavy` (pytest -m heavy) and skipped unless SURVEY_HEAVY=1."""
    return pytest.mark.heavy(_skip_unless_heavy(test))
THANKS = translate("thanks_title", "en")
ALREADY = translate("already_title", "en")
SENDER_ADDRESS = "survey@toko.test"
NOW = datetime.now(timezone.utc)


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class RequestLog:
    """When the server started and finished each request (its own clock, tests/racing.py's Spans): proof that
    requests overlapped, where a server handling them one by one would pass every other assertion of a race."""

    def __init__(self, wsgi_app):
        self.wsgi_app, self.spans = wsgi_app, Spans()

    def __call__(self, environ, start_response):
        with self.spans.span((environ["REQUEST_METHOD"], environ["PATH_INFO"])):
            return list(self.wsgi_app(environ, start_response))  # the body is made inside the span

    def most_at_once(self, method: str, path: str | None = None) -> int:
        """The most requests of `method` (on `path`, if given) in the app at the same moment."""
        return self.spans.most_at_once(lambda name: name[0] == method and path in (None, name[1]))


@pytest.fixture
def request_log(app) -> RequestLog:
    app.wsgi_app = RequestLog(app.wsgi_app)
    return app.wsgi_app


@pytest.fixture
def server(app, request_log):
    """The app behind werkzeug's threaded server on a free port: a thread per request, like concurrent Lambdas."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, name="wsgi-server")
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


class TransactionWatch:
    """Counts the store's TransactWriteItems calls and how DynamoDB cancelled them (TransactionConflict: two
    transactions on one item at once, retried by the store; ConditionalCheckFailed: lost a race, by design)."""

    def __init__(self):
        self.counts: Counter = Counter()
        self._lock = threading.Lock()

    def __call__(self, parsed, **_):
        codes = {reason.get("Code") for reason in parsed.get("CancellationReasons", [])} - {"None", None}
        with self._lock:
            self.counts["calls"] += 1
            for code in codes or ([parsed["Error"]["Code"]] if "Error" in parsed else []):
                self.counts[code] += 1


@pytest.fixture
def transactions(store):
    watch = TransactionWatch()
    store.client.meta.events.register("after-call.dynamodb.TransactWriteItems", watch)
    yield watch
    store.client.meta.events.unregister("after-call.dynamodb.TransactWriteItems", watch)


@dataclass
class Browser:
    """One customer's browser: its own cookie jar (CSRF tokens are tied to the session cookie)."""

    port: int
    url: str
    answers: dict
    cookies: dict = field(default_factory=dict)
    hidden: dict = field(default_factory=dict)
    statuses: list = field(default_factory=list)
    outcome: str = ""
    seconds: list = field(default_factory=list)

    def request(self, method: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Accept-Language": "en", "Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, self.url, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            for header in response.headers.get_all("Set-Cookie") or []:
                self.cookies.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})
        finally:
            connection.close()
        self.seconds.append(time.monotonic() - started)
        self.statuses.append(response.status)
        return response.status, text

    def open(self) -> None:
        status, text = self.request("GET")
        csrf, submission = CSRF_PATTERN.search(text), SUBMISSION_PATTERN.search(text)
        assert status == 200 and csrf and submission, f"GET {self.url}: {status}"
        self.hidden = {"csrf_token": csrf.group(1), "submission": submission.group(1)}

    def send(self) -> None:
        status, text = self.request("POST", self.hidden | self.answers)
        if status == 200 and THANKS in text:
            self.outcome = "thanks"
        elif status == 409 and ALREADY in text:
            self.outcome = "already"
        else:
            self.outcome = f"{status}"


def answers_for(rng: random.Random, number: int) -> dict:
    return {"q_nps": str(rng.randint(0, 10)), "q_reason": f"Jawaban {number}",
            "q_csat_product": str(rng.randint(1, 5)), "q_csat_delivery": str(rng.randint(1, 5))}


def percentile(values: list[float], share: float) -> float:
    return sorted(values)[min(len(values) - 1, int(share * len(values)))] * 1000


def race_on_one_link(app, store, port: int, transactions, racers: int, distinct: int, workers: int,
                     request_log: RequestLog) -> dict:
    """`racers` browsers each open the same personal link, then all send at once; meanwhile `distinct`
    browsers answer links of their own. Every browser opens its page first (its own cookie and submission)."""
    rng = random.Random(5)
    survey = make_survey(store)
    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = list(pool.map(lambda _: make_invitation(store, survey).token, range(distinct + 1)))
    shared, own = tokens[0], tokens[1:]
    racing = [Browser(port, f"/s/{shared}", answers_for(rng, i)) for i in range(racers)]
    alone = [Browser(port, f"/s/{token}", answers_for(rng, racers + i)) for i, token in enumerate(own)]
    everyone = racing + alone
    transactions.counts.clear()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(Browser.open, everyone))
        opened = time.monotonic()
        # the racers go first, so the first `workers` POSTs in flight are all on the same link
        list(pool.map(Browser.send, racing + rng.sample(alone, len(alone))))
    sent = time.monotonic()

    statuses = [s for b in everyone for s in b.statuses]
    assert not [s for s in statuses if s >= 500], f"5xx: {sorted(set(statuses))}"
    outcomes = [b.outcome for b in racing]
    assert outcomes.count("thanks") == 1 and outcomes.count("already") == racers - 1, sorted(set(outcomes))
    assert {b.outcome for b in alone} == {"thanks"}
    (winner,) = [b for b in racing if b.outcome == "thanks"]
    racing_at_once = request_log.most_at_once("POST", f"/s/{shared}")
    assert racing_at_once >= 8, f"at most {racing_at_once} POSTs on the shared link were in the app at once"

    stored = {r.response_id: r for r in store.iter_responses(survey.id)}
    assert sorted(stored) == sorted(tokens), "not exactly one response per link"
    assert stored[shared].submission_id == winner.hidden["submission"]
    assert stored[shared].answers["reason"] == winner.answers["q_reason"]
    for browser in alone:
        token = browser.url.rsplit("/", 1)[1]
        assert stored[token].submission_id == browser.hidden["submission"]
    drift = reconcile(store, survey)
    assert drift.clean and drift.responses == distinct + 1, drift.items
    days = store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values()
    assert sum(day.get("n", 0) for day in days) == distinct + 1
    posts = [b.seconds[-1] for b in everyone]
    figures = {"browsers": len(everyone), "racers_on_one_link": racers, "distinct_links": distinct,
               "client_threads": workers, "http_requests": len(statuses),
               "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
               "racer_outcomes": {o: outcomes.count(o) for o in sorted(set(outcomes))},
               "responses_stored": len(stored), "open_phase_s": round(opened - started, 1),
               "send_phase_s": round(sent - opened, 1), "post_p50_ms": round(percentile(posts, 0.5)),
               "post_p95_ms": round(percentile(posts, 0.95)), "post_max_ms": round(max(posts) * 1000),
               "racers_in_the_app_at_once": racing_at_once, "posts_in_the_app_at_once": request_log.most_at_once("POST"),
               "transactions": dict(transactions.counts)}
    print(f"\nrace on one link: {json.dumps(figures)}")
    return figures


@ON_DYNAMODB_LOCAL
def test_fifty_browsers_racing_on_one_link_store_one_answer_among_200_concurrent(app, store, server, transactions,
                                                                                 request_log):
    race_on_one_link(app, store, server, transactions, racers=50, distinct=150, workers=32, request_log=request_log)


@heavy
@ON_DYNAMODB_LOCAL
def test_heavy_two_hundred_racers_among_2000_concurrent_submissions(app, store, server, transactions, request_log):
    race_on_one_link(app, store, server, transactions, racers=200, distinct=1800, workers=32, request_log=request_log)


# -- two scheduled senders ------------------------------------------------------
@pytest.fixture
def ses():
    with mock_aws():  # SES only: DynamoDB Local's address is not AWS's, so moto lets those requests through
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER_ADDRESS)
        yield ses_backends[DEFAULT_ACCOUNT_ID][REGION]


def two_senders_at_once(app, store, ses, transactions, invitations: int) -> dict:
    survey = make_survey(store)
    survey = save_survey(store, replace(survey, delivery=Delivery(channels=("email",), reminder_after_days=0)))
    sender = Sender(channels={"email": SesEmail(f"Toko Nusantara <{SENDER_ADDRESS}>", REGION)},
                    base_url="https://survey.toko.test", business_name="Toko Nusantara")

    def due(number: int) -> str:
        return create_invitation(store, survey, customer_name=f"Pelanggan {number}", email=f"c{number}@example.com",
                                 order_ref=f"race-{number}", now=NOW - timedelta(days=2),
                                 send_at=NOW - timedelta(minutes=1)).token

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = set(pool.map(due, range(invitations)))
    created = time.monotonic()
    transactions.counts.clear()
    runs = Spans()

    def one_sender():
        with app.app_context():
            return send_due(store, sender, now=NOW, batch=invitations)

    results = all_at_once([runs.timed(one_sender)] * 2)
    finished = time.monotonic()

    recipients = Counter(email.message_from_string(m.raw_data, policy=policy.default)["To"] for m in ses.sent_messages)
    assert recipients == {f"c{number}@example.com": 1 for number in range(invitations)}  # one e-mail each, no more
    assert sum(r["sent"] for r in results) == invitations
    assert runs.most_at_once() == 2, runs.spans  # the runs overlapped in time
    assert all(r["sent"] > 0 for r in results), results  # both senders claimed work
    assert all(r["claimed_by_another"] > 0 for r in results), results  # each lost invitations to the other
    states = {i.token: i.state for i in store.invitations_of(survey.id, limit=invitations + 1)}
    assert states.keys() == tokens and set(states.values()) == {"sent"}
    days = store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values()
    assert sum(day.get("inv#email#sent", 0) for day in days) == invitations
    with app.app_context():
        assert send_due(store, sender, now=NOW + timedelta(minutes=30), batch=invitations) == {}
    figures = {"invitations": invitations, "senders": 2, "outcomes": [dict(r) for r in results],
               "ses_messages": sum(recipients.values()), "distinct_recipients": len(recipients),
               "create_s": round(created - started, 1), "send_s": round(finished - created, 1),
               "transactions": dict(transactions.counts)}
    print(f"\ntwo senders: {json.dumps(figures)}")
    return figures


@ON_DYNAMODB_LOCAL
def test_two_senders_at_once_email_each_of_400_due_invitations_once(app, store, ses, transactions):
    two_senders_at_once(app, store, ses, transactions, invitations=400)


@heavy
@ON_DYNAMODB_LOCAL
def test_heavy_two_senders_at_once_email_each_of_5000_due_invitations_once(app, store, ses, transactions):
    two_senders_at_once(app, store, ses, transactions, invitations=5000)


# -- the races a customer makes alone: a double tap, the open link, its hourly limit, and faults meanwhile ------
def double_tap(browser: Browser) -> Browser:
    """Another request from the same browser: same cookies, same form, same submission id."""
    return Browser(browser.port, browser.url, browser.answers, dict(browser.cookies), dict(browser.hidden))


@ON_DYNAMODB_LOCAL
@pytest.mark.parametrize("link, times", [("personal", 8), ("open", 3)])  # open: 3 posts per browser and hour
def test_the_same_submission_sent_several_times_at_once_is_stored_once_and_thanked_each_time(
        app, store, server, request_log, link, times):
    """A double (here up to eightfold) tap on a slow connection: one answer, counted once; every tap thanked."""
    survey = make_survey(store)
    url = f"/s/{make_invitation(store, survey).token}" if link == "personal" else f"/o/{survey.id}"
    browser = Browser(server, url, answers_for(random.Random(8), 1))
    browser.open()
    taps = [double_tap(browser) for _ in range(times)]
    all_at_once([tap.send for tap in taps])
    assert request_log.most_at_once("POST", url) >= 2, "the taps never overlapped in the app"
    assert [tap.outcome for tap in taps] == ["thanks"] * times, [tap.statuses for tap in taps]
    (stored,) = store.iter_responses(survey.id)
    assert stored.submission_id == browser.hidden["submission"] and stored.answers["reason"] == "Jawaban 1"
    assert reconcile(store, survey).clean
    days = store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values()
    assert sum(day.get("n", 0) for day in days) == 1


@ON_DYNAMODB_LOCAL
def test_forty_browsers_on_the_open_link_at_once_are_each_stored_and_counted_once(app, store, server, request_log):
    app.config["OPEN_LINK_LIMIT_PER_HOUR"] = 10**6  # all from 127.0.0.1: the limit has its own race below
    survey = make_survey(store)
    rng = random.Random(40)
    browsers = [Browser(server, f"/o/{survey.id}", answers_for(rng, i)) for i in range(40)]
    for browser in browsers:
        browser.open()
    all_at_once([browser.send for browser in browsers])
    assert request_log.most_at_once("POST", f"/o/{survey.id}") >= 4
    assert [b.outcome for b in browsers] == ["thanks"] * 40
    stored = {r.submission_id: r for r in store.iter_responses(survey.id)}
    assert stored.keys() == {b.hidden["submission"] for b in browsers}
    assert all(stored[b.hidden["submission"]].answers["nps"] == int(b.answers["q_nps"]) for b in browsers)
    drift = reconcile(store, survey)
    assert drift.clean and drift.responses == 40
    days = store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values()
    assert sum(day.get("n", 0) for day in days) == 40


@ON_DYNAMODB_LOCAL
def test_the_open_links_hourly_limit_holds_when_twenty_answers_from_one_address_race(
        app, store, server, request_log, monkeypatch):
    """All from 127.0.0.1 within one (pinned) hour, a limit of 5: exactly 5 stored, 15 told to wait."""
    # the last second of the real clock's hour: the limit's counters (TTL two hours on) must outlive the test, as
    # DynamoDB Local deletes items whose TTL has passed (AWS too), so a fixed past hour could vanish mid-test
    last_second = datetime.now(timezone.utc).replace(minute=59, second=59, microsecond=0)
    monkeypatch.setattr("survey_app.web.answer.open_link.utcnow", lambda: last_second)
    app.config["OPEN_LINK_LIMIT_PER_HOUR"] = 5
    survey = make_survey(store)
    rng = random.Random(20)
    browsers = [Browser(server, f"/o/{survey.id}", answers_for(rng, i)) for i in range(20)]
    for browser in browsers:
        browser.open()
    all_at_once([browser.send for browser in browsers])
    assert request_log.most_at_once("POST", f"/o/{survey.id}") >= 4
    outcomes = Counter(b.outcome for b in browsers)
    assert outcomes == {"thanks": 5, "429": 15}, outcomes
    assert len(list(store.iter_responses(survey.id))) == 5 and reconcile(store, survey).clean
    monkeypatch.setattr("survey_app.web.answer.open_link.utcnow", lambda: last_second + timedelta(seconds=1))
    late = next(b for b in browsers if b.outcome == "429")
    late.send()
    assert late.outcome == "thanks", "the next hour's limit did not open"
    drift = reconcile(store, survey)
    assert drift.clean and drift.responses == 6, drift.items


def send_until_thanked(browser: Browser, limit: int = 40) -> int:
    """POST; on a 503 send the same form again (the page gives it back), as a customer would. Returns 503s seen."""
    for attempt in range(limit):
        status, text = browser.request("POST", browser.hidden | browser.answers)
        if status == 200 and THANKS in text:
            browser.outcome = "thanks"
            return attempt
        assert status == 503, f"{browser.url}: {status} for a resend of {browser.hidden['submission']}"
        assert SUBMISSION_PATTERN.search(text).group(1) == browser.hidden["submission"], "503 changed the submission"
        browser.hidden["csrf_token"] = CSRF_PATTERN.search(text).group(1)
    raise AssertionError(f"{browser.url}: not thanked after {limit} sends")


@ON_DYNAMODB_LOCAL
def test_faults_while_sixty_browsers_answer_at_once_lose_nothing_and_count_nothing_twice(
        app, store, server, request_log):
    """30% of DynamoDB calls failing (lost replies included: the write done, the reply lost) while 48 personal
    links and 12 open-link browsers send at once, each resending on a 503: every answer stored and counted once,
    the delivery counters ('answered' per channel) exact."""
    # resends after a 503 count against the open link's hourly limits (reported: a customer who meets three
    # store errors is then refused); this test is about store faults, so the limits are out of the way
    app.config.update(OPEN_LINK_LIMIT_PER_HOUR=10**6, OPEN_LINK_LIMIT_PER_BROWSER=10**6)
    survey = make_survey(store)
    rng = random.Random(60)
    personal = [Browser(server, f"/s/{make_invitation(store, survey).token}", answers_for(rng, i)) for i in range(48)]
    anonymous = [Browser(server, f"/o/{survey.id}", answers_for(rng, 48 + i)) for i in range(12)]
    browsers = personal + anonymous
    for browser in browsers:
        browser.open()
    faults = DynamoFaults(store.client, seed=60)
    faults.install()
    try:
        faults.fail(0.3)
        with ThreadPoolExecutor(max_workers=16) as pool:
            resends = list(pool.map(send_until_thanked, browsers))
        faults.off()
    finally:
        faults.uninstall()
    figures = faults.figures()
    print(f"\nfaults during a race: {json.dumps(figures | {'resends': sum(resends)})}")
    assert request_log.most_at_once("POST") >= 4
    assert figures["faults_injected"] >= 30 and figures["injected_by_kind"].get("read_timeout", 0) >= 5, figures
    customers = [Customer(i, b.url, b.answers, token=b.url[3:] if b.url.startswith("/s/") else "",
                          submission=b.hidden["submission"], acknowledged=b.outcome == "thanks")
                 for i, b in enumerate(browsers)]
    check_stored_once(store, survey, customers)
    days = store.daily_counters(survey.id, "2000-01-01", "2999-12-31").values()
    channel = store.get_invitation(personal[0].url[3:]).channel
    answered = {name: sum(day.get(name, 0) for day in days) for name in (f"inv#{channel}#answered", "inv#open#answered")}
    assert answered == {f"inv#{channel}#answered": 48, "inv#open#answered": 12}, answered
