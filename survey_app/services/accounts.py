"""Owner accounts (scrypt password hashes, roles, revocable sessions) and API keys (random, shown once, stored
as SHA-256, each limited to its scopes and, maybe, to some surveys)."""
from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from typing import Iterable

from werkzeug.security import check_password_hash, generate_password_hash

from ..domain.models import Owner
from ..errors import NotFound
from ..store import Store
from ..store.accounts import LastAdmin
from .common import utcnow

API_KEY_PREFIX = "sk_"
# What a key may do: post purchases, read (surveys, responses, summaries, cases), manage webhooks. Webhooks carry
# every survey's events, so a key limited to some surveys cannot manage them.
SCOPES = ("purchases", "read", "webhooks")
ROLES = ("admin", "agent", "viewer")
MIN_PASSWORD = 8


class OwnerExists(Exception):
    """An owner with this e-mail exists already (create-owner needs --force to replace it)."""


def normal_email(email: str) -> str:
    return email.strip().lower()


def password_hash(password: str) -> str:
    """Passwords are stored only as a slow salted hash (scrypt).

    :raises ValueError: too short.
    """
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"Password must be at least {MIN_PASSWORD} characters.")
    return generate_password_hash(password)


def create_owner(store: Store, email: str, password: str, role: str = "admin", force: bool = False) -> Owner:
    """A new owner; an existing one is replaced only with `force` (its sessions end, two-factor is reset).

    :raises OwnerExists: it exists and `force` is not given. :raises LastAdmin: `force` would demote the last admin.
    """
    if role not in ROLES:
        raise ValueError(f"Role must be one of {', '.join(ROLES)}.")
    email = normal_email(email)
    try:
        previous = store.get_owner(email)
    except NotFound:
        previous = None
    if previous and not force:
        raise OwnerExists(email)
    version = previous.session_version + 1 if previous else 1
    owner = Owner(email=email, password_hash=password_hash(password), role=role, session_version=version)
    with_count(store, lambda: store.put_owner(owner, previous))
    return owner


def with_count(store: Store, change):
    """Runs a team change; a table whose owners predate the admin count gets it counted once, then the change
    is tried again."""
    try:
        return change()
    except LastAdmin:
        if store.admin_count() is not None:
            raise
        store.start_admin_count(sum(o.role == "admin" for o in store.list_owners()))
        return change()


def authenticate(store: Store, email: str, password: str) -> Owner | None:
    try:
        owner = store.get_owner(normal_email(email))
    except NotFound:
        check_password_hash(_dummy_hash(), password)  # same cost for unknown accounts: no enumeration by timing
        return None
    return owner if check_password_hash(owner.password_hash, password) else None


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(8))


def session_owner(store: Store, email: str, session_version: object) -> Owner | None:
    """The owner a session cookie names, if that session is still good: the account exists and no removal,
    role or password change or "log out everywhere" happened since it signed in. One consistent read."""
    try:
        owner = store.get_owner(email)
    except NotFound:
        return None
    return owner if owner.session_version == session_version else None


def change_password(store: Store, owner: Owner, current: str, new: str) -> Owner | None:
    """The new password ends every session (the caller signs this one in again); None for a wrong current one.

    :raises ValueError: the new password is too short.
    """
    if not check_password_hash(owner.password_hash, current):
        return None
    return store.change_owner(owner, password_hash=password_hash(new))


def log_out_everywhere(store: Store, owner: Owner) -> Owner | None:
    return store.change_owner(owner)


def _key_hash(key: str) -> str:
    """A fast hash is enough: keys are 256-bit random, not guessable passwords."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyError(ValueError):
    """A key that cannot be made as asked, in the owner's words."""


@dataclass(frozen=True)
class ApiKey:
    """What a presented key may do: `surveys` empty means every survey (and so do keys made before scopes)."""

    owner: str
    scopes: frozenset[str] = frozenset(SCOPES)
    surveys: frozenset[str] = frozenset()

    def covers(self, survey_id: str) -> bool:
        return not self.surveys or survey_id in self.surveys


def create_api_key(store: Store, label: str, created_by: str, scopes: Iterable[str] = SCOPES,
                   surveys: Iterable[str] = ()) -> str:
    """Returns the key itself, once; only its hash is stored. :raises ApiKeyError:"""
    scopes, surveys = [s for s in SCOPES if s in set(scopes)], sorted(set(surveys))
    if not scopes:
        raise ApiKeyError("Choose at least one thing the key may do.")
    if surveys and "webhooks" in scopes:
        raise ApiKeyError("Webhooks carry every survey's events: a key that manages them cannot be limited to "
                          "some surveys.")
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    store.put_api_key(_key_hash(key), label.strip()[:100], created_by, utcnow().isoformat(), scopes, surveys)
    return key


def api_key_grant(store: Store, key: str) -> ApiKey | None:
    """What this key may do, or None when it is unknown or revoked."""
    if not key.startswith(API_KEY_PREFIX) or len(key) > 100:
        return None
    try:
        item = store.get_api_key(_key_hash(key))
    except NotFound:
        return None
    if item.get("revoked_at"):
        return None
    return ApiKey(item["created_by"], frozenset(item.get("scopes", SCOPES)), frozenset(item.get("surveys", ())))


def revoke_api_key(store: Store, key_hash: str) -> bool:
    return store.revoke_api_key(key_hash, utcnow().isoformat())

