"""Survey definitions: one item each under the SURVEYS partition, the definition kept as JSON."""
from __future__ import annotations

import json
from dataclasses import asdict

from ..domain.models import Delivery, Option, Question, Survey, Text
from .table import Table, to_item


def survey_to_json(survey: Survey) -> str:
    return json.dumps(asdict(survey), ensure_ascii=False)


def survey_from_json(raw: str) -> Survey:
    data = json.loads(raw)
    questions = tuple(
        Question(
            id=q["id"], type=q["type"], label=Text(**q["label"]), required=q["required"],
            options=tuple(Option(o["value"], Text(**o["label"])) for o in q["options"]),
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
