"""XLSX exports: the CSV's columns with numbers kept as numbers and formula-like text neutralised, inline on the
dashboard for a small survey, as a job to S3 by parts for a large one (or a clear failure when it would outlast its
run), and from the CLI into a file."""
from __future__ import annotations

import io

import boto3
from openpyxl import load_workbook

from survey_app.domain.jobs import DONE, FAILED
from survey_app.services.owner_jobs import JobSettings
from tests.conftest import REGION
from tests.factories import make_survey
from tests.integration.test_owner_jobs import (PART_BYTES, CountedBudget, app, aws, bucket, filters_all,  # noqa: F401
                                               runner, seed_responses, store)


def sheet_rows(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data), read_only=True)["responses"].iter_rows(values_only=True))


def test_a_small_xlsx_export_is_sent_inline_with_numbers_as_numbers_and_formulas_neutralised(store, owner, tmp_path):
    from survey_app import create_app

    app = create_app({"ENV": "test", "TESTING": True, "TABLE_NAME": store.table_name})
    app.extensions["survey_store"] = store
    client = app.test_client()
    survey = make_survey(store)
    seed_responses(store, survey, 3)
    from tests.conftest import OwnerActions
    OwnerActions(client, store).login()
    answer = client.get(f"/owner/surveys/{survey.id}/export.xlsx")
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    header, *rows = sheet_rows(answer.data)
    assert header[:2] == ("response_id", "order_ref") and "property:store" in header
    by_column = [dict(zip(header, row)) for row in rows]
    assert sorted(r["score"] for r in by_column) == [0, 1, 2]  # numbers, not text
    assert any(str(r["reason"]).startswith("'=cmd") for r in by_column)  # never a formula
    output = tmp_path / "out.xlsx"
    result = app.test_cli_runner().invoke(args=["export", "--survey", survey.id, "--format", "xlsx",
                                                "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert len(sheet_rows(output.read_bytes())) == 4


def test_a_large_xlsx_export_runs_as_a_job_to_s3_by_parts(app, store):
    survey = make_survey(store)
    seed_responses(store, survey, 120)
    jobs = runner(app)
    job = jobs.start_export(survey, filters_all(), "xlsx", "owner@example.test")
    assert job.state == DONE and job.result["rows"] == 120 and job.result["parts"] > 1
    body = boto3.client("s3", region_name=REGION).get_object(Bucket="exports-test", Key=job.result["key"])
    assert len(sheet_rows(body["Body"].read())) == 121


def test_an_xlsx_export_that_would_outlast_its_run_fails_and_says_to_use_csv(app, store):
    survey = make_survey(store)
    seed_responses(store, survey, 30)
    jobs = runner(app)
    jobs.settings = JobSettings(page_size=10, part_bytes=PART_BYTES)
    jobs.drain = lambda: None
    job = jobs.start_export(survey, filters_all(), "xlsx", "owner@example.test")
    assert jobs.run_job(job.id, CountedBudget(checks=2)) == FAILED
    assert "export CSV" in store.get_job(job.id).error
