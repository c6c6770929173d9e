"""CLI commands through Flask's test runner: init-db, create-owner, seed-demo."""
from survey_app.domain.metrics import merge
from survey_app.services import authenticate


def test_init_db_reports_an_existing_table(runner, store):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0 and f"table {store.table_name}: already exists" in result.output


def test_init_db_creates_a_missing_table(runner, app, store):
    app.extensions["survey_store"].table_name = store.table_name + "-new"
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0 and "created" in result.output
    assert app.extensions["survey_store"].list_surveys() == []


def test_create_owner_then_login_works(runner, store):
    result = runner.invoke(args=["create-owner", "Boss@Shop.test", "--password", "s3cret-pass", "--role", "viewer"])
    assert result.exit_code == 0 and "boss@shop.test (viewer) saved" in result.output
    assert authenticate(store, "boss@shop.test", "s3cret-pass").role == "viewer"


def test_create_owner_refuses_a_short_password(runner):
    result = runner.invoke(args=["create-owner", "a@b.test", "--password", "short"])
    assert result.exit_code != 0 and "at least 8 characters" in result.output


def test_seed_demo_fills_ninety_days_in_two_languages(runner, store):
    result = runner.invoke(args=["seed-demo", "--responses", "120"])
    assert result.exit_code == 0, result.output
    (survey,) = store.list_surveys()
    daily = store.daily_counters(survey.id, "2000-01-01", "2999-12-31")
    assert merge(daily.values())["n"] == 124 and len(daily) > 30  # 120 past + 4 recent unhappy ones
    assert len(store.open_cases(survey.id)) == 4
    languages = {r.language for r in store.iter_responses(survey.id)}
    assert languages == {"id", "en"}
    assert len(store.latest_comments(survey.id, 5)) == 5


def test_reconcile_reports_no_drift_then_finds_and_fixes_injected_drift(runner, store):
    runner.invoke(args=["seed-demo", "--responses", "50"])
    (survey,) = store.list_surveys()
    clean = runner.invoke(args=["reconcile"])
    assert clean.exit_code == 0 and "54 responses, no drift" in clean.output
    day = next(iter(store.daily_counters(survey.id, "2000-01-01", "2999-12-31")))
    store.add_day_counters(survey.id, day, {"n": 1, "promoter": 1})  # a response counted twice
    drifted = runner.invoke(args=["reconcile", "--survey", survey.id])
    assert drifted.exit_code == 1 and f"DAY#{day}: n stored" in drifted.output
    assert runner.invoke(args=["reconcile", "--fix"]).exit_code == 0
    assert "no drift" in runner.invoke(args=["reconcile"]).output
