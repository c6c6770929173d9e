"""Zappa's app_function: the app is built once per Lambda container, at import."""
from . import create_app

app = create_app()
