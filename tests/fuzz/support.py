"""Shared pieces of the fuzz tests: hypothesis settings, input strategies, and the oracles every answer must pass.

Oracles, in one place so both fuzz modules judge the same way:
- `assert_clear_4xx`: a 4xx HTML page carries a human message (an alert on the form, or the title and text of
  the error/done page), never Werkzeug's default wording.
- `assert_valid_answers`: what was stored is something the survey could have asked for.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from operator import mul

from hypothesis import settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import default_exceptions

from survey_app.domain.models import MULTI, RATING_SCALES, SHORT_TEXT, SINGLE
from survey_app.web.answer.forms import LONG_TEXT_MAX, SHORT_TEXT_MAX, field_name
from tests.fuzz.profiles import PROFILE

BODY_LIMIT = 64 * 1024  # survey_app/config.py MAX_CONTENT_LENGTH
URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SUBMISSION_PATTERN = re.compile(r'name="submission" type="hidden" value="([0-9a-f]+)"')


def fuzz_settings(max_examples: int) -> settings:
    """The run's profile (tests/fuzz/profiles.py: seeded in `make test`, explore in `make fuzz`) with
    `max_examples` scaled by FUZZ_EXAMPLES_SCALE (10 under `make fuzz`)."""
    scale = float(os.environ.get("FUZZ_EXAMPLES_SCALE", "1"))
    return settings(settings.get_profile(PROFILE), max_examples=max(1, round(max_examples * scale)))


# ---------------------------------------------------------------- oracles

WERKZEUG_DEFAULTS = sorted({cls.description for cls in default_exceptions.values() if cls.description})
ALERT = re.compile(r'role="alert">([^<]*\S[^<]*)<')
MESSAGE_PAGE = re.compile(r'<main>\s*(?:<div class="done">\s*)?<h1>([^<]*\S[^<]*)</h1>\s*<p>([^<]*\S[^<]*)</p>')


def human_message(page: str) -> str | None:
    """The message a person reads on this page: a form alert, or an error/done page's title and text."""
    alerts = ALERT.findall(page)
    if alerts:
        return " ".join(a.strip() for a in alerts)
    if (match := MESSAGE_PAGE.search(page)):
        return f"{match.group(1).strip()}: {match.group(2).strip()}"
    return None


def assert_clear_4xx(response, context: object = "") -> str:
    """A 4xx HTML page that says what happened in words, not Werkzeug's default page. Returns the message."""
    assert 400 <= response.status_code < 500, (response.status_code, context)
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html", (response.status_code, response.mimetype, context)
    assert not re.search(r"<title>\d{3} ", page), f"bare Werkzeug page: {page[:300]!r} ({context})"
    for default in WERKZEUG_DEFAULTS:
        assert default not in page, f"Werkzeug default text {default!r} on a {response.status_code} ({context})"
    message = human_message(page)
    assert message, f"{response.status_code} page without a human message: {page[:600]!r} ({context})"
    return message


def assert_no_server_error(response, context: object = "") -> None:
    assert response.status_code < 500, (
        f"{response.status_code} for {context!r}: {response.get_data(as_text=True)[:400]!r}")


def assert_valid_answers(survey, answers: dict) -> None:
    """Every stored answer is one the survey offers; required questions are answered; texts within limits."""
    questions = {q.id: q for q in survey.questions}
    for required in (q.id for q in survey.questions if q.required):
        assert required in answers, (required, answers)
    for question_id, value in answers.items():
        assert question_id in questions, (question_id, answers)
        question = questions[question_id]
        options = {o.value for o in question.options}
        if question.type in RATING_SCALES:
            low, high = RATING_SCALES[question.type]
            assert isinstance(value, int) and low <= value <= high, (question_id, value)
        elif question.type == SINGLE:
            assert value in options, (question_id, value)
        elif question.type == MULTI:
            assert isinstance(value, list) and value and set(value) <= options, (question_id, value)
        else:
            limit = SHORT_TEXT_MAX if question.type == SHORT_TEXT else LONG_TEXT_MAX
            assert isinstance(value, str) and value == value.strip() and 0 < len(value) <= limit, (question_id, value)


# ---------------------------------------------------------------- strategies

ODD_TEXT = st.sampled_from([
    "", " ", "\x00", "a\x00b", "\r\n", "\t", "\u202e", "\ufeff", "\u200b", "\u3000", "'", '"', "<script>x</script>",
    "%00", "%", "\\", "😀", "İ", "ǅ", "../../etc/passwd", "${7*7}", "{{7*7}}", "null", "[]", "0x10", "١٠",
])


def _run(char: str, size: int) -> str:
    """About `size` UTF-8 bytes of `char`."""
    return char * max(1, size // len(char.encode()))


def chance(numerator: int, denominator: int) -> st.SearchStrategy[bool]:
    """True numerator times in denominator (st.integers leans towards 0, which skews simple odds)."""
    return st.sampled_from([True] * numerator + [False] * (denominator - numerator))


def texts(huge: bool = True) -> st.SearchStrategy[str]:
    """Short unicode (no lone surrogates: a browser cannot send them in a form), odd characters, long runs
    around the 200/2000 character limits and, with `huge`, 16-70 KB runs around the 64 KB body limit."""
    parts = [st.text(max_size=40), ODD_TEXT,
             st.builds(mul, st.text(min_size=1, max_size=3), st.integers(150, 2100))]
    if huge:
        parts.append(st.builds(_run, st.sampled_from(["x", "é", "😀", "\x00"]), st.integers(16_000, 70_000)))
    return st.one_of(*parts)


SPOOL_BUDGET = 400 * 1024  # werkzeug's test client spools a multipart body over 500 KB to a temporary file it
# never closes (ResourceWarning -> error under filterwarnings=error); nothing over 64 KB is read anyway


def _within_budget(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    kept, total = [], 0
    for name, value in pairs:
        size = len(name.encode()) + len(value.encode()) + 200
        if total + size <= SPOOL_BUDGET:
            kept.append((name, value))
            total += size
    return kept


def rating_values(low: int, high: int) -> st.SearchStrategy[str]:
    return st.one_of(st.integers(low - 3, high + 3).map(str),
                     st.sampled_from([f" {high}", f"{low} ", f"0{low}", f"{low}.0", f"+{low}", "-0", "1e1", "٥", "５"]),
                     texts(huge=False))


def values_for(question) -> st.SearchStrategy[str]:
    if question.type in RATING_SCALES:
        return rating_values(*RATING_SCALES[question.type])
    if question.options:
        return st.one_of(st.sampled_from([o.value for o in question.options]), texts(huge=False))
    return texts()


def one_or_many(values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """A field sent once (the usual case), several times, or not at all."""
    return st.one_of(values.map(lambda v: [v]), st.lists(values, min_size=0, max_size=4))


@dataclass
class FormPost:
    """One generated form post: pairs in order (repeated names allowed), how it is encoded, what it claims."""

    pairs: list[tuple[str, str]] = field(default_factory=list)
    encoding: str = "urlencoded"  # or "multipart", "json" (Flask-WTF reads JSON bodies as form data too), or
    # "raw" (random bytes under a random content type)
    raw: bytes = b""
    content_type: str = ""
    csrf_mode: str = "valid"

    def values(self, name: str) -> list:
        """What the server reads for `name`: the pairs of a form, the member of a JSON object, nothing of raw."""
        if self.encoding == "json":
            body = json.loads(self.raw)
            value = body.get(name) if isinstance(body, dict) else None
            return [] if value is None else value if isinstance(value, list) else [value]
        if self.encoding == "raw":
            return []
        return [v for n, v in self.pairs if n == name]

    def first(self, name: str):
        return next(iter(self.values(name)), None)

    def request_kwargs(self) -> dict:
        if self.encoding in ("raw", "json"):
            return {"data": self.raw, "content_type": self.content_type}
        data = MultiDict(self.pairs)
        if self.encoding == "multipart":
            return {"data": data, "content_type": "multipart/form-data"}
        return {"data": data}

    def __repr__(self) -> str:  # hypothesis prints falsifying examples: keep 70 KB strings readable
        def short(value: str) -> str:
            return value if len(value) <= 60 else f"{value[:20]!r}...({len(value)} chars)"
        shown = [(n, short(v)) for n, v in self.pairs]
        return (f"FormPost(encoding={self.encoding!r}, csrf={self.csrf_mode!r}, pairs={shown!r}"
                + (f", raw={self.raw[:80]!r}..({len(self.raw)} bytes), content_type={self.content_type!r}"
                   if self.encoding == "raw" else "") + ")")


def tampered(token: str) -> st.SearchStrategy[str]:
    """Truncated, extended, or with one character replaced (sometimes by itself: callers filter real tokens)."""
    return st.one_of(
        st.integers(0, max(len(token) - 1, 0)).map(lambda n: token[:n]),
        st.text(max_size=8).map(lambda junk: token + junk),
        st.tuples(st.integers(0, max(len(token) - 1, 0)), st.characters()).map(
            lambda t: token[:t[0]] + t[1] + token[t[0] + 1:]),
    )


def valid_values(question) -> st.SearchStrategy[list[str]]:
    """What a browser would send for a good answer: one scale point or option, a set of boxes, some text."""
    if question.type in RATING_SCALES:
        low, high = RATING_SCALES[question.type]
        return st.integers(low, high).map(lambda v: [str(v)])
    options = [o.value for o in question.options]
    if question.type == MULTI:
        return st.lists(st.sampled_from(options), min_size=1, unique=True)
    if options:
        return st.sampled_from(options).map(lambda v: [v])
    limit = SHORT_TEXT_MAX if question.type == SHORT_TEXT else LONG_TEXT_MAX
    return st.one_of(st.text(min_size=1, max_size=60), st.just("é" * limit)).map(lambda v: [v])


MUTATIONS = ["hostile value", "hostile value", "drop an answer", "repeat a field", "extra field", "huge value",
             "answer twice"]


@st.composite
def form_posts(draw, questions, hidden: dict[str, str], extra_names=("quick",)) -> FormPost:
    """A post to an answer form: a good answer set (what a browser would send), then up to three mutations
    (hostile or out-of-range values, dropped or repeated fields, junk fields, 16-70 KB values), the page's
    hidden fields kept, dropped or tampered with, and one of four encodings."""
    csrf = hidden.get("csrf_token", "")
    csrf_mode = draw(st.sampled_from(["valid"] * 6 + ["missing", "wrong", "tampered", "repeated"]))
    pairs: list[tuple[str, str]] = []
    if csrf_mode == "valid":
        pairs.append(("csrf_token", csrf))
    elif csrf_mode == "wrong":
        pairs.append(("csrf_token", draw(texts(huge=False))))
    elif csrf_mode == "tampered":
        pairs.append(("csrf_token", draw(tampered(csrf))))
    elif csrf_mode == "repeated":
        pairs += [("csrf_token", draw(texts(huge=False))), ("csrf_token", csrf)]
    submission = draw(st.one_of(
        st.just(hidden.get("submission")), st.just(hidden.get("submission")), st.none(), texts(huge=False),
        st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
        st.text(alphabet="0123456789abcdef", min_size=0, max_size=40)))
    if submission is not None:
        pairs.append(("submission", submission))
    for name in extra_names:
        if draw(chance(1, 4)):
            pairs.append((name, draw(st.one_of(st.just("1"), texts(huge=False)))))
    answers = {field_name(q): draw(valid_values(q)) for q in questions if q.required or draw(st.booleans())}
    names = [field_name(q) for q in questions]
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), max_size=3)):
        name = draw(st.sampled_from(names)) if names else "q_none"
        question = next((q for q in questions if field_name(q) == name), None)
        if mutation == "hostile value" and question is not None:
            answers[name] = draw(one_or_many(values_for(question)))
        elif mutation == "drop an answer":
            answers.pop(name, None)
        elif mutation == "repeat a field" and answers.get(name):
            answers[name] = answers[name] + draw(one_or_many(texts(huge=False)))
        elif mutation == "answer twice" and question is not None:
            answers[name] = answers.get(name, []) + draw(valid_values(question))
        elif mutation == "extra field":
            pairs.append((draw(st.one_of(st.text(max_size=20), ODD_TEXT)), draw(texts(huge=False))))
        elif mutation == "huge value":
            answers[name] = [draw(st.builds(_run, st.sampled_from(["x", "é", "😀", "\x00"]),
                                            st.integers(16_000, 70_000)))]
    pairs += [(name, value) for name, values in answers.items() for value in values]
    if draw(st.booleans()):
        pairs = draw(st.permutations(pairs))
    pairs = _within_budget(pairs)
    encoding = draw(st.sampled_from(["urlencoded"] * 4 + ["multipart"] * 2 + ["json", "raw"]))
    post = FormPost(pairs=list(pairs), encoding=encoding, csrf_mode=csrf_mode)
    if encoding == "json":
        body = {}
        for name, value in pairs:
            body.setdefault(name, []).append(value)
        body = {k: v[0] if len(v) == 1 and draw(st.booleans()) else v for k, v in body.items()}
        if draw(chance(1, 4)):  # values a form cannot carry
            body[draw(st.sampled_from([n for n, _ in pairs] or ["x"]))] = draw(JSON_VALUES)
        post.raw = json.dumps(body).encode()
        post.content_type = draw(st.sampled_from(["application/json", "application/vnd.api+json"]))
    if encoding == "raw":
        post.content_type = draw(st.sampled_from([
            "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=zz",
            "application/json", "text/plain", "application/octet-stream", "", "x/\x00"]))
        if post.content_type == "application/json" and draw(st.booleans()):
            post.raw = json.dumps(draw(JSON_VALUES)).encode()
        else:
            post.raw = draw(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
    return post


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8)


def request_size(response) -> int:
    return int(response.request.headers.get("Content-Length") or 0)
