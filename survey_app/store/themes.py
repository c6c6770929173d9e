"""Owner themes, what corrections taught, and comment labels changed after the answer (corrections, re-labelling).

Items (docs/data-model.md): `THEMES / THEME#<id>` one per owner theme; `THEMES / LEARNT` the business's own
sentiment weights (JSON) with a version; labels live on the comment item (`CMT#<survey> / <submitted_at>#<id>`),
whose `label_version` guards every change, so two changes of one comment never both count.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterator, Mapping

from ..domain.custom_themes import OwnerTheme, Vocabulary
from ..domain.models import Response, Text
from ..errors import AlreadyAnswered
from .responses import response_tally
from .table import Table, to_item

THEMES_PK = "THEMES"
LEARNT_SK = "LEARNT"


@dataclass(frozen=True)
class LabelledComment:
    """One comment item as the themes page shows it: its texts, labels, and whether a person set them."""

    survey_id: str
    sk: str
    response_id: str
    submitted_at: str
    text: str
    score: int | None
    themes: tuple[str, ...]
    sentiment: str
    label_version: int = 0
    corrected_at: str = ""
    corrected_by: str = ""


@dataclass(frozen=True)
class LabelChange:
    """New labels for one comment, the counters they move, and (for a correction) who made it and what was learnt."""

    comment: LabelledComment
    response: Response
    themes: tuple[str, ...]
    sentiment: str
    counters: Mapping[str, int]
    at: str
    corrected_by: str = ""
    learnt: Mapping[str, float] | None = None
    learnt_version: int = 0


def _theme_of(item: dict) -> OwnerTheme:
    return OwnerTheme(id=item["id"], label=Text(item.get("label_en", ""), item.get("label_id", "")),
                      examples=tuple(item.get("examples", ())), retired=bool(item.get("retired")),
                      updated_at=item.get("updated_at", ""))


def _labelled(survey_id: str, item: dict) -> LabelledComment:
    return LabelledComment(
        survey_id=survey_id, sk=item["sk"], response_id=item["response_id"], submitted_at=item["submitted_at"],
        text="\n".join(text for _, text in sorted(item["texts"].items())), score=item.get("score"),
        themes=tuple(item.get("themes", ())), sentiment=item.get("sentiment", ""),
        label_version=int(item.get("label_version", 0)), corrected_at=item.get("corrected_at", ""),
        corrected_by=item.get("corrected_by", ""))


class ThemeItems(Table):
    def put_owner_theme(self, theme: OwnerTheme) -> None:
        self._call("put_item", Item=to_item({
            "pk": THEMES_PK, "sk": f"THEME#{theme.id}", "id": theme.id, "label_en": theme.label.en,
            "label_id": theme.label.id, "examples": list(theme.examples), "retired": theme.retired,
            "updated_at": theme.updated_at}))

    def vocabulary(self) -> tuple[Vocabulary, int]:
        """Every owner theme and the learnt weights, in one Query of one small partition; with the weights' version."""
        themes, weights, version = [], {}, 0
        for item in self._partition(THEMES_PK):
            if item["sk"] == LEARNT_SK:
                weights, version = json.loads(item["weights"]), int(item["version"])
            else:
                themes.append(_theme_of(item))
        return Vocabulary(tuple(sorted(themes, key=lambda t: t.id)), weights), version

    def labelled_comment(self, survey_id: str, response_id: str, submitted_at: str) -> LabelledComment:
        """:raises NotFound: no comment for this response."""
        return _labelled(survey_id, self._get(f"CMT#{survey_id}", f"{submitted_at}#{response_id}"))

    def labelled_comments(self, survey_id: str, first: str, last: str) -> Iterator[LabelledComment]:
        """Newest first within [first, last] (UTC ISO prefixes), a page at a time: the caller stops early."""
        for item in self._between(f"CMT#{survey_id}", first, last + "\uffff", ScanIndexForward=False):
            yield _labelled(survey_id, item)

    def change_labels(self, change: LabelChange) -> None:
        """The comment's new labels and every aggregate's counters by the difference, in one transaction, only if
        nobody changed the labels since they were read (and, for a correction, nobody changed the learnt weights).

        :raises AlreadyAnswered: the comment's labels (or the learnt weights) changed meanwhile: read again.
        """
        comment = change.comment
        values = {":themes": list(change.themes), ":sentiment": change.sentiment, ":version": comment.label_version,
                  ":next": comment.label_version + 1, ":at": change.at}
        setting = "SET themes = :themes, sentiment = :sentiment, label_version = :next, labelled_at = :at"
        if change.corrected_by:
            setting += ", corrected_at = :at, corrected_by = :by"
            values[":by"] = change.corrected_by
        items = [{"Update": {
            "Key": to_item({"pk": f"CMT#{comment.survey_id}", "sk": comment.sk}),
            "UpdateExpression": setting,
            "ConditionExpression": "attribute_exists(pk) AND "
                                   "(attribute_not_exists(label_version) OR label_version = :version)",
            "ExpressionAttributeValues": to_item(values)}}]
        if change.counters:
            # a random id: the label_version condition above already makes the change happen once, and the version
            # starts again at 0 when an amendment rewrites the comment
            items.append(response_tally(change.response, change.counters, "", at=change.at))
        if change.learnt is not None:
            items.append({"Put": {
                "Item": to_item({"pk": THEMES_PK, "sk": LEARNT_SK, "weights": json.dumps(change.learnt),
                                 "version": change.learnt_version + 1, "updated_at": change.at}),
                "ConditionExpression": "attribute_not_exists(pk) OR version = :learnt",
                "ExpressionAttributeValues": to_item({":learnt": change.learnt_version})}})
        try:
            self._transact(items)
        except AlreadyAnswered as error:
            raise AlreadyAnswered("labels changed meanwhile") from error

    def owner_theme(self, theme_id: str) -> OwnerTheme:
        """:raises NotFound: no such owner theme."""
        return _theme_of(self._get(THEMES_PK, f"THEME#{theme_id}"))

