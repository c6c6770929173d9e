"""Deleting a survey for good: what the confirmation page tells the owner will go (counted from the day aggregates,
O(days)), and the steps of the owner job that removes every item and file of it, each safe to repeat."""
from __future__ import annotations

from dataclasses import dataclass

from ..domain.models import Survey

ALL_DAYS = ("0000-01-01", "9999-12-31")
# What one deleted item counts as on the job page, by its partition's prefix.
COUNTED = {"RESP#": "responses", "CMT#": "comments", "CASES#": "cases", "INV#": "invitations"}


@dataclass(frozen=True)
class DeletionSummary:
    responses: int
    comments: int
    invitations_sent: int
    open_cases: int
    files: int


def object_prefixes(survey_id: str) -> tuple[str, ...]:
    """Where a survey's files live: exports and waiting imports (exports bucket), logos and unchecked logo uploads
    (site bucket)."""
    return f"exports/{survey_id}/", f"imports/{survey_id}/", f"branding/{survey_id}/", f"logo-uploads/{survey_id}/"


def deletion_summary(store, survey: Survey, buckets: list, now_iso: str) -> DeletionSummary:
    """Responses, comments (each labelled one counts once in `sentiment#`) and invitations sent, summed over every
    day aggregate; open cases by COUNT; files listed (at most 1,000 per prefix are counted)."""
    totals: dict[str, int] = {}
    for counters in store.daily_counters(survey.id, *ALL_DAYS).values():
        for name, value in counters.items():
            totals[name] = totals.get(name, 0) + value
    comments = sum(v for k, v in totals.items() if k.startswith("sentiment#"))
    sent = sum(v for k, v in totals.items() if k.startswith("inv#") and k.endswith("#sent"))
    files = sum(len(bucket.keys(prefix)) for bucket in buckets for prefix in object_prefixes(survey.id))
    return DeletionSummary(responses=totals.get("n", 0), comments=comments, invitations_sent=sent,
                           open_cases=store.case_counts(survey.id, now_iso)[0], files=files)


def delete_page(store, survey_id: str, cursor: str, page_size: int) -> tuple[dict[str, int], str]:
    """One Scan page: its items naming the survey deleted (an invitation with its chat state and its phone's chat
    pointer; a contact keeps everything but its pointer to the survey's case). Returns what went, and the cursor."""
    items, cursor = store.items_naming_survey(survey_id, cursor, page_size)
    counts = {"items": 0} | {name: 0 for name in COUNTED.values()}
    keys = []
    for item in items:
        if item["pk"].startswith("CONTACT#"):  # named only by its open case: the contact itself stays
            if item.get("open_case"):
                store.forget_open_case(item["pk"], item["open_case"])
            continue
        if item["pk"].startswith("INV#"):
            if item.get("phone"):
                store.forget_chat_pointer(item["phone"], item["pk"][4:])
            keys += [key for key in store.partition_keys(item["pk"]) if key[1] != item["sk"]]
        keys.append((item["pk"], item["sk"]))
        counts["items"] += 1
        for prefix, name in COUNTED.items():
            counts[name] += int(item["pk"].startswith(prefix))
    store.delete_keys(keys)
    return counts, cursor


def delete_files(buckets: list, survey_id: str, allows) -> tuple[int, bool]:
    """Every file under the survey's prefixes, 1,000 at a time while `allows()`: (files deleted, finished). A run
    out of budget leaves the rest to the next, which lists again (what is gone is not listed)."""
    deleted = 0
    for bucket in buckets:
        for prefix in object_prefixes(survey_id):
            while keys := bucket.keys(prefix):
                if not allows():
                    return deleted, False
                bucket.delete_keys(keys)
                deleted += len(keys)
    return deleted, True
