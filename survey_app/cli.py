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
@click.option("--role", type=click.Choice(["admin", "agent", "viewer"]), default="admin", show_default=True)
@click.option("--force", is_flag=True, help="Replace an existing owner (new password and role; their sessions end).")
@with_appcontext
def create_owner_command(email, password, role, force):
    """Add an owner user who can log in to the dashboard."""
    from .services import create_owner
    from .services.accounts import LastAdmin, OwnerExists

    try:
        owner = create_owner(_store(), email, password, role, force=force)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--password") from error
    except OwnerExists as error:
        raise click.ClickException(f"owner {error} exists already; --force replaces it") from error
    except LastAdmin as error:
        raise click.ClickException("that is the last admin: make another admin first") from error
    click.echo(f"owner {owner.email} ({owner.role}) saved")


@click.command("seed-demo")
@click.option("--responses", default=1000, show_default=True, help="How many responses to spread over 90 days.")
@with_appcontext
def seed_demo_command(responses):
    """Fill the table with a demo survey, realistic responses and a few unanswered links."""
    from .demo_data import seed

    result = seed(_store(), responses, tz_name=current_app.config["TIMEZONE"])
    click.echo(f"survey {result.survey.id}: {responses} responses seeded")


@click.command("import-purchases")
@click.argument("purchases_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--survey", "survey_id", required=True, help="Survey the invitations belong to.")
@click.option("--mapping", "mapping_name", default="", help="A mapping saved on the dashboard, by name.")
@click.option("--accept-suggested", is_flag=True,
              help="A file of a new shape: import with the suggested mapping and save it for the next file.")
@click.option("--workers", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Rows written in parallel.")
@with_appcontext
def import_purchases_command(purchases_file, survey_id, mapping_name, accept_suggested, workers):
    """Schedule an invitation per purchase in a CSV or XLSX file: the app's own format (name, email, phone,
    order_ref, purchased_at, language, any other column a segment) or a marketplace export read with its saved
    mapping. Safe to re-run: order references are never imported twice."""
    from .errors import NotFound
    from .imports.mapping import suggest
    from .imports.table import TableError, open_table
    from .services import import_purchases
    from .services.imports import MappingError, known_mapping, mapped_rows, save_mapping

    try:
        survey = _store().get_survey(survey_id)
    except NotFound:
        raise click.BadParameter(f"no survey {survey_id!r}", param_hint="--survey") from None
    with open(purchases_file, "rb") as source:
        try:
            table = open_table(source)
            total = sum(1 for _ in table.rows)  # a first pass only counts, so the file is streamed, never held
            mapping = known_mapping(_store(), survey.id, table.headers, mapping_name)
        except (TableError, MappingError) as error:
            raise click.ClickException(str(error)) from error
    if mapping is None:
        mapping = suggest(table.headers)
        described = "\n".join(f"  {header}: {role}" for header, role in zip(mapping.headers, mapping.roles))
        if not accept_suggested:
            raise click.UsageError(f"no mapping saved for this shape of file. Suggested:\n{described}\nChoose one on "
                                   "the dashboard's import page, or re-run with --accept-suggested.")
        if mapping.problems():
            raise click.ClickException("the suggested mapping cannot import: " + "; ".join(mapping.problems()))
        save_mapping(_store(), survey.id, mapping)
    with open(purchases_file, "rb") as source, \
            click.progressbar(length=total, label="importing purchases") as bar:
        try:
            report = import_purchases(_store(), survey, mapped_rows(open_table(source), mapping),
                                      tz_name=current_app.config["TIMEZONE"], progress=lambda: bar.update(1),
                                      workers=workers, country_code=current_app.config["COUNTRY_CODE"])
        except StoreUnavailable as error:
            raise click.ClickException(f"the database stopped answering ({error}); run the same command again: "
                                       "purchases already imported are recognised by their order reference") from error
    click.echo(f"{report.created} invitations scheduled, {report.duplicates} already imported, "
               f"{len(report.errors)} rows refused, {len(report.skipped)} skipped")
    for line, reason in sorted(report.errors + report.skipped):
        click.echo(f"  line {line}: {reason}", err=True)
    if report.errors:
        raise SystemExit(1)


@click.command("send-due")
@with_appcontext
def send_due_command():
    """Send what is due now (invitations, retries, reminders); what the scheduled Lambda event runs."""
    from .jobs import run_send_due

    outcomes = run_send_due()
    click.echo(", ".join(f"{name}: {count}" for name, count in sorted(outcomes.items())) or "nothing due")


@click.command("send-alerts")
@with_appcontext
def send_alerts_command():
    """Alert the owner about new follow-up cases (what the every-minute Lambda event runs)."""
    from .jobs import run_send_alerts

    outcomes = run_send_alerts()
    click.echo(", ".join(f"{name}: {count}" for name, count in sorted(outcomes.items())) or "no new cases")


@click.command("reconcile")
@click.option("--survey", "survey_ids", multiple=True, help="Survey id (default: every survey).")
@click.option("--fix", is_flag=True, help="Correct the aggregates to the recount after reporting.")
@with_appcontext
def reconcile_command(survey_ids, fix):
    """Recount aggregates from raw responses and report drift; exits 1 when there is drift (unless fixed)."""
    from .services import reconcile

    surveys = [_store().get_survey(s) for s in survey_ids] if survey_ids else _store().list_surveys()
    drifted = False
    for survey in surveys:
        drift = reconcile(_store(), survey, fix=fix, tz_name=current_app.config["TIMEZONE"])
        click.echo(f"survey {survey.id}: {drift.responses} responses, "
                   f"{'no drift' if drift.clean else f'{len(drift.items)} aggregate items drifted'}"
                   + (f", {drift.pending} tallies not folded yet (fold-pending or --fix folds them)"
                      if drift.pending else ""))
        for key, differences in sorted(drift.items.items()):
            detail = ", ".join(f"{name} stored {have} recounted {want}" for name, (have, want) in sorted(differences.items()))
            click.echo(f"  {key}: {detail}" + (" (today or yesterday: not fixed, answers may be on their way)"
                                                if key in drift.held else ""))
        drifted = drifted or not drift.clean
    if drifted and not fix:
        raise SystemExit(1)


@click.command("fold-pending")
@click.option("--survey", "survey_ids", multiple=True, help="Survey id (default: every survey).")
@with_appcontext
def fold_pending_command(survey_ids):
    """Fold the tallies the stream consumer has not (it was stopped, or a batch was parked after its retries):
    each is counted once, however often this runs."""
    surveys = [_store().get_survey(s) for s in survey_ids] if survey_ids else _store().list_surveys()
    for survey in surveys:
        report = _store().fold_pending(survey.id)
        click.echo(f"survey {survey.id}: {report.folded} tallies folded"
                   + (f", stopped at {report.failed_at}: run again" if report.failed_at else ""))
        if report.failed_at:
            raise SystemExit(1)


@click.command("erase-customer")
@click.option("--email", default="", help="The customer's e-mail address.")
@click.option("--phone", default="", help="The customer's phone number (any format; Indonesian by default).")
@click.option("--actor", default="cli", show_default=True, help="Who asked, for the audit record.")
@with_appcontext
def erase_customer_command(email, phone, actor):
    """Remove a customer's personal data everywhere; anonymous scores and counters stay; audited.
    The same owner job the dashboard starts, run here to the end."""
    from .background import owner_jobs
    from .domain.contacts import ContactError

    try:
        job = owner_jobs(in_process=True).start_erasure(actor, email=email, phone=phone)
    except (ContactError, ValueError) as error:
        raise click.UsageError(str(error)) from error
    if job.state != "done":
        raise click.ClickException(f"erasure job {job.id} {job.state}: {job.error}")
    counts = job.result
    click.echo(f"erased: {counts['invitations']} invitations, {counts['responses']} responses, "
               f"{counts['cases']} cases, {counts['messages']} messages")


@click.command("backfill-indexes")
@with_appcontext
def backfill_indexes_command():
    """Once after upgrading: contact-index entries for invitations and inbox messages stored before the index (so
    erasure finds them) and day keys for responses stored before them (so exports read only their date range)."""
    surveys = _store().list_surveys()
    written = sum(_store().index_stored_invitations(survey.id) for survey in surveys) + _store().index_inbox()
    days = sum(_store().index_response_days(survey.id) for survey in surveys)
    click.echo(f"{written} contact index entries written, {days} responses given day keys")


@click.command("export")
@click.option("--survey", "survey_id", required=True, help="Survey to export.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "xlsx"]), default="csv", show_default=True)
@click.option("--first", default="2000-01-01", show_default=True, help="First day (owner's calendar).")
@click.option("--last", default="2999-12-31", show_default=True, help="Last day.")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-",
              help="File to write where no exports bucket is configured (default: standard output).")
@with_appcontext
def export_command(survey_id, fmt, first, last, output):
    """Export responses. With SURVEY_EXPORTS_BUCKET: the dashboard's export job, run here, to S3 (prints the key
    and a 15-minute link); without: streamed to --output."""
    from .background import owner_jobs
    from .errors import NotFound
    from .services.dashboard import Filters
    from .services.exports import export_csv, export_jsonl, export_properties, export_xlsx

    try:
        survey = _store().get_survey(survey_id)
    except NotFound:
        raise click.BadParameter(f"no survey {survey_id!r}", param_hint="--survey") from None
    filters = Filters(first, last)
    runner = owner_jobs(in_process=True)
    if runner.objects is None:
        zone = current_app.config["TIMEZONE"]
        if fmt == "xlsx":  # a workbook is binary: it needs a file (--output), not standard output
            if output.name in ("-", "<stdout>"):
                raise click.BadParameter("an XLSX export needs a file name", param_hint="--output")
            with export_xlsx(_store(), survey, filters, export_properties(_store(), survey), tz_name=zone) as book, \
                    open(output.name, "wb") as target:
                target.write(book.read())
            return
        body = export_csv(_store(), survey, filters, export_properties(_store(), survey), tz_name=zone) \
            if fmt == "csv" else export_jsonl(_store(), survey, filters, tz_name=zone)
        for chunk in body:
            output.write(chunk)
        return
    job = runner.start_export(survey, filters, fmt, "cli")
    if job.state != "done":
        raise click.ClickException(f"export job {job.id} {job.state}: {job.error}")
    click.echo(f"{job.result['rows']} responses -> s3://{runner.objects.bucket}/{job.result['key']}", err=True)
    click.echo(runner.download_link(job))


def register(app) -> None:
    for command in (init_db, create_owner_command, seed_demo_command, import_purchases_command, send_due_command,
                    send_alerts_command, reconcile_command, fold_pending_command, erase_customer_command, export_command,
                    backfill_indexes_command):
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
