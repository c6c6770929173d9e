"""Thin click commands over the services: survey-app init-db | create-owner | seed-demo | demo."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from .errors import StoreUnavailable


def _store():
    return current_app.extensions["survey_store"]


@click.command("init-db")
@with_appcontext
def init_db():
    """Create the DynamoDB table on whatever endpoint the configuration names (AWS, moto, DynamoDB Local)."""
    try:
        created = _store().create_table()
    except StoreUnavailable as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"table {_store().table_name}: {'created' if created else 'already exists'}")


@click.command("create-owner")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice(["admin", "viewer"]), default="admin", show_default=True)
@with_appcontext
def create_owner_command(email, password, role):
    """Add an owner user who can log in to the dashboard."""
    from .services import create_owner

    try:
        owner = create_owner(_store(), email, password, role)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--password") from error
    click.echo(f"owner {owner.email} ({owner.role}) saved")


@click.command("seed-demo")
@click.option("--responses", default=1000, show_default=True, help="How many responses to spread over 90 days.")
@with_appcontext
def seed_demo_command(responses):
    """Fill the table with a demo survey, realistic responses and a few unanswered links."""
    from .demo_data import seed

    result = seed(_store(), responses, tz_name=current_app.config["TIMEZONE"])
    click.echo(f"survey {result.survey.id}: {responses} responses seeded")


def register(app) -> None:
    for command in (init_db, create_owner_command, seed_demo_command):
        app.cli.add_command(command)


def _create_app():
    from . import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, add_default_commands=True, load_dotenv=False,
                  help="Survey app commands. Configure with SURVEY_* environment variables.")


@main.command("demo", with_appcontext=False)
@click.option("--port", default=5000, show_default=True)
@click.option("--responses", default=1000, show_default=True)
def demo_command(port, responses):
    """Serve the app on an embedded moto DynamoDB, seeded with a demo survey; Ctrl-C stops it."""
    from .demo_server import serve

    serve(port=port, responses=responses)
