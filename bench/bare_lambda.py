"""bare_app.py as a Lambda app_function, plus the form libraries the real app imports: the baseline of the
deployed benchmarks is Flask + WTForms + a boto3 client, packaged and served the same way as the app."""
import flask_wtf  # noqa: F401  (imported for its cost, as the real app does)
import wtforms  # noqa: F401
from bare_app import app  # noqa: F401  (Zappa's app_function: bare_lambda.app)
