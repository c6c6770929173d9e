"""Forms of the team page (admins) and of each owner's own account page; CSRF comes with FlaskForm."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Regexp

from ...services.accounts import MIN_PASSWORD, ROLES

ROLE_CHOICES = [SelectChoice(role, role) for role in ROLES]


class InviteForm(FlaskForm):
    email = EmailField("email", validators=[InputRequired(), Length(max=254)])
    role = SelectField("role", choices=ROLE_CHOICES)


class RoleForm(FlaskForm):
    email = StringField(validators=[InputRequired(), Length(max=254)])
    role = SelectField("role", choices=ROLE_CHOICES)


class TeammateForm(FlaskForm):
    """Names a teammate to remove or to let try signing in again at once."""

    email = StringField(validators=[InputRequired(), Length(max=254)])


class RevokeForm(FlaskForm):
    """Names a pending invitation by the SHA-256 its link is stored under (the token itself is never kept)."""

    invitation = StringField(validators=[InputRequired(), Regexp(r"^[0-9a-f]{64}$")])


class PasswordChangeForm(FlaskForm):
    current = PasswordField("current_password", validators=[InputRequired(), Length(max=200)])
    password = PasswordField("new_password", validators=[InputRequired(), Length(min=MIN_PASSWORD, max=200)])
    confirm = PasswordField("confirm_password", validators=[InputRequired(), EqualTo("password")])


class EverywhereForm(FlaskForm):
    """Ending every session needs the box ticked: a stray post does not sign everyone out."""

    everywhere = BooleanField(validators=[InputRequired()])


class TwoFactorForm(FlaskForm):
    code = StringField("code", validators=[InputRequired(), Length(max=40)])
