"""`make demo`: the real app on an in-process moto DynamoDB, seeded, on http://127.0.0.1:5000."""
from __future__ import annotations

import os

import click
from werkzeug.serving import run_simple

DEMO_OWNER = ("owner@demo.test", "demo-password")


def serve(port: int, responses: int) -> None:
    try:
        from moto import mock_aws
    except ImportError:
        raise click.ClickException("The demo needs moto: pip install -e '.[demo]' (make demo does this).") from None
    for name, value in (("AWS_ACCESS_KEY_ID", "demo"), ("AWS_SECRET_ACCESS_KEY", "demo"), ("AWS_SESSION_TOKEN", "demo")):
        os.environ[name] = value
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)

    from . import create_app
    from .demo_data import seed
    from .services import create_owner

    with mock_aws():
        app = create_app({"ENV": "dev", "TABLE_NAME": "survey-demo", "DYNAMODB_ENDPOINT": None})
        store = app.extensions["survey_store"]
        store.create_table()
        create_owner(store, *DEMO_OWNER)
        click.echo(f"Seeding a demo survey with {responses} responses over the last 90 days...")
        result = seed(store, responses, tz_name=app.config["TIMEZONE"])
        base = f"http://127.0.0.1:{port}"
        click.echo("")
        click.secho("Survey demo is ready (embedded DynamoDB: data is gone when you stop it).", bold=True)
        click.echo(f"  Owner dashboard : {base}/login   e-mail {DEMO_OWNER[0]}   password {DEMO_OWNER[1]}")
        click.echo(f"  Survey dashboard: {base}/owner/surveys/{result.survey.id}")
        click.echo(f"  Open link (QR)  : {base}/o/{result.survey.id}")
        for invitation in result.fresh_invitations:
            who = invitation.customer_name or "no name"
            click.echo(f"  Customer link   : {base}/s/{invitation.token}   ({who}, {invitation.language or 'browser language'})")
        click.echo("Press Ctrl-C to stop.")
        try:
            run_simple("127.0.0.1", port, app, threaded=True)
        except KeyboardInterrupt:
            pass
    click.echo("Demo stopped.")
