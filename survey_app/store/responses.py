"""Responses, their comments, the tallies written with them and the per-day / per-segment aggregates they fold into."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict
from typing import Iterable, Iterator, Mapping

from ..domain.models import ANSWERED, Comment, FollowUp, Response
from ..errors import NotFound
from .cases import case_record
from .table import Table, add_counters, from_item, to_item
from .tallies import TallyItems, properties_update, tally_put, utc_now_iso

SEGMENT_VALUE_MAX = 100
COMMENT_PAGE = 100  # comment items read per Query page


def segment_sk(prop: str, day: str, value: str) -> str:
    return f"SEG#{prop}#{day}#{value[:SEGMENT_VALUE_MAX]}"


def response_day_keys(response: Response) -> dict:
    """gsi1: a survey's responses by the owner's day, then time, so exports and the read API read only their range."""
    return {"gsi1pk": f"RESPDAY#{response.survey_id}",
            "gsi1sk": f"{response.day}#{response.submitted_at}#{response.response_id}"}


def _response_record(response: Response) -> dict:
    return asdict(response) | {"pk": f"RESP#{response.survey_id}", "sk": response.response_id} \
        | response_day_keys(response)


def _comment_record(response: Response, texts: Mapping[str, str], score: int | None,
                    labels: Mapping[str, object]) -> dict:
    """`labels`: themes and sentiment of the comment, stored so comment lists can filter by them."""
    return {
        "pk": f"CMT#{response.survey_id}", "sk": f"{response.submitted_at}#{response.response_id}",
        "response_id": response.response_id, "submitted_at": response.submitted_at, "texts": dict(texts),
        "score": score, "customer_name": response.customer_name, "properties": response.properties,
        "language": response.language, "themes": list(labels.get("themes", ())),
        "sentiment": labels.get("sentiment", ""), "channel": response.channel,
        "segment_values": response.segment_values,
    }


def _aggregate_keys(response: Response) -> list[str]:
    """The day item plus one item per (segment property, day, value): the slices a dashboard can filter by."""
    return [f"DAY#{response.day}"] + [
        segment_sk(prop, response.day, value) for prop, value in sorted(response.segments.items())
    ]


def response_tally(response: Response, counters: Mapping[str, int], tally_id: str, at: str = "") -> dict:
    """The response's counters for its day and each of its segment items, as one tally of its own."""
    return tally_put(response.survey_id, {sk: counters for sk in _aggregate_keys(response)},
                     at or response.submitted_at, tally_id)


def _counters_of(item: Mapping[str, object]) -> dict[str, int]:
    return {k: int(v) for k, v in item.items() if k not in ("pk", "sk") and isinstance(v, (int, float))}


class ResponseItems(TallyItems):
    def record_response(
        self, response: Response, counters: Mapping[str, int], texts: Mapping[str, str], score: int | None,
        labels: Mapping[str, object] | None = None, case: FollowUp | None = None,
    ) -> None:
        """Response, comment, follow-up case and the response's tally in one transaction, at most once per
        invitation: nothing is half-written, and nothing shared with another answer is touched.

        :raises AlreadyAnswered: the invitation (or this open-link submission) was answered before.
        """
        items = []
        if response.invitation_token:
            items.append({"Update": {
                "Key": to_item({"pk": f"INV#{response.invitation_token}", "sk": "INV"}),
                "UpdateExpression": "SET answered_at = :at, submission_id = :sub, #state = :answered "
                                    "REMOVE gsi2pk, gsi2sk",
                "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(answered_at)",
                "ExpressionAttributeNames": {"#state": "state"},
                "ExpressionAttributeValues": to_item({":at": response.submitted_at, ":sub": response.submission_id,
                                                      ":answered": ANSWERED}),
            }})
        items.append({"Put": {"Item": to_item(_response_record(response)),
                              "ConditionExpression": "attribute_not_exists(pk)"}})
        if texts:
            items.append({"Put": {"Item": to_item(_comment_record(response, texts, score, labels or {}))}})
        if case is not None:
            items.append({"Put": {"Item": to_item(case_record(case)), "ConditionExpression": "attribute_not_exists(pk)"}})
        items.append(response_tally(response, counters, f"answer-{response.response_id}"))
        self._transact(items, token=response.submission_id)

    def amend_response(self, response: Response, extra: Mapping[str, object], counters: Mapping[str, int],
                       texts: Mapping[str, str], score: int | None, amended_at: str,
                       labels: Mapping[str, object] | None = None, case: FollowUp | None = None,
                       case_exists: bool = False) -> None:
        """Adds answers to a response once (the 'tell us more' step after a one-tap score, its last step: the
        response is then complete), same transaction rules.

        :raises AlreadyAnswered: it was amended before, or the submission does not match.
        """
        items = [{"Update": {
            "Key": to_item({"pk": f"RESP#{response.survey_id}", "sk": response.response_id}),
            "UpdateExpression": "SET " + ", ".join(f"answers.#a{i} = :a{i}" for i in range(len(extra)))
                                + ", amended_at = :now, completed = :done",
            "ConditionExpression": "submission_id = :sub AND attribute_not_exists(amended_at)",
            "ExpressionAttributeNames": {f"#a{i}": key for i, key in enumerate(extra)},
            "ExpressionAttributeValues": to_item({f":a{i}": value for i, value in enumerate(extra.values())}
                                                 | {":sub": response.submission_id, ":now": amended_at, ":done": True}),
        }}]
        if texts:
            items.append({"Put": {"Item": to_item(_comment_record(response, texts, score, labels or {}))}})
        if case is not None:  # the comment may open a case, or add to the one a low score opened
            condition = "attribute_exists(pk)" if case_exists else "attribute_not_exists(pk)"
            items.append({"Put": {"Item": to_item(case_record(case)), "ConditionExpression": condition}})
        if counters:
            items.append(response_tally(response, counters, f"amend-{response.response_id}", at=amended_at))
        self._transact(items, token=f"m{response.submission_id}" if response.submission_id else None)

    def get_response(self, survey_id: str, response_id: str) -> Response:
        item = self._get(f"RESP#{survey_id}", response_id)
        return Response(**{k: v for k, v in item.items() if k in Response.__dataclass_fields__})

    def load_history(self, entries: Iterable[tuple[Response, Mapping[str, int], Mapping[str, str], int | None,
                                                   Mapping[str, object]]]) -> int:
        """Bulk-load past responses (demo seed, imports of earlier survey results): batch writes, and one
        counter update per aggregate item instead of one transaction per response. Not for live answers."""
        totals: dict[tuple[str, str], Counter] = defaultdict(Counter)
        writes, names = [], defaultdict(set)
        for response, counters, texts, score, labels in entries:
            writes.append(_response_record(response))
            if texts:
                writes.append(_comment_record(response, texts, score, labels))
            for sk in _aggregate_keys(response):
                totals[(f"AGG#{response.survey_id}", sk)].update(counters)
            names[response.survey_id].update(response.segments)
        self._batch_put(writes)
        for (pk, sk), counters in totals.items():
            self._call("update_item", **add_counters(pk, sk, dict(counters)))
        for survey_id, survey_names in names.items():
            if survey_names:
                self._call("update_item", **properties_update(survey_id, survey_names))
        return sum(1 for w in writes if w["pk"].startswith("RESP#"))

    def response_exists(self, survey_id: str, response_id: str) -> bool:
        try:
            self._get(f"RESP#{survey_id}", response_id)
        except NotFound:
            return False
        return True

    def iter_responses(self, survey_id: str) -> Iterator[Response]:
        """Raw responses for offline work (reconcile, export); never on a dashboard path."""
        fields = Response.__dataclass_fields__
        for item in self._partition(f"RESP#{survey_id}"):
            yield Response(**{k: v for k, v in item.items() if k in fields})

    def index_response_days(self, survey_id: str) -> int:
        """Day keys for responses stored before they had them (`survey-app backfill-indexes`, once)."""
        count = 0
        for response in self.iter_responses(survey_id):
            keys = response_day_keys(response)
            self._call("update_item", Key=to_item({"pk": f"RESP#{survey_id}", "sk": response.response_id}),
                       UpdateExpression="SET gsi1pk = :pk, gsi1sk = :sk",
                       ExpressionAttributeValues=to_item({":pk": keys["gsi1pk"], ":sk": keys["gsi1sk"]}))
            count += 1
        return count

    def segment_properties(self, survey_id: str) -> list[str]:
        item = self._call("get_item", Key=to_item({"pk": f"AGG#{survey_id}", "sk": "PROPS"})).get("Item")
        return sorted(from_item(item).get("names", [])) if item else []

    def comments_between(self, survey_id: str, first: str, last: str, limit: int) -> Iterator[Comment]:
        """Newest first within [first, last] (UTC ISO prefixes); at most `limit` comment items are read,
        so a filtered search stays bounded however many comments a survey has."""
        items = self._between(f"CMT#{survey_id}", first, last + "\uffff", ScanIndexForward=False,
                              Limit=min(limit, COMMENT_PAGE))  # not DynamoDB's 1 MB page for a 20-comment view
        for _, item in zip(range(limit), items):
            yield from _comments_of(survey_id, item)

    def daily_counters(self, survey_id: str, first_day: str, last_day: str) -> dict[str, dict[str, int]]:
        items = self._between(f"AGG#{survey_id}", f"DAY#{first_day}", f"DAY#{last_day}")
        return {i["sk"][4:]: _counters_of(i) for i in items}

    def add_day_counters(self, survey_id: str, day: str, counters: Mapping[str, int], once: str = "") -> None:
        """Invitation events (sent, failed, opened...) counted on the day they happened, as a tally (store/tallies.py).
        With `once` (an id of the event), a retried call whose first reply was lost does not count it again."""
        self.add_tally(survey_id, {f"DAY#{day}": counters}, utc_now_iso(), once)

    def add_counters(self, survey_id: str, sk: str, counters: Mapping[str, int]) -> None:
        """Straight into an aggregate item: `reconcile`'s corrections only, never on a customer's path."""
        self._call("update_item", **add_counters(f"AGG#{survey_id}", sk, counters))

    def aggregate_items(self, survey_id: str) -> Iterator[tuple[str, dict[str, int]]]:
        """Every day and segment aggregate of a survey (reconcile only)."""
        for item in self._partition(f"AGG#{survey_id}"):
            if item["sk"].startswith(("DAY#", "SEG#")):
                yield item["sk"], _counters_of(item)

    def segment_counters(
        self, survey_id: str, prop: str, first_day: str, last_day: str
    ) -> Iterator[tuple[str, str, dict[str, int]]]:
        """(day, value, counters) for one customer property, read by key range over days."""
        prefix = f"SEG#{prop}#"
        items = self._between(f"AGG#{survey_id}", f"{prefix}{first_day}", f"{prefix}{last_day}#\uffff")
        for item in items:
            day, value = item["sk"][len(prefix):].split("#", 1)
            yield day, value, _counters_of(item)

    def latest_comments(self, survey_id: str, limit: int) -> list[Comment]:
        if limit < 1:
            return []
        comments = []
        for item in self._partition(f"CMT#{survey_id}", ScanIndexForward=False, Limit=limit):
            comments.extend(_comments_of(survey_id, item))
            if len(comments) >= limit:
                break
        return comments[:limit]


def _comments_of(survey_id: str, item: dict) -> list[Comment]:
    return [
        Comment(survey_id=survey_id, response_id=item["response_id"], submitted_at=item["submitted_at"],
                question_id=question_id, text=text, score=item.get("score"),
                customer_name=item.get("customer_name", ""), properties=item.get("properties", {}),
                language=item.get("language", ""), themes=tuple(item.get("themes", ())),
                sentiment=item.get("sentiment", ""), channel=item.get("channel", ""),
                segment_values=item.get("segment_values", {}))
        for question_id, text in sorted(item["texts"].items())
    ]
