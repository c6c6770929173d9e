"""Owner login and logout; owners live in DynamoDB with scrypt password hashes."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import routes  # noqa: E402,F401
