"""Owner accounts (scrypt password hashes) and API keys (random, shown once, stored as SHA-256)."""
from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime

from werkzeug.security import check_password_hash, generate_password_hash

from ..domain.models import Owner
from ..errors import NotFound
from ..store import Store
from .common import utcnow

API_KEY_PREFIX = "sk_"
LOGIN_WINDOW_MINUTES = 15
MAX_FAILURES_PER_ACCOUNT = 5  # then that account is locked until the window ends, whatever the password
MAX_FAILURES_PER_IP = 30  # one address guessing across many accounts


def _login_window(now: datetime) -> str:
    minute = now.minute - now.minute % LOGIN_WINDOW_MINUTES
    return now.replace(minute=minute, second=0, microsecond=0).isoformat()


def login_locked(store: Store, email: str, ip: str, now: datetime | None = None) -> bool:
    window = _login_window(now or utcnow())
    return (store.rate_hits(f"login#account#{email.strip().lower()}", window) >= MAX_FAILURES_PER_ACCOUNT
            or store.rate_hits(f"login#ip#{ip}", window) >= MAX_FAILURES_PER_IP)


def record_login_failure(store: Store, email: str, ip: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    window, expires = _login_window(now), int(now.timestamp()) + 2 * LOGIN_WINDOW_MINUTES * 60
    for key in (f"login#account#{email.strip().lower()}", f"login#ip#{ip}"):
        store.take_rate_token(key, window, limit=10**6, expires_epoch=expires)


def create_owner(store: Store, email: str, password: str, role: str = "admin") -> Owner:
    """Passwords are stored only as a slow salted hash (scrypt)."""
    if len(password) < 8:
        raise ValueError("Password must be at least 8 characters.")
    owner = Owner(email=email.strip().lower(), password_hash=generate_password_hash(password), role=role)
    store.put_owner(owner)
    return owner


def authenticate(store: Store, email: str, password: str) -> Owner | None:
    try:
        owner = store.get_owner(email.strip().lower())
    except NotFound:
        check_password_hash(_dummy_hash(), password)  # same cost for unknown accounts: no enumeration by timing
        return None
    return owner if check_password_hash(owner.password_hash, password) else None


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(8))


def _key_hash(key: str) -> str:
    """A fast hash is enough: keys are 256-bit random, not guessable passwords."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(store: Store, label: str, created_by: str) -> str:
    """Returns the key itself, once; only its hash is stored."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    store.put_api_key(_key_hash(key), label.strip()[:100], created_by, utcnow().isoformat())
    return key


def api_key_owner(store: Store, key: str) -> str | None:
    """Who created this key, or None when it is unknown or revoked."""
    if not key.startswith(API_KEY_PREFIX) or len(key) > 100:
        return None
    try:
        item = store.get_api_key(_key_hash(key))
    except NotFound:
        return None
    return None if item.get("revoked_at") else item["created_by"]


def revoke_api_key(store: Store, key_hash: str) -> bool:
    return store.revoke_api_key(key_hash, utcnow().isoformat())
