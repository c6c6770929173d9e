"""The team page (admins only): invite teammates by e-mail or withdraw an invitation, change roles, remove
people, and let someone whose sign-ins are being delayed try again at once; the team's recent changes below."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from ...services import team as team_service
from ...services.accounts import OwnerExists
from ...services.login_throttle import throttled_addresses
from ...store.accounts import LastAdmin
from .. import admin_only, current_store
from ..auth.mail import send_owner_mail
from . import bp
from .team_forms import InviteForm, RevokeForm, RoleForm, TeammateForm


@bp.route("/team", methods=["GET", "POST"])
@admin_only
def team():
    form, invited, problem = InviteForm(), None, None
    if form.validate_on_submit():
        try:
            link = team_service.invite_teammate(current_store(), form.email.data, form.role.data, g.owner)
        except OwnerExists:
            problem = "already_member"
        else:
            url = url_for("auth.join", token=link.token, _external=True)
            email = form.email.data.strip().lower()
            sent = send_owner_mail(email, "invite", url, g.lang, inviter=g.owner, role=form.role.data,
                                   hours=team_service.INVITATION_HOURS)
            invited = {"email": email, "sent": sent, "link": "" if sent else url}
            form = InviteForm(formdata=None)
    store = current_store()
    members = store.list_owners()
    status = 400 if request.method == "POST" and (form.errors or problem) else 200
    return render_template("dashboard/team.html", form=form, invited=invited, problem=problem, members=members,
                           invitations=team_service.pending_invitations(store), role_form=RoleForm(),
                           member_form=TeammateForm(), revoke_form=RevokeForm(), events=store.team_events(),
                           delayed={m.email: throttled_addresses(store, m.email) for m in members}), status


@bp.post("/team/role")
@admin_only
def team_role():
    form = RoleForm()
    if not form.validate_on_submit():
        return redirect(url_for(".team")), 400
    try:
        team_service.change_role(current_store(), form.email.data, form.role.data, g.owner)
    except LastAdmin:
        flash("last_admin")
    return redirect(url_for(".team"))


@bp.post("/team/remove")
@admin_only
def team_remove():
    form = TeammateForm()
    if not form.validate_on_submit():
        return redirect(url_for(".team")), 400
    try:
        team_service.remove_teammate(current_store(), form.email.data, g.owner)
    except LastAdmin:
        flash("last_admin")
    return redirect(url_for(".team"))


@bp.post("/team/revoke")
@admin_only
def team_revoke():
    form = RevokeForm()
    if not form.validate_on_submit():
        return redirect(url_for(".team")), 400
    withdrawn = team_service.revoke_invitation(current_store(), form.invitation.data, g.owner)
    flash("invitation_withdrawn" if withdrawn else "invitation_not_withdrawn")
    return redirect(url_for(".team"))


@bp.post("/team/clear")
@admin_only
def team_clear():
    form = TeammateForm()
    if not form.validate_on_submit():
        return redirect(url_for(".team")), 400
    team_service.let_try_again(current_store(), form.email.data, g.owner)
    return redirect(url_for(".team"))
