"""Owner pages and exports in the viewer's language and the business's zone: Indonesian dates and numbers, times
with the zone named, case and invitation values translated; exports keep UTC and add the local time."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest

from survey_app.services import create_invitation, submit_response
from survey_app.services.dashboard import Filters
from survey_app.services.exports import export_csv, export_jsonl
from survey_app.web.answer.forms import new_submission_id
from tests.factories import make_survey

pytestmark = pytest.mark.parametrize("engine", ["moto"], indirect=True)  # rendering, not storage: one engine
ANSWERED = datetime(2026, 11, 30, 18, 5, tzinfo=timezone.utc)  # 1 December 2026, 01:05 in Jakarta


def answered_case(store):
    survey = make_survey(store)
    invitation = create_invitation(store, survey, customer_name="Rina", phone="+6281234567890", now=ANSWERED)
    submit_response(store, survey, {"nps": 2, "reason": "Kurir telat"}, language="id",
                    submission_id=new_submission_id(), invitation=invitation, now=ANSWERED)
    return survey, invitation


def test_a_case_shows_its_time_in_the_business_zone_and_its_status_in_indonesian(client, owner, store):
    survey, invitation = answered_case(store)
    owner.login()
    page = client.get(f"/owner/surveys/{survey.id}/cases/{invitation.token}?lang=id").get_data(as_text=True)
    assert "1 Desember 2026 01.05 WIB" in page and "18:05 UTC" not in page
    board = client.get(f"/owner/surveys/{survey.id}/cases?lang=id").get_data(as_text=True)
    assert "3 Desember 2026 01.05 WIB" in board  # due 48 hours after the answer
    english = client.get(f"/owner/surveys/{survey.id}/cases/{invitation.token}?lang=en").get_data(as_text=True)
    assert "1 December 2026 01:05 WIB" in english


def test_the_invitations_page_names_states_and_channels_in_the_viewers_language(client, owner, store):
    survey = make_survey(store)
    create_invitation(store, survey, customer_name="Budi", now=ANSWERED)
    owner.login()
    page = client.get(f"/owner/surveys/{survey.id}/invitations?lang=id").get_data(as_text=True)
    # a link made without sending is shared by hand, and counts as sent
    assert "<td>Tautan dibagikan manual</td><td>Terkirim</td><td>1 Desember 2026 01.05 WIB</td>" in page
    assert "<td>manual</td>" not in page and "<td>sent</td>" not in page


def test_exports_keep_utc_and_add_the_local_time_with_its_zone(store):
    survey, _ = answered_case(store)
    filters = Filters("2026-12-01", "2026-12-01")
    (row,) = csv.DictReader(io.StringIO("".join(export_csv(store, survey, filters, [], tz_name="Asia/Jakarta"))))
    assert row["submitted_at"] == ANSWERED.isoformat()
    assert (row["submitted_at_local"], row["time_zone"]) == ("2026-12-01T01:05:00+07:00", "Asia/Jakarta")
    (line,) = "".join(export_jsonl(store, survey, filters, tz_name="Asia/Makassar")).splitlines()
    assert json.loads(line)["submitted_at_local"] == "2026-12-01T02:05:00+08:00"
