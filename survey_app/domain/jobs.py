"""Owner jobs: work an owner asks for that can outgrow one web request (large exports, erasure, large imports)."""
from __future__ import annotations

from dataclasses import dataclass, field

EXPORT, ERASE, IMPORT, RELABEL, DELETE = "export", "erase", "import", "relabel", "delete_survey"
KINDS = (EXPORT, ERASE, IMPORT, RELABEL, DELETE)
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ENDED = (DONE, FAILED)
NO_SURVEY = "-"  # erasure spans every survey: its jobs are listed under this scope


@dataclass(frozen=True)
class Job:
    """One job; `cursor` and `progress` say where the next run resumes, so no run has to finish it all."""

    id: str
    kind: str
    survey_id: str
    requested_by: str
    created_at: str
    state: str = QUEUED
    params: dict = field(default_factory=dict)
    progress: dict = field(default_factory=dict)
    cursor: str = ""
    result: dict = field(default_factory=dict)
    error: str = ""
    updated_at: str = ""
    runs: int = 0

    @property
    def ended(self) -> bool:
        return self.state in ENDED
