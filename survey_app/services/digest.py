"""The teammates' NPS summary (weekly, optionally daily), by e-mail and/or a WhatsApp template, in each person's
language: per survey the period's NPS and its change (bigger than the noise or not), new detractors, overdue
cases, and the top themes each with the comment that best represents it.

Once per person, period and channel: the run that wins a conditional put (the intent) sends, records the outcome,
and every other run (a second one at the same time, a retry after a crash) sends nothing. A crash between the
intent and the outcome leaves `sending`: that digest is not sent again (a missed summary beats a doubled one).
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer

from .. import formatting
from ..budget import Budget
from ..channels import ChannelError
from ..domain import metrics
from ..domain.contacts import normalise_phone
from ..domain.models import Comment, Survey, Text
from ..i18n import translate
from ..messages import EmailContent
from ..store import Store
from .chat_templates import TEMPLATES, digest_template
from .common import utcnow
from .themes import theme_labels, vocabulary

WEEKLY, DAILY, OFF = "weekly", "daily", "off"
FREQUENCIES = (WEEKLY, DAILY, OFF)
SEND_HOUR = 7  # local time: a run before this hour sends nothing yet (the next hourly run does)
TOP_THEMES = 3
COMMENTS_READ = 300  # the period's newest comments examined per survey for the representative ones
PERSON_SECONDS = 15  # the longest one person's messages may take (SES and the Graph API with their timeouts)
UNSUBSCRIBE_SALT = "digest-unsubscribe"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Period:
    kind: str
    first_day: str
    last_day: str

    @property
    def key(self) -> str:
        return f"{self.kind}#{self.last_day}"

    def previous(self) -> "Period":
        length = (date.fromisoformat(self.last_day) - date.fromisoformat(self.first_day)).days + 1
        first = date.fromisoformat(self.first_day)
        return Period(self.kind, (first - timedelta(days=length)).isoformat(), (first - timedelta(days=1)).isoformat())


@dataclass(frozen=True)
class ThemeLine:
    name: Text
    mentions: int
    comment: str  # the comment that best represents the theme ("" when none of the period's was read)


@dataclass(frozen=True)
class SurveyDigest:
    survey: Survey
    nps: metrics.NpsResult
    change: metrics.Change | None
    new_detractors: int
    overdue: int
    themes: tuple[ThemeLine, ...]


@dataclass(frozen=True)
class DigestSettings:
    business_name: str
    public_url: str
    tz_name: str
    secret_key: str


def due_periods(now: datetime, tz_name: str) -> dict[str, Period]:
    """From SEND_HOUR local time: yesterday (daily) and the last full Monday-to-Sunday week (weekly), so any run
    of the day (or of the week) can send what an earlier one missed."""
    local = now.astimezone(ZoneInfo(tz_name))
    if local.hour < SEND_HOUR:
        return {}
    yesterday = local.date() - timedelta(days=1)
    sunday = local.date() - timedelta(days=local.weekday() + 1)
    return {DAILY: Period(DAILY, yesterday.isoformat(), yesterday.isoformat()),
            WEEKLY: Period(WEEKLY, (sunday - timedelta(days=6)).isoformat(), sunday.isoformat())}


def representative(comments: list[Comment], theme: str) -> str:
    """The comment that best stands for a theme: one from the theme's most common NPS group, naming that theme
    alone if possible, of a readable length (nearest 140 characters)."""
    tagged = [c for c in comments if theme in c.themes and c.text.strip()]
    if not tagged:
        return ""
    groups = Counter(metrics.category(c.score) for c in tagged if c.score is not None)
    common = groups.most_common(1)[0][0] if groups else None
    best = min(tagged, key=lambda c: (c.score is None or metrics.category(c.score) != common, len(c.themes),
                                      abs(len(c.text) - 140), c.submitted_at))
    return best.text[:280]


def survey_digest(store: Store, survey: Survey, period: Period, tz_name: str, now: datetime,
                  names: dict[str, Text]) -> SurveyDigest:
    daily = store.daily_counters(survey.id, period.previous().first_day, period.last_day)
    current = metrics.merge(c for day, c in daily.items() if day >= period.first_day)
    before = metrics.merge(c for day, c in daily.items() if day < period.first_day)
    score = metrics.nps(current)
    zone = ZoneInfo(tz_name)
    start = datetime.combine(date.fromisoformat(period.first_day), datetime.min.time(), zone)
    end = start + timedelta(days=(date.fromisoformat(period.last_day) - date.fromisoformat(period.first_day)).days + 1)
    comments = list(store.comments_between(survey.id, _utc(start), _utc(end - timedelta(microseconds=1)),
                                           COMMENTS_READ))
    ranked = sorted(metrics.theme_results(current, names).items(), key=lambda item: (-item[1][0], item[0]))
    themes = tuple(ThemeLine(names[theme], mentions, representative(comments, theme))
                   for theme, (mentions, _) in ranked[:TOP_THEMES])
    return SurveyDigest(survey=survey, nps=score, change=metrics.compare(score, metrics.nps(before)),
                        new_detractors=score.detractors, overdue=store.case_counts(survey.id, now.isoformat())[1],
                        themes=themes)


def _utc(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).isoformat()


def unsubscribe_token(secret_key: str, email: str) -> str:
    return URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).dumps(email)


def unsubscribed_email(secret_key: str, token: str) -> str | None:
    """The e-mail a signed unsubscribe token names, or None for a forged or damaged one."""
    try:
        email = URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    return email if isinstance(email, str) else None


def preference(store: Store, email: str, language: str) -> dict:
    """The person's digest settings; nothing stored yet: weekly by e-mail is offered, not yet on. A blank
    setting (no WhatsApp number) is not stored (store/table.py to_item), so it reads back as its default."""
    offered = {"email": email, "frequency": OFF, "email_on": True, "whatsapp_to": "", "language": language}
    return offered | (store.digest_preference(email) or {})


def save_preference(store: Store, email: str, frequency: str, email_on: bool, whatsapp: str, language: str,
                    country_code: str) -> None:
    """:raises ContactError: a WhatsApp number that cannot be one."""
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency {frequency!r}")
    store.put_digest_preference(email, frequency, email_on, normalise_phone(whatsapp, country_code), language)


def stop(store: Store, secret_key: str, token: str) -> str | None:
    """The unsubscribe link's one click: the person's digest turned off; None for a forged token."""
    email = unsubscribed_email(secret_key, token)
    if email is not None:
        store.stop_digest(email)
    return email


def send_digests(store: Store, channels: dict, settings: DigestSettings, now: datetime | None = None,
                 budget: Budget | None = None, whatsapp_template: str = TEMPLATES["digest"].name) -> Counter:
    """Every teammate's due digest on each of their channels, each at most once (see the module's note)."""
    now = now or utcnow()
    periods = due_periods(now, settings.tz_name)
    outcomes: Counter = Counter()
    if not periods:
        return outcomes
    wanted = [p for p in store.digest_preferences() if p.get("frequency") in periods]
    built: dict[str, list[SurveyDigest]] = {}
    for person in wanted:
        period = periods[person["frequency"]]
        targets = [t for t in _targets(person, channels) if not store.digest_record(person["email"], period.key, t)]
        if not targets:
            continue
        if budget is not None and not budget.allows(PERSON_SECONDS):
            outcomes["left_for_next_run"] += 1
            break
        if period.key not in built:
            names = theme_labels(vocabulary(store))
            built[period.key] = [survey_digest(store, s, period, settings.tz_name, now, names)
                                 for s in store.list_surveys()]
        for target in targets:
            if not store.claim_digest(person["email"], period.key, target, now.isoformat()):
                outcomes["already_sent"] += 1
                continue
            try:
                message_id = _send(target, channels[target], person, period, built[period.key], settings,
                                   whatsapp_template)
            except ChannelError as error:
                log.warning("digest %s for %s failed: %s", target, person["email"], error)
                store.record_digest(person["email"], period.key, target, "failed", str(error)[:500])
                outcomes[f"{target}_failed"] += 1
                continue
            store.record_digest(person["email"], period.key, target, "sent", message_id or "")
            outcomes[f"{target}_sent"] += 1
    return outcomes


def _targets(person: dict, channels: dict) -> list[str]:
    targets = ["email"] if person.get("email_on") and "email" in channels else []
    return targets + (["whatsapp"] if person.get("whatsapp_to") and "whatsapp" in channels else [])


def _send(target: str, channel, person: dict, period: Period, digests: list[SurveyDigest],
          settings: DigestSettings, whatsapp_template: str) -> str:
    lang = person.get("language") or "id"
    if target == "email":
        return channel.send(digest_email(person["email"], lang, period, digests, settings))
    return channel.send(digest_template(whatsapp_template, person["whatsapp_to"], lang, period_label(lang, period),
                                        whatsapp_summary(lang, digests)))


def period_label(lang: str, period: Period) -> str:
    if period.first_day == period.last_day:
        return formatting.date(period.last_day, lang)
    return f"{formatting.date(period.first_day, lang)} – {formatting.date(period.last_day, lang)}"


def subject(lang: str, period: Period, settings: DigestSettings) -> str:
    return translate(f"digest_subject_{period.kind}", lang, business=settings.business_name,
                     first=formatting.date(period.first_day, lang), last=formatting.date(period.last_day, lang))


def digest_email(email: str, lang: str, period: Period, digests: list[SurveyDigest],
                 settings: DigestSettings) -> EmailContent:
    from flask import render_template  # the jobs function renders inside the app's context, as messages.py does

    base = settings.public_url.rstrip("/")
    unsubscribe = f"{base}/owner/digest/stop/{unsubscribe_token(settings.secret_key, email)}"
    context = dict(lang=lang, period=period, digests=digests, business=settings.business_name,
                   dashboard=f"{base}/owner/", unsubscribe=unsubscribe, fmt=formatting,
                   period_label=period_label(lang, period))
    return EmailContent(to=email, subject=subject(lang, period, settings),
                        html=render_template("messages/digest.html", **context),
                        text=render_template("messages/digest.txt", **context), unsubscribe_url=unsubscribe)


def whatsapp_summary(lang: str, digests: list[SurveyDigest]) -> str:
    """The template's one body parameter: each survey's NPS, change and detractors on one line (a template
    parameter holds no new lines, so surveys are separated by ' · '; at most 900 characters)."""
    parts = []
    for d in digests:
        score = "–" if d.nps.score is None else formatting.number(round(d.nps.score), lang)
        change = "" if d.change is None else (
            f" ({'+' if d.change.points > 0 else ''}{formatting.number(round(d.change.points), lang)}, "
            f"{translate('change_significant' if d.change.significant else 'change_noise', lang)})")
        parts.append(f"{d.survey.title.get(lang)}: NPS {score}{change}, "
                     f"{translate('digest_new_detractors', lang).lower()} {formatting.number(d.new_detractors, lang)}, "
                     f"{translate('overdue_cases', lang).lower()} {formatting.number(d.overdue, lang)}")
    return " · ".join(parts)[:900] or "–"
