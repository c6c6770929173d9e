"""Login form; CSRF comes with FlaskForm."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("email", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("password", validators=[InputRequired(), Length(max=200)])


class LogoutForm(FlaskForm):
    """No fields: the CSRF token is the point."""
