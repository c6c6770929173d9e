"""Survey definitions: built from templates, validated before anything is saved."""
from __future__ import annotations

from datetime import datetime

from ..domain.models import Survey
from ..domain.templates import TEMPLATES
from ..domain.validation import validate_survey
from ..errors import NotFound
from ..store import Store
from .common import new_token


def survey_from_template(template_key: str, now: datetime, default_language: str = "id") -> Survey:
    """:raises NotFound: for an unknown template key."""
    if template_key not in TEMPLATES:
        raise NotFound(f"no template {template_key!r}")
    template = TEMPLATES[template_key]
    return Survey(
        id=new_token(), title=template["title"], intro=template["intro"], questions=template["questions"],
        default_language=default_language, created_at=now.isoformat(),
    )


def save_survey(store: Store, survey: Survey) -> Survey:
    """:raises DefinitionError: nothing is saved when the definition is invalid."""
    validate_survey(survey)
    store.put_survey(survey)
    return survey
