"""Property-based fuzzing of every public page and form: the customer's answer pages (/s/<token>,
/s/<token>/<score>, /s/<token>/more, /o/<survey_id>, /u/<token>), the owner login, and the owner's CSV upload.

Properties: never a 5xx; every 4xx is a page with a human message; unknown, tampered and truncated tokens are
404, expired ones 410; one customer's link never shows another customer's name; nothing is recorded unless the
post was valid, and what is recorded is something the survey offers; oversized input is refused with its limit.

Each test shares one app and one set of surveys (moto) across its examples; what an example must not share
(an invitation, a browser session) it makes itself. Runs are derandomized (support.py's "seeded" profile) in
`make test`; `make fuzz` explores. Nothing is filtered out for being a known bug: the input classes of every
bug the fuzzers found are generated again, and each bug keeps its own regression test at the bottom of this file.
Each answer-form fuzzer asserts how many of its examples reached the "stored" branch, so a generator that
drifted into posting only refusals would fail rather than pass vacuously.
"""
from __future__ import annotations

import io
import re
import uuid
from collections import Counter
from datetime import datetime, timezone
from urllib.parse import quote, urlencode, urlsplit

import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st
from itsdangerous import BadData, URLSafeTimedSerializer
from markupsafe import escape
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from survey_app.domain.models import LANGUAGES
from survey_app.i18n import catalog
from survey_app.services import create_owner
from survey_app.services.login_throttle import login_wait
from survey_app.web.answer.forms import field_name
from tests.conftest import csrf_token
from tests.factories import answer_page
from tests.fuzz.support import (BODY_LIMIT, CSRF_PATTERN, ODD_TEXT, SUBMISSION_PATTERN, URLSAFE, FormPost,
                                assert_clear_4xx, assert_no_server_error, assert_valid_answers, chance, form_posts,
                                fuzz_settings, request_size, tampered, texts, valid_values)

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)
OWNER_PASSWORD = "correct horse battery"
OPEN_SUBMISSION = re.compile(r"^[0-9a-f]{32}$")


def said(page: str, key: str, **values) -> bool:
    """The catalog message `key` appears on the page, in either language."""
    return any(str(escape(catalog(lang)[key].format(**values) if values else catalog(lang)[key])) in page
               for lang in LANGUAGES)


def response_count(store, survey) -> int:
    return sum(1 for _ in store.iter_responses(survey.id))


def hidden_fields(page: str) -> dict[str, str]:
    hidden = {}
    if (csrf := CSRF_PATTERN.search(page)):
        hidden["csrf_token"] = csrf.group(1)
    if (submission := SUBMISSION_PATTERN.search(page)):
        hidden["submission"] = submission.group(1)
    return hidden


def no_stranger_names(site, page: str, allowed_token: str | None = None) -> None:
    for token, name in site.names.items():
        if token != allowed_token:
            assert name not in page, f"{name!r} (invitation {token}) shown on someone else's page"


def check_answer_post(response, post: FormPost, recorded: int, survey, stored_answers) -> None:
    """The shared verdict on one post to an answer form. `recorded`: responses added by the post."""
    event(f"status {response.status_code}")
    assert_no_server_error(response, post)
    page = response.get_data(as_text=True)
    if request_size(response) > BODY_LIMIT and post.encoding != "raw":
        assert response.status_code == 413, (response.status_code, request_size(response))
    if response.status_code == 200:
        assert said(page, "thanks_title") or said(page, "tell_more_title"), page[:500]
        assert_valid_answers(survey, stored_answers())
    else:
        assert recorded == 0, f"{response.status_code} but {recorded} response(s) recorded for {post!r}"
        assert_clear_4xx(response, post)


# ---------------------------------------------------------------- answer forms


def run_counting(examples: int, example) -> Counter:
    """Runs `example(data)` over generated data; returns how many examples ended in each outcome."""
    outcomes = Counter()

    @fuzz_settings(examples)
    @given(data=st.data())
    def run(data):
        outcomes[example(data)] += 1

    run()
    return outcomes


@MOTO
def test_personal_link_form_posts(app, site):
    def example(data):
        with site.isolated() as store:
            return personal_link_example(app, store, site, data)

    outcomes = run_counting(120, example)
    assert outcomes["stored"] >= 30, outcomes


def personal_link_example(app, store, site, data):
    invitation = site.new_invitation()
    client = app.test_client()
    page, hidden = answer_page(client, f"/s/{invitation.token}")
    assert page.status_code == 200 and invitation.customer_name in page.get_data(as_text=True)
    questions = site.survey.questions
    post = data.draw(form_posts(questions, hidden), label="post")
    before = response_count(store, site.survey)

    response = client.post(f"/s/{invitation.token}", **post.request_kwargs())

    recorded = response_count(store, site.survey) - before
    answered = store.get_invitation(invitation.token).answered_at
    check_answer_post(response, post, recorded, site.survey,
                      lambda: store.get_response(site.survey.id, invitation.token).answers)
    assert recorded == (1 if response.status_code == 200 else 0)
    assert bool(answered) == (response.status_code == 200)
    no_stranger_names(site, response.get_data(as_text=True))
    return "stored" if recorded else "refused"


@MOTO
def test_open_link_form_posts(app, site):
    app.config["OPEN_LINK_LIMIT_PER_HOUR"] = 10**9  # the limit has its own test below

    def example(data):
        with site.isolated() as store:
            return open_link_example(app, store, site, data)

    outcomes = run_counting(150, example)
    assert outcomes["stored"] >= 35, outcomes


def open_link_example(app, store, site, data):
    client = app.test_client()
    page, hidden = answer_page(client, f"/o/{site.survey.id}")
    assert page.status_code == 200
    questions = site.survey.questions
    post = data.draw(form_posts(questions, hidden), label="post")
    submission = post.first("submission") if isinstance(post.first("submission"), str) else ""
    resent = bool(OPEN_SUBMISSION.match(submission)) and store.response_exists(site.survey.id, f"o{submission}")
    before = {r.response_id for r in store.iter_responses(site.survey.id)}

    response = client.post(f"/o/{site.survey.id}", **post.request_kwargs())

    new = [r for r in store.iter_responses(site.survey.id) if r.response_id not in before]
    check_answer_post(response, post, len(new), site.survey,
                      lambda: (new[0] if new else store.get_response(site.survey.id, f"o{submission}")).answers)
    if response.status_code == 200:  # a resent submission is recognised, not counted twice
        assert len(new) == (0 if resent else 1), (len(new), resent)
    no_stranger_names(site, response.get_data(as_text=True))
    return "stored" if new else "refused"


@MOTO
def test_tell_more_posts(app, site):
    def example(data):
        with site.isolated() as store:
            return tell_more_example(app, store, site, data)

    outcomes = run_counting(100, example)
    assert outcomes["stored"] >= 25, outcomes


def tell_more_example(app, store, site, data):
    invitation = site.new_invitation()
    client = app.test_client()
    _, hidden = answer_page(client, f"/s/{invitation.token}")
    score = data.draw(st.integers(0, 10), label="score")
    quick = client.post(f"/s/{invitation.token}", data=hidden | {"q_nps": str(score), "quick": "1"})
    assert quick.status_code == 200 and said(quick.get_data(as_text=True), "tell_more_title")
    remaining = [q for q in site.survey.questions if q.id != "nps"]
    hidden = hidden_fields(quick.get_data(as_text=True))
    if data.draw(chance(1, 3), label="a browser's own post"):  # the fuzzed posts rarely keep every hidden field
        chosen = data.draw(st.lists(st.sampled_from(remaining), min_size=1, unique_by=lambda q: q.id), label="answered")
        post = FormPost(pairs=list(hidden.items()) + [(field_name(q), value) for q in chosen
                                                      for value in data.draw(valid_values(q), label=q.id)])
    else:
        post = data.draw(form_posts(remaining, hidden, extra_names=()), label="post")
    before = store.get_response(site.survey.id, invitation.token)

    response = client.post(f"/s/{invitation.token}/more", **post.request_kwargs())

    after = store.get_response(site.survey.id, invitation.token)
    event(f"status {response.status_code}")
    assert_no_server_error(response, post)
    if request_size(response) > BODY_LIMIT and post.encoding != "raw":
        assert response.status_code == 413
    assert after.answers["nps"] == score and response_count(store, site.survey) >= 1
    assert_valid_answers(site.survey, after.answers)
    if response.status_code == 200:
        assert said(response.get_data(as_text=True), "thanks_title")
    else:
        assert after == before, f"{response.status_code} but the response changed: {before} -> {after}"
        assert_clear_4xx(response, post)
    no_stranger_names(site, response.get_data(as_text=True))
    return "stored" if after.answers != before.answers else f"refused {response.status_code}"


@MOTO
def test_open_link_rate_limit_page_is_clear(app, site, monkeypatch):
    monkeypatch.setattr("survey_app.web.answer.open_link.utcnow",  # both posts inside one hour, whenever it runs
                        lambda: datetime(2026, 11, 28, 10, 59, 59, 999999, tzinfo=timezone.utc))
    app.config["OPEN_LINK_LIMIT_PER_HOUR"] = 1
    statuses = []
    for _ in range(2):
        client = app.test_client()
        _, hidden = answer_page(client, f"/o/{site.survey.id}")
        response = client.post(f"/o/{site.survey.id}", data=hidden | {"q_nps": "8"})
        statuses.append(response.status_code)
    assert statuses == [200, 429]
    assert said(response.get_data(as_text=True), "rate_limited_body")
    assert_clear_4xx(response)


# ---------------------------------------------------------------- links: tokens, ids, paths, queries

TOKEN_ROUTES = [("GET", "/s/{}"), ("HEAD", "/s/{}"), ("GET", "/s/{}/{score}"), ("POST", "/s/{}"),
                ("POST", "/s/{}/more"), ("GET", "/u/{}"), ("POST", "/u/{}")]


def queries() -> st.SearchStrategy[str]:
    pair = st.tuples(st.one_of(st.sampled_from(["lang", "next", "score", "token"]), st.text(max_size=10)),
                     st.one_of(st.sampled_from(["id", "en", "EN", "fr", ""]), texts(huge=False)))
    return st.one_of(st.just(""), st.lists(pair, max_size=3).map(lambda p: urlencode(p)),
                     st.text(alphabet="abcdefghijklmnopqrstuvwxyz=&%;+?/[]0123456789", max_size=30))


def with_query(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


def tokens_like(site) -> st.SearchStrategy[str]:
    """Tampered and truncated versions of real tokens, valid-looking unknown ones, and junk."""
    real = st.sampled_from(sorted(site.tokens))
    return st.one_of(
        real.flatmap(tampered),
        real.map(str.swapcase), real.map(lambda t: t[::-1]), real.map(lambda t: f" {t}"),
        real.map(lambda t: t + "\x00"),
        st.text(alphabet=URLSAFE, min_size=12, max_size=12),
        st.text(alphabet=URLSAFE, min_size=1, max_size=3000),
        st.text(min_size=1, max_size=30), ODD_TEXT,
    )


@MOTO
@fuzz_settings(200)
@given(data=st.data())
def test_tampered_truncated_and_unknown_tokens_are_404(app, site, data):
    token = data.draw(tokens_like(site), label="token")
    assume(token not in site.tokens and token.strip() not in ("", ".", "..") and "/" not in token)
    method, route = data.draw(st.sampled_from(TOKEN_ROUTES), label="route")
    query = data.draw(queries(), label="query")
    path = with_query(route.format(quote(token, safe=""), score=data.draw(st.integers(0, 10**20))), query)
    form = data.draw(st.dictionaries(st.text(max_size=10), texts(huge=False), max_size=3), label="form")

    response = app.test_client().open(path, method=method, data=form if method == "POST" else None)

    assert response.status_code == 404, (path, response.status_code)
    if method != "HEAD":
        assert_clear_4xx(response, path)
        assert said(response.get_data(as_text=True), "not_found_body")
    no_stranger_names(site, response.get_data(as_text=True))


@MOTO
@fuzz_settings(60)
@given(data=st.data())
def test_expired_links_are_410_and_can_still_unsubscribe(app, site, data):
    method, route = data.draw(st.sampled_from(TOKEN_ROUTES), label="route")
    path = with_query(route.format(site.expired.token, score=data.draw(st.integers(0, 10**6))),
                      data.draw(queries(), label="query"))
    form = data.draw(st.dictionaries(st.text(max_size=10), texts(huge=False), max_size=3), label="form")

    response = app.test_client().open(path, method=method, data=form if method == "POST" else None)

    page = response.get_data(as_text=True)
    if route.startswith("/u/"):  # opting out works for as long as the invitation is kept
        assert response.status_code == 200, (path, response.status_code)
    else:
        assert response.status_code == 410, (path, response.status_code)
        if method != "HEAD":
            assert_clear_4xx(response, path)
            assert said(page, "expired_body")
    no_stranger_names(site, page)


@MOTO
@fuzz_settings(120)
@given(data=st.data())
def test_real_links_with_junk_queries_show_only_their_own_customer(app, site, data):
    invitation = data.draw(st.sampled_from([site.alice, site.bob, site.carol]), label="invitation")
    method, route = data.draw(st.sampled_from([("GET", "/s/{}"), ("GET", "/s/{}/{score}"), ("GET", "/u/{}"),
                                               ("POST", "/u/{}")]), label="route")
    score = data.draw(st.one_of(st.integers(0, 10), st.integers(11, 10**20)), label="score")
    path = with_query(route.format(invitation.token, score=score), data.draw(queries(), label="query"))
    headers = {"Accept-Language": data.draw(st.one_of(st.just("en"), texts(huge=False).map(
        lambda s: "".join(c for c in s if " " <= c <= "~"))), label="accept-language")}
    body = data.draw(st.one_of(st.binary(max_size=100), st.just(b"x" * (BODY_LIMIT + 10))), label="body")

    response = app.test_client().open(path, method=method, headers=headers,
                                      data=body if method == "POST" else None)

    assert response.status_code == 200, (path, response.status_code)
    page = response.get_data(as_text=True)
    if route.startswith("/s/") and not site.store.get_invitation(invitation.token).answered_at:
        assert invitation.customer_name in page
    no_stranger_names(site, page, allowed_token=invitation.token)


SEGMENTS = st.one_of(
    st.text(max_size=20).map(lambda s: quote(s, safe="")),
    st.binary(max_size=12).map(lambda b: quote(b, safe="")),  # percent-encoded bytes, often not UTF-8
    st.sampled_from(["%", "%G1", "%%", "%0", "%00", "%2F", "%252F", "..", ".", ";", ";x=1", "%ED%A0%80", "%C0%AF",
                     "%FF%FE", "~", "+", "%20", "%0D%0A", "more", "5", "-1", "00", "1e3"]),
    st.text(alphabet=URLSAFE + "%.~!$&'()*+,;=:@", max_size=20),
)


@MOTO
@fuzz_settings(200)
@given(prefix=st.sampled_from(["/s/", "/o/", "/u/", "/s", "/o", "/u", "/", "/login", "/logout", "/static/",
                               "/api/v1/"]),
       segments=st.lists(SEGMENTS, max_size=3), query=queries(),
       method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]))
def test_random_paths_under_the_public_prefixes(app, site, prefix, segments, query, method):
    path = with_query(prefix + "/".join(segments), query)
    assume(not path.startswith("//"))  # the test client would read '//host:port' as a network location

    response = app.test_client().open(path, method=method)

    assert_no_server_error(response, path)
    event(f"status {response.status_code}")
    if 400 <= response.status_code < 500 and method != "HEAD" and not path.startswith("/api/v1/purchases"):
        assert_clear_4xx(response, path)  # the purchases endpoint answers JSON: test_api_schema.py
    no_stranger_names(site, response.get_data(as_text=True))


@MOTO
@fuzz_settings(100)
@given(data=st.data())
def test_open_link_ids_other_surveys_and_junk(app, site, data):
    app.config["OPEN_LINK_LIMIT_PER_HOUR"] = 10**9  # every open-link POST takes a token, valid or not
    real = {site.survey.id: site.survey, site.other_survey.id: site.other_survey}
    survey_id = data.draw(st.one_of(st.sampled_from(sorted(real)), st.sampled_from(sorted(real)).flatmap(tampered),
                                    st.text(alphabet=URLSAFE, min_size=12, max_size=12), st.text(min_size=1),
                                    ODD_TEXT), label="survey_id")
    assume(survey_id.strip() not in ("", ".", "..") and "/" not in survey_id)
    method = data.draw(st.sampled_from(["GET", "POST"]), label="method")
    path = with_query(f"/o/{quote(survey_id, safe='')}", data.draw(queries(), label="query"))

    response = app.test_client().open(path, method=method, data={"q_nps": "7"} if method == "POST" else None)

    page = response.get_data(as_text=True)
    if survey_id in real:
        assert response.status_code == (200 if method == "GET" else 400), (path, response.status_code)
        assert str(escape(real[survey_id].title.en)) in page or str(escape(real[survey_id].title.id)) in page
    else:
        assert response.status_code == 404, (path, response.status_code)
        assert_clear_4xx(response, path)
    no_stranger_names(site, page)


# ---------------------------------------------------------------- owner login

NEXT_TARGETS = st.one_of(st.none(), texts(huge=False), st.sampled_from([
    "//evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example/", "http:evil.example",
    "/\t/evil.example", "/\n/evil.example", "javascript:alert(1)", "/%2F%2Fevil.example", "///evil.example",
    " //evil.example", "/owner/?x=//evil.example", "/owner/", "/o/x", "%2F%2Fevil.example", "/\\/evil.example",
]))


def same_csrf_token(app, sent, issued: str) -> bool:
    """Whether Flask-WTF reads `sent` as the token it issued. Not plain equality: itsdangerous drops non-ASCII
    characters and base64 ignores stray ones, so 'token' + '\x80' is the same token (harmless: it is the token)."""
    serializer = URLSafeTimedSerializer(app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key, salt="wtf-csrf-token")
    try:
        return isinstance(sent, str) and bool(sent) and serializer.loads(sent) == serializer.loads(issued)
    except BadData:
        return False


def lands_on_this_site(location: str) -> bool:
    """Where a browser would go: it drops tabs and newlines and reads backslashes as slashes."""
    seen = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    parts = urlsplit(seen)
    return seen.startswith("/") and not seen.startswith("//") and not parts.scheme and not parts.netloc


@MOTO
@fuzz_settings(100)
@given(data=st.data())
def test_login_posts(app, store, data):
    email = f"owner-{uuid.uuid4().hex[:12]}@example.test"  # fresh: failures delay an account's sign-ins
    use_owner = data.draw(st.booleans(), label="real owner")
    if use_owner:
        create_owner(store, email, OWNER_PASSWORD)
    client = app.test_client()
    csrf = csrf_token(client, "/login")
    emails = st.one_of(st.just(email), st.just(email), st.just(f" {email.upper()} "), texts(),
                       st.just("a" * 250 + "@x.id"))
    passwords = st.one_of(st.just(OWNER_PASSWORD), st.just(OWNER_PASSWORD), texts())
    post = data.draw(login_posts(csrf, emails, passwords), label="post")
    next_target = data.draw(NEXT_TARGETS, label="next")
    address = data.draw(st.ip_addresses(v=4).map(str), label="REMOTE_ADDR")
    path = "/login" + (f"?{urlencode({'next': next_target})}" if next_target is not None else "")

    locked = login_wait(store, str(post.first("email") or ""), address) > 0

    response = client.post(path, environ_base={"REMOTE_ADDR": address}, **post.request_kwargs())

    assert_no_server_error(response, post)
    event(f"status {response.status_code}")
    csrf_ok = post.encoding in ("urlencoded", "multipart") and same_csrf_token(app, post.first("csrf_token"), csrf)
    right = (csrf_ok and use_owner and (post.first("email") or "").strip().lower() == email
             and post.first("password") == OWNER_PASSWORD)
    event(f"right credentials: {right}")
    if request_size(response) > BODY_LIMIT and post.encoding != "raw":
        assert response.status_code == 413
    elif right and not locked:
        assert response.status_code == 302, response.status_code
    if response.status_code == 302:
        assert right, f"logged in with {post!r}"
        assert lands_on_this_site(response.headers["Location"]), (next_target, response.headers["Location"])
    else:
        assert response.status_code in (400, 401, 413, 429), response.status_code
        assert_clear_4xx(response, post)


@st.composite
def login_posts(draw, csrf: str, emails, passwords) -> FormPost:
    post = draw(form_posts([], {"csrf_token": csrf}, extra_names=()))
    post.pairs = [p for p in post.pairs if p[0] != "submission"]
    if draw(chance(4, 5)):
        post.pairs.append(("email", draw(emails)))
    if draw(chance(4, 5)):
        post.pairs.append(("password", draw(passwords)))
    if draw(chance(1, 6)):  # repeated fields: the first one counts
        post.pairs.append((draw(st.sampled_from(["email", "password"])), draw(texts(huge=False))))
    return post


# ---------------------------------------------------------------- oversized input


def _encoded_length(char: str) -> int:
    return len(quote(char))


@MOTO
@fuzz_settings(30)
@given(data=st.data())
def test_over_long_answers_are_refused_with_the_limit(app, site, data):
    app.config["OPEN_LINK_LIMIT_PER_HOUR"] = 10**9
    with site.isolated() as store:
        over_long_example(app, store, site, data)


def over_long_example(app, store, site, data):
    question_id, limit = data.draw(st.sampled_from([("reason", 2000), ("city", 200)]), label="question")
    char = data.draw(st.sampled_from(["x", "é", "😀", " ", "\x00", "ক"]), label="char")
    length = data.draw(st.integers(limit + 1, min(60_000 // _encoded_length(char), limit * 5)), label="length")
    route = data.draw(st.sampled_from(["personal", "open"]), label="route")
    url = f"/s/{site.new_invitation().token}" if route == "personal" else f"/o/{site.survey.id}"
    client = app.test_client()
    _, hidden = answer_page(client, url)
    before = response_count(store, site.survey)

    response = client.post(url, data=hidden | {"q_nps": "9", f"q_{question_id}": "a" + char * (length - 1)})

    assert response.status_code == 400, response.status_code
    message = assert_clear_4xx(response)
    assert str(limit) in message, message
    assert response_count(store, site.survey) == before


@MOTO
@fuzz_settings(25)
@given(route=st.sampled_from(["personal", "open", "more", "login"]),
       size=st.integers(BODY_LIMIT + 10, 3 * BODY_LIMIT), encoding=st.sampled_from(["urlencoded", "multipart"]),
       char=st.sampled_from(["x", "é", "😀"]))
def test_bodies_over_64_kb_get_a_clear_413(app, site, route, size, encoding, char):
    app.config["OPEN_LINK_LIMIT_PER_HOUR"] = 10**9
    with site.isolated() as store:
        too_large_example(app, store, site, route, size, encoding, char)


def too_large_example(app, store, site, route, size, encoding, char):
    client = app.test_client()
    invitation = site.new_invitation()
    url = {"personal": f"/s/{invitation.token}", "open": f"/o/{site.survey.id}",
           "more": f"/s/{invitation.token}/more", "login": "/login"}[route]
    hidden = {"csrf_token": csrf_token(client, "/login")}
    if route == "more":
        _, hidden = answer_page(client, f"/s/{invitation.token}")
        quick = client.post(f"/s/{invitation.token}", data=hidden | {"q_nps": "3", "quick": "1"})
        hidden = hidden_fields(quick.get_data(as_text=True))
    before = response_count(store, site.survey)
    value = char * (size // len(char.encode()))  # bytes over the limit, well under werkzeug's 500 KB spool
    post = FormPost(pairs=list(hidden.items()) + [("q_nps", "9"), ("q_reason", value)], encoding=encoding)

    response = client.post(url, **post.request_kwargs())

    assert request_size(response) > BODY_LIMIT
    assert response.status_code == 413, response.status_code
    assert_clear_4xx(response)
    assert said(response.get_data(as_text=True), "too_large_body")
    assert response_count(store, site.survey) == before


# ---------------------------------------------------------------- owner CSV upload

CSV_COLUMNS = ["name", "email", "phone", "order_ref", "purchased_at", "language", "product", "store", "customer_name"]
CSV_CELLS = st.one_of(
    texts(huge=False).map(lambda s: s[:300]), st.emails().map(str), st.sampled_from(["0812-3456-7890", "+62 812 1111",
                                                                                     "id", "en", "ID", ""]),
    st.datetimes(min_value=datetime.min, max_value=datetime.max).map(lambda d: d.isoformat(" ")),
)


@st.composite
def csv_files(draw) -> bytes:
    if draw(chance(1, 6)):
        return draw(st.binary(max_size=3000))
    delimiter = draw(st.sampled_from([",", ",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    header = draw(st.lists(st.one_of(st.sampled_from(CSV_COLUMNS), st.text(max_size=12)), max_size=9))
    rows = draw(st.lists(st.lists(CSV_CELLS, max_size=len(header) + 2), max_size=12))
    lines = [delimiter.join(header)] + [delimiter.join(f'"{c}"' if draw(st.booleans()) else c for c in row)
                                        for row in rows]
    if draw(chance(1, 7)):  # around the row limit, with rows the import refuses without writing
        lines += ["Nobody,,,,"] * draw(st.integers(990, 1010))
    if draw(st.sampled_from([False, True] + [False] * 8)):  # a cell over the csv module's 128 KiB limit (a 500, fixed)
        cell = "x" * draw(st.sampled_from([128 * 1024 - 1, 128 * 1024, 128 * 1024 + 1, 140_000]))
        lines.insert(draw(st.integers(1, len(lines))), f'Budi,b@example.com,"{cell}"' if draw(st.booleans()) else cell)
    text = newline.join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


@pytest.fixture
def logged_in(owner):
    owner.login()
    return owner


@MOTO
@fuzz_settings(60)
@given(data=st.data())
def test_csv_uploads(app, client, logged_in, site, data):
    with site.isolated():
        csv_example(client, site, data)


def csv_example(client, site, data):
    url = f"/owner/surveys/{site.survey.id}/import"
    csrf = csrf_token(client, url)
    content = data.draw(csv_files(), label="csv")
    filename = data.draw(st.one_of(st.just("purchases.csv"), st.text(max_size=30)), label="filename")
    shape = data.draw(st.sampled_from(["file", "file", "file", "text field", "missing", "two files"]), label="shape")
    fields = {"csrf_token": csrf} if data.draw(chance(5, 6)) else {}
    if shape == "file":
        fields["csv_file"] = (io.BytesIO(content), filename)
    elif shape == "text field":
        fields["csv_file"] = content.decode("utf-8", "replace")
    elif shape == "two files":
        fields["csv_file"] = [(io.BytesIO(content), filename), (io.BytesIO(b"a,b\n"), "b.csv")]

    response = client.post(url, data=fields, content_type="multipart/form-data")

    event(f"status {response.status_code}")
    if len(content) > 128 * 1024:
        event(f"over 128 KiB: status {response.status_code}")
    assert_no_server_error(response, content[:200])
    if response.status_code == 303:  # a file of a new shape waits for its mapping (web/dashboard/imports.py)
        step = client.get(response.headers["Location"])
        assert_no_server_error(step, content[:200])
        assert step.status_code == 200 and 'id="mapping-columns"' in step.get_data(as_text=True)
        return
    page = response.get_data(as_text=True)
    if response.status_code == 200:
        assert 'id="import-report"' in page
    else:
        assert response.status_code in (400, 413), response.status_code
        message = assert_clear_4xx(response, content[:200])
        if said(page, "import_too_many", n=1000):
            assert "1000" in message


# ---------------------------------------------------------------- regression tests of the fuzzers' findings (all fixed)


@MOTO
@pytest.mark.parametrize("route", ["personal", "open", "more"])
def test_blank_optional_rating_is_unanswered_not_a_crash(app, store, site, route):
    client = app.test_client()
    invitation = site.new_invitation()
    url = f"/s/{invitation.token}" if route != "open" else f"/o/{site.survey.id}"
    _, hidden = answer_page(client, url)
    extra = {"q_csat_product": " "}
    if route == "more":
        quick = client.post(url, data=hidden | {"q_nps": "9", "quick": "1"})
        hidden, url, extra = hidden_fields(quick.get_data(as_text=True)), f"{url}/more", extra
    else:
        extra |= {"q_nps": "9"}
    response = client.post(url, data=hidden | extra)
    assert response.status_code == 200
    assert all("csat_product" not in r.answers for r in store.iter_responses(site.survey.id))


@MOTO
@pytest.mark.parametrize("route", ["personal", "open", "more"])
@pytest.mark.parametrize("body", [b"1", b'"q_nps"', b"[1, 2]", b"Infinity"])
def test_json_scalar_bodies_on_answer_forms_are_refused_not_crashed(app, site, route, body):
    client = app.test_client()
    invitation = site.new_invitation()
    url = {"personal": f"/s/{invitation.token}", "open": f"/o/{site.survey.id}",
           "more": f"/s/{invitation.token}/more"}[route]
    if route == "more":
        _, hidden = answer_page(client, f"/s/{invitation.token}")
        client.post(f"/s/{invitation.token}", data=hidden | {"q_nps": "9", "quick": "1"})
    response = client.post(url, data=body, content_type="application/json")
    assert_clear_4xx(response)


@MOTO
@pytest.mark.parametrize("city", [123, True, {"nested": ["object"]}, 0, [1, 2]])
def test_json_answers_with_non_string_values_are_refused(app, store, site, city):
    client = app.test_client()
    _, hidden = answer_page(client, f"/o/{site.survey.id}")
    try:
        response = client.post(f"/o/{site.survey.id}", json=hidden | {"q_nps": "9", "q_city": city})
    except TypeError as crash:
        pytest.fail(f"500: {crash!r}")
    assert response.status_code in (400, 415), response.status_code
    for stored in store.iter_responses(site.survey.id):
        assert_valid_answers(site.survey, stored.answers)


@MOTO
@pytest.mark.parametrize("values", [[" "], ["", "price"], ["", "<b>not an option</b>"]])
def test_multi_choice_with_a_blank_first_value_records_nothing_unoffered(app, store, site, values):
    client = app.test_client()
    _, hidden = answer_page(client, f"/o/{site.survey.id}")
    response = client.post(f"/o/{site.survey.id}", data=hidden | {"q_nps": "9", "q_liked": values})
    assert response.status_code in (200, 400)
    for stored in store.iter_responses(site.survey.id):
        assert_valid_answers(site.survey, stored.answers)


@MOTO
@pytest.mark.parametrize("fields,limit", [({"email": "", "password": "x"}, None),
                                          ({"email": "a" * 250 + "@x.id", "password": "x"}, "254"),
                                          ({"email": "a@x.id", "password": "p" * 201}, "200")])
def test_login_form_errors_say_what_is_wrong(app, fields, limit):
    client = app.test_client()
    response = client.post("/login", data={"csrf_token": csrf_token(client, "/login")} | fields)
    assert response.status_code == 400
    message = assert_clear_4xx(response)
    assert limit is None or limit in message


@pytest.mark.parametrize("engine", ["dynamodb_local"], indirect=True)  # moto copies its table per transaction
def test_csv_between_64_kb_and_the_web_import_limit_is_accepted(app, client, logged_in, site):
    rows = "".join(f"Customer {i},c{i}@example.com,,ORDER-{i:04d},,en,{'Kopi ' * 12}\n" for i in range(900))
    content = ("name,email,phone,order_ref,purchased_at,language,product\n" + rows).encode()
    assert BODY_LIMIT < len(content) < app.config["WEB_IMPORT_MAX_BYTES"]
    url = f"/owner/surveys/{site.survey.id}/import"
    response = client.post(url, content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(client, url), "csv_file": (io.BytesIO(content), "p.csv")})
    assert response.status_code == 200, response.status_code
    created = site.store.invitations_of(site.survey.id, limit=2000)
    assert sorted(i.order_ref for i in created if i.order_ref.startswith("ORDER-")) == [
        f"ORDER-{i:04d}" for i in range(900)]


@MOTO
def test_csv_over_the_web_import_limit_is_refused_with_the_limit_stated(app, client, logged_in, site):
    content = b"name,email,order_ref\n" + b"x,x@example.com,R\n" * (600 * 1024 // 18)
    url = f"/owner/surveys/{site.survey.id}/import"
    # encoded in memory: the test client would spool a body over 500 KB to a temporary file it never closes
    boundary, body = encode_multipart(MultiDict({"csrf_token": csrf_token(client, url),
                                                 "csv_file": FileStorage(io.BytesIO(content), "p.csv")}))
    response = client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    # web/access.py raises the request's limit to WEB_IMPORT_MAX_BYTES for this view; web/errors.py states it
    assert app.config["WEB_IMPORT_MAX_BYTES"] == 512 * 1024 < len(body)
    assert response.status_code == 413, response.status_code
    message = assert_clear_4xx(response)
    assert said(response.get_data(as_text=True), "too_large_body") and message.endswith(": 512 KB)"), message
    assert not [i for i in site.store.invitations_of(site.survey.id, limit=100) if i.order_ref == "R"]


@MOTO
def test_csv_with_a_cell_over_128_kib_is_refused_clearly(app, client, logged_in, site):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    content = (b'name,email,order_ref\nBudi,b@example.com,R0\n"' + b"x" * 140_000 + b'",a@example.com,R1\n'
               b"Sari,s@example.com,R2\n")
    url = f"/owner/surveys/{site.survey.id}/import"
    response = client.post(url, content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(client, url), "csv_file": (io.BytesIO(content), "p.csv")})
    assert response.status_code == 200, response.status_code
    refusals = re.findall(r"<li>(?:[Ll]ine|[Bb]aris) (\d+): ([^<]*)</li>", response.get_data(as_text=True))
    assert [line for line, _ in refusals] == ["3"] and "unreadable" in refusals[0][1], refusals
    created = site.store.invitations_of(site.survey.id, limit=100)
    assert [i.order_ref for i in created if i.order_ref.startswith("R")] == ["R0"]  # before the line, not after


@MOTO
def test_purchase_dated_near_year_9999_is_refused_not_a_crash_csv(app, client, logged_in, site):
    content = b"name,email,order_ref,purchased_at\nBudi,budi@example.com,R1,9999-12-31\n"
    url = f"/owner/surveys/{site.survey.id}/import"
    response = client.post(url, content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(client, url), "csv_file": (io.BytesIO(content), "p.csv")})
    assert response.status_code == 200 and "purchased_at" in response.get_data(as_text=True)


@pytest.mark.parametrize("engine", ["dynamodb_local"], indirect=True)  # moto does not enforce DynamoDB key sizes
@pytest.mark.parametrize("path", ["/s/" + "a" * 2100, "/u/" + "a" * 2100, "/o/" + "a" * 1100,
                                  "/s/" + "é" * 1100 + "/5"])
def test_overlong_tokens_and_survey_ids_are_404_on_aws_engine(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 404, response.status_code
