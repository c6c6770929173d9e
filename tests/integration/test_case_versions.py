"""Two tabs (or two colleagues) editing one case lose nothing: every workflow change is the case's next
version, a form drawn from an older version changes nothing and shows the case as it is now with the typed
note kept; the alert job's bookkeeping never moves the version."""
import re
from datetime import datetime, timezone

from survey_app.services import send_alerts
from tests.conftest import csrf_token
from tests.integration.test_cases import alerter, answer, receiver  # noqa: F401  (fixtures)
from tests.factories import make_survey

NOW = datetime(2025, 3, 3, 10, 0, tzinfo=timezone.utc)
VERSION = re.compile(r'id="version" name="version" type="hidden" value="(\d+)"')


def _tab(client, url):
    """A tab's form as drawn: its CSRF token and the version it was drawn from."""
    page = client.get(url).get_data(as_text=True)
    return {"csrf_token": csrf_token(client, url), "version": VERSION.search(page).group(1)}


def test_two_tabs_editing_one_case_lose_nothing(app, owner, store):
    survey = make_survey(store)
    invitation = answer(store, survey, 1)
    url = f"/owner/surveys/{survey.id}/cases/{invitation.token}"
    owner.login()
    colleague = app.test_client()
    colleague.post("/login", data={"csrf_token": csrf_token(colleague, "/login"), "email": "owner@example.test",
                                   "password": "correct horse battery"})
    first, second = _tab(owner._client, url), _tab(colleague, url)
    assert first["version"] == second["version"] == "0"

    saved = owner._client.post(url, data=first | {"status": "contacted", "assignee": "ani", "note": "Called her"})
    assert saved.status_code == 200
    stale = colleague.post(url, data=second | {"status": "resolved", "assignee": "", "note": "Refund sent"})
    text = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Someone else changed this case" in text
    assert "Called her" in text and re.search(r">\s*Refund sent</textarea>", text)  # new state, typed note kept
    case = store.get_case(survey.id, invitation.token)
    assert (case.status, case.assignee, case.version, [n["text"] for n in case.notes]) == \
        ("contacted", "ani", 1, ["Called her"])

    again = colleague.post(url, data=second | {"version": VERSION.search(text).group(1), "status": "resolved",
                                               "assignee": "ani", "note": "Refund sent"})
    assert again.status_code == 200
    case = store.get_case(survey.id, invitation.token)
    assert (case.status, case.version, [n["text"] for n in case.notes]) == ("resolved", 2, ["Called her", "Refund sent"])


def test_an_alert_run_between_drawing_and_sending_the_form_does_not_make_it_stale(app, owner, store, alerter):  # noqa: F811
    survey = make_survey(store)
    invitation = answer(store, survey, 2)
    url = f"/owner/surveys/{survey.id}/cases/{invitation.token}"
    owner.login()
    tab = _tab(owner._client, url)
    assert send_alerts(store, alerter, now=NOW) == {"alerted": 1}
    assert store.get_case(survey.id, invitation.token).version == 0
    response = owner._client.post(url, data=tab | {"status": "contacted", "assignee": "", "note": "On it"})
    assert response.status_code == 200
    case = store.get_case(survey.id, invitation.token)
    assert case.status == "contacted" and case.alerted_at and case.version == 1
