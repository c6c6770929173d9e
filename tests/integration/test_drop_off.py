"""Partial responses and drop-off: the first answer is saved at once, each later step adds to the same response,
and the dashboard shows opened -> each question -> completed, per survey and per channel, recountable."""
import re
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from survey_app.domain.models import EMAIL_CHANNEL, SENT, WHATSAPP_CHANNEL
from survey_app.services import create_invitation, reconcile, save_survey, survey_from_template
from survey_app.services.dashboard import Filters, survey_summary
from survey_app.services.drop_off import drop_off
from tests.conftest import csrf_token

MOTO = pytest.mark.parametrize("engine", ["moto"], indirect=True)


def submission_of(text):
    return re.search(r'name="submission" type="hidden" value="([0-9a-f]{32})"', text).group(1)


def sent(store, invitation, channel):
    """As the sender leaves it: sent on its channel (so opening its link counts as opened)."""
    done = replace(invitation, state=SENT, channel=channel, sent_at=datetime.now(timezone.utc).isoformat())
    assert store.transition(invitation, done, from_states=(invitation.state,))
    return done


def tap_score(client, token, score):
    """The e-mail's score link, then the page's one-tap send (quick=1), as the browser tier does it with a tap."""
    page = client.get(f"/s/{token}/{score}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, f"/s/{token}"), "survey": re.search(
        r'name="survey" type="hidden" value="([^"]+)"', page).group(1), "submission": submission_of(page),
        "quick": "1", "q_nps": str(score)}
    return data, client.post(f"/s/{token}", data=data)


@MOTO
def test_drop_off_counts_opened_each_question_and_completed_per_channel(client, store):
    survey = save_survey(store, survey_from_template("nps_by_score", datetime.now(timezone.utc), "en"))
    stops, goes_on, by_whatsapp, _ = (
        sent(store, create_invitation(store, survey, customer_name=name, **contact), channel)
        for name, contact, channel in (("Ani", {"email": "ani@toko.test"}, EMAIL_CHANNEL),
                                       ("Budi", {"email": "budi@toko.test"}, EMAIL_CHANNEL),
                                       ("Citra", {"phone": "+6281200000003"}, WHATSAPP_CHANNEL),
                                       ("Dodi", {"email": "dodi@toko.test"}, EMAIL_CHANNEL)))
    tap_score(client, stops.token, 3)  # saved at once; never sends the next step
    data, step = tap_score(client, goes_on.token, 9)
    assert "love most" in step.get_data(as_text=True)
    more = {k: data[k] for k in ("csrf_token", "survey", "submission")} | {"q_loved": "Kopi", "q_csat_delivery": "5"}
    assert client.post(f"/s/{goes_on.token}/more", data=more).status_code == 200
    data, _ = tap_score(client, by_whatsapp.token, 7)
    more = {k: data[k] for k in ("csrf_token", "survey", "submission")} | {"q_to_ten": "Cepat"}
    client.post(f"/s/{by_whatsapp.token}/more", data=more)
    assert store.get_response(survey.id, stops.token).completed is False
    assert store.get_response(survey.id, goes_on.token).completed is True

    filters = Filters.last_days(7, "Asia/Jakarta")
    summary = survey_summary(store, survey, filters)
    table = {channel: {s.key: s.count for s in rows} for channel, rows in
             drop_off(store, survey, summary.totals, filters.first_day, filters.last_day).items()}
    assert table[""] == {"opened": 3, "nps": 3, "loved": 1, "to_ten": 1, "went_wrong": 0, "csat_delivery": 1,
                         "complete": 2}
    email, whatsapp = EMAIL_CHANNEL, WHATSAPP_CHANNEL
    assert (table[email]["opened"], table[email]["nps"], table[email]["complete"]) == (2, 2, 1)
    assert (table[whatsapp]["opened"], table[whatsapp]["nps"], table[whatsapp]["complete"]) == (1, 1, 1)
    assert reconcile(store, survey).clean  # "complete" and text answers are recounted from the responses


@MOTO
def test_the_dashboard_shows_the_drop_off_table(client, owner, store):
    survey = save_survey(store, survey_from_template("nps_by_score", datetime.now(timezone.utc), "en"))
    invitation = sent(store, create_invitation(store, survey, customer_name="Ani", email="ani@toko.test"),
                      EMAIL_CHANNEL)
    tap_score(client, invitation.token, 10)
    owner.login()
    page = client.get(f"/owner/surveys/{survey.id}?lang=en").get_data(as_text=True)
    table = page.split('id="drop-off-table"', 1)[1].split("</table>", 1)[0]
    assert "Completed (sent the last step)" in table and "What do you love most about us?" in table
    assert re.search(r"<td>Opened</td>\s*<td>1</td>", table)
