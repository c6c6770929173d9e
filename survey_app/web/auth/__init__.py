"""Owner sign-in (password, then the second factor where it is on) and sign-out, forgotten passwords, and the
set-password pages behind team invitations and reset links; owners live in DynamoDB with scrypt hashes."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import routes  # noqa: E402,F401
