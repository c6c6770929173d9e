"""Sign-in, second factor, forgotten password and set-password forms; CSRF comes with FlaskForm."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from ...services.accounts import MIN_PASSWORD


class LoginForm(FlaskForm):
    email = EmailField("email", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("password", validators=[InputRequired(), Length(max=200)])


class LogoutForm(FlaskForm):
    """No fields: the CSRF token is the point."""


class CodeForm(FlaskForm):
    """A 6-digit authenticator code or a recovery code."""

    code = StringField("code", validators=[InputRequired(), Length(max=40)])


class ForgotForm(FlaskForm):
    email = EmailField("email", validators=[InputRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField("new_password", validators=[InputRequired(), Length(min=MIN_PASSWORD, max=200)])
    confirm = PasswordField("confirm_password", validators=[InputRequired(), EqualTo("password")])
