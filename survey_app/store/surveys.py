"""Survey definitions: the current one under the SURVEYS partition, and every saved version beside it (immutable),
so a response can always be recounted with the definition it answered."""
from __future__ import annotations

import json
from dataclasses import asdict

from ..domain.models import Condition, Delivery, Option, Question, Survey, Text
from ..errors import AlreadyAnswered
from .table import Table, to_item


def version_key(survey_id: str) -> str:
    return f"SURVEYV#{survey_id}"


def version_sk(version: int) -> str:
    return f"V#{version:06d}"


def survey_to_json(survey: Survey) -> str:
    return json.dumps(asdict(survey), ensure_ascii=False)


def survey_from_json(raw: str) -> Survey:
    data = json.loads(raw)
    questions = tuple(
        Question(
            id=q["id"], type=q["type"], label=Text(**q["label"]), required=q["required"],
            options=tuple(Option(o["value"], Text(**o["label"]), o.get("retired", False)) for o in q["options"]),
            retired=q.get("retired", False), show_when=Condition.from_dict(q.get("show_when")),
        )
        for q in data.pop("questions")
    )
    delivery = data.pop("delivery", None) or {}
    delivery["channels"] = tuple(delivery.get("channels", Delivery().channels))
    return Survey(title=Text(**data.pop("title")), intro=Text(**data.pop("intro")), questions=questions,
                  delivery=Delivery(**delivery), **data)


class SurveyItems(Table):
    """Keeps the last definition it read of each survey, so a customer's page can be drawn again when
    DynamoDB fails mid-request (their answers shown back, ready to resend); never used when reads work."""

    def put_survey(self, survey: Survey) -> None:
        item = {"pk": "SURVEYS", "sk": f"SURVEY#{survey.id}", "definition": survey_to_json(survey)}
        self._call("put_item", Item=to_item(item))
        self._last_known()[survey.id] = survey

    def put_survey_version(self, survey: Survey) -> bool:
        """The new current definition and its immutable version item, in one transaction; False when another
        save got there first (the current item is no longer at `survey.version - 1`)."""
        current = {"pk": "SURVEYS", "sk": f"SURVEY#{survey.id}", "definition": survey_to_json(survey),
                   "version": survey.version}
        guard = ({"ConditionExpression": "attribute_not_exists(pk)"} if survey.version == 1 else {
            "ConditionExpression": "attribute_not_exists(version) OR version = :previous",
            "ExpressionAttributeValues": to_item({":previous": survey.version - 1})})
        frozen = {"pk": version_key(survey.id), "sk": version_sk(survey.version),
                  "definition": survey_to_json(survey)}
        try:
            self._transact([{"Put": {"Item": to_item(current), **guard}},
                            {"Put": {"Item": to_item(frozen), "ConditionExpression": "attribute_not_exists(pk)"}}])
        except AlreadyAnswered:  # the store's name for "a condition failed": another save got there first
            return False
        self._last_known()[survey.id] = survey
        return True

    def survey_version(self, survey_id: str, version: int) -> Survey:
        """:raises NotFound: no such version was kept (definitions saved before versions existed)."""
        return survey_from_json(self._get(version_key(survey_id), version_sk(version))["definition"])

    def get_survey(self, survey_id: str) -> Survey:
        survey = survey_from_json(self._get("SURVEYS", f"SURVEY#{survey_id}")["definition"])
        self._last_known()[survey_id] = survey
        return survey

    def last_known_survey(self, survey_id: str) -> Survey | None:
        return self._last_known().get(survey_id)

    def _last_known(self) -> dict[str, Survey]:
        if not hasattr(self, "_surveys_read"):
            self._surveys_read: dict[str, Survey] = {}
        return self._surveys_read

    def list_surveys(self) -> list[Survey]:
        surveys = (survey_from_json(i["definition"]) for i in self._partition("SURVEYS"))
        return sorted(surveys, key=lambda s: s.created_at, reverse=True)
