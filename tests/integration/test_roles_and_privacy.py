"""Which pages are admin-only, and erasure on request (the role walks: test_role_walks.py; login throttling:
test_login_throttle.py)."""
from __future__ import annotations

from survey_app.services import create_invitation, submit_response
from survey_app.web.answer.forms import new_submission_id
from tests.conftest import csrf_token
from tests.factories import make_survey

ADMIN_ONLY_PAGES = {"dashboard.edit_survey", "dashboard.links", "dashboard.delivery", "dashboard.import_csv",
                    "dashboard.whatsapp_send_list", "dashboard.api_keys", "dashboard.export", "dashboard.privacy",
                    "dashboard.job", "dashboard.jobs", "dashboard.team", "dashboard.team_role",
                    "dashboard.team_remove", "dashboard.team_clear", "dashboard.team_revoke", "dashboard.import_mapping",
                    "dashboard.webhooks", "dashboard.webhook_log", "dashboard.remove_webhook",
                    "dashboard.send_delivery_again", "dashboard.duplicate", "dashboard.archive", "dashboard.restore",
                    "dashboard.branding_settings", "dashboard.branding_logo_uploaded", "dashboard.branding_logo_remove",
                    "dashboard.confirm_delete", "dashboard.delete", "dashboard.preview_draft"}


def test_admin_only_marks_match_the_list_above(app):
    marked = {e for e in app.view_functions if getattr(app.view_functions[e], "admin_only", False)}
    assert marked == ADMIN_ONLY_PAGES


def test_erasure_removes_personal_data_keeps_counts_and_is_audited(client, owner, store, runner):
    survey = make_survey(store)
    invitation = create_invitation(store, survey, customer_name="Rina Wati", phone="+6281234567890",
                                   email="rina@example.com", order_ref="INV-9", properties={"store": "Solo"})
    submit_response(store, survey, {"nps": 2, "reason": "Rumah saya di Jl. Melati 5, barang rusak"},
                    language="id", submission_id=new_submission_id(), invitation=invitation)
    other = create_invitation(store, survey, customer_name="Budi", phone="+6281111111111")
    before = store.daily_counters(survey.id, "2000-01-01", "2999-12-31")
    owner.login()
    token = csrf_token(client, "/owner/privacy")
    page = client.post("/owner/privacy", data={"csrf_token": token, "phone": "0812-3456-7890"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Erased: 1 invitations, 1 responses, 1 cases." in page
    erased = store.get_invitation(invitation.token)
    assert (erased.customer_name, erased.phone, erased.email, erased.order_ref) == ("", "", "", "")
    (response,) = store.iter_responses(survey.id)
    assert response.answers == {"nps": 2} and response.customer_name == ""
    case = store.get_case(survey.id, invitation.token)
    assert (case.customer_name, case.phone, case.comment) == ("", "", "")
    assert store.latest_comments(survey.id, 5) == []
    assert store.daily_counters(survey.id, "2000-01-01", "2999-12-31") == before
    assert store.get_invitation(other.token).customer_name == "Budi"
    (audit,) = store.audit_log()
    assert audit["actor"] == "owner@example.test" and "0812" not in str(audit) and "+62812" not in str(audit)
    result = runner.invoke(args=["erase-customer", "--email", "nobody@example.com"])
    assert result.exit_code == 0 and "erased: 0 invitations" in result.output
    assert runner.invoke(args=["erase-customer"]).exit_code != 0
