"""Structural promises: one module talks to DynamoDB, and the answer path never loads plotly."""
import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "survey_app"
ALLOWED_BOTO3 = {"store", "channels", "parameters.py"}  # DynamoDB; SES; the one SSM read at cold start


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_store_parameters_and_channels_import_boto3():
    offenders = [
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
        if {"boto3", "botocore"} & imported_modules(path)
        and not ALLOWED_BOTO3 & {path.name, path.relative_to(PACKAGE).parts[0]}
    ]
    assert offenders == []


def test_the_domain_has_no_flask_boto3_or_io():
    for path in (PACKAGE / "domain").rglob("*.py"):
        assert not {"flask", "boto3", "botocore", "requests"} & imported_modules(path), path


def test_answer_path_never_imports_plotly():
    """A fresh interpreter imports the Lambda entry point and serves an answer page, then lists heavy modules."""
    script = """
import sys
from moto import mock_aws
with mock_aws():
    import survey_app.wsgi as wsgi
    store = wsgi.app.extensions["survey_store"]
    store.create_table()
    from tests.factories import make_survey, make_invitation
    survey = make_survey(store)
    token = make_invitation(store, survey).token
    client = wsgi.app.test_client()
    assert client.get("/s/" + token).status_code == 200
    assert client.get("/o/" + survey.id).status_code == 200
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"plotly", "pandas", "numpy", "openpyxl", "phonenumbers", "babel", "pyotp"})
print(",".join(heavy))
"""
    env = {"SURVEY_SECRET_KEY": "x" * 40, "SURVEY_PUBLIC_URL": "https://survey.toko.test",
           "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t",
           "AWS_DEFAULT_REGION": "ap-southeast-3", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                            cwd=PACKAGE.parent, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
