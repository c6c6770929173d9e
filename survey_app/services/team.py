"""The team: invitations and password resets by single-use, expiring links (random tokens stored only as
SHA-256), role changes and removals that never leave the team without an admin; every change to the team is
written to its audit trail."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain.models import Owner
from ..errors import AlreadyAnswered, NotFound
from ..store import Store
from .accounts import ROLES, OwnerExists, normal_email, password_hash, with_count
from .common import utcnow
from .login_throttle import clear_login_throttle

INVITATION_HOURS = 72
RESET_MINUTES = 60
RESETS_PER_ACCOUNT_PER_HOUR = 3  # a stranger cannot fill someone's inbox with reset mail


@dataclass(frozen=True)
class Link:
    """A single-use link's token (shown once, in the e-mail) and when it stops working."""

    token: str
    expires_at: datetime


def _hash(token: str) -> str:
    """A fast hash is enough: tokens are 256-bit random."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_link(store: Store, kind: str, values: dict, now: datetime, lifetime: timedelta) -> Link:
    token = secrets.token_urlsafe(32)
    expires = now + lifetime
    store.put_link(kind, _hash(token), values | {"expires_at": expires.isoformat()}, now.isoformat(),
                   int(expires.timestamp()))
    return Link(token, expires)


def _live_link(store: Store, kind: str, token: str, now: datetime) -> dict | None:
    if not token or len(token) > 100:
        return None
    try:
        link = store.get_link(kind, _hash(token))
    except NotFound:
        return None
    return link if link["expires_epoch"] > now.timestamp() else None  # TTL deletes within days, not at once


def invite_teammate(store: Store, email: str, role: str, invited_by: str, now: datetime | None = None) -> Link:
    """:raises OwnerExists: the address already has an account."""
    if role not in ROLES:
        raise ValueError(f"Role must be one of {', '.join(ROLES)}.")
    email = normal_email(email)
    now = now or utcnow()
    try:
        store.get_owner(email)
    except NotFound:
        link = _new_link(store, "TEAMINVITE", {"email": email, "role": role, "invited_by": invited_by}, now,
                         timedelta(hours=INVITATION_HOURS))
        store.put_team_event(now.isoformat(), "invite", invited_by, email, role)
        return link
    raise OwnerExists(email)


def team_invitation(store: Store, token: str, now: datetime | None = None) -> dict | None:
    """The invitation behind a link while it can still be used."""
    return _live_link(store, "TEAMINVITE", token, now or utcnow())


def pending_invitations(store: Store, now: datetime | None = None) -> list[dict]:
    epoch = (now or utcnow()).timestamp()
    return [i for i in store.list_team_invitations() if i["expires_epoch"] > epoch]


def revoke_invitation(store: Store, token_hash: str, actor: str, now: datetime | None = None) -> bool:
    """The link stops working at once (accepting it deletes the same item under a condition, so the two cannot
    both succeed); False when it was already used, withdrawn or expired."""
    now = now or utcnow()
    try:
        invitation = store.get_link("TEAMINVITE", token_hash)
    except NotFound:
        return False
    if invitation["expires_epoch"] <= now.timestamp() or not store.delete_link("TEAMINVITE", token_hash):
        return False
    store.put_team_event(now.isoformat(), "revoke", actor, invitation["email"], invitation["role"])
    return True


def accept_invitation(store: Store, token: str, password: str, now: datetime | None = None) -> Owner | None:
    """The invited account, with the password chosen; None when the link was used or expired.

    :raises ValueError: the password is too short.
    """
    now = now or utcnow()
    invitation = team_invitation(store, token, now)
    if invitation is None:
        return None
    owner = Owner(email=invitation["email"], password_hash=password_hash(password), role=invitation["role"])
    try:
        store.accept_team_invitation(_hash(token), owner, int(now.timestamp()))
    except AlreadyAnswered:
        return None
    return owner


def request_password_reset(store: Store, email: str, now: datetime | None = None) -> tuple[str, Link] | None:
    """(address, link) to send, or None: no such account, or it was sent enough reset mail this hour. The caller
    answers the same either way."""
    now = now or utcnow()
    email = normal_email(email)
    try:
        owner = store.get_owner(email)
    except NotFound:
        return None
    hour = now.replace(minute=0, second=0, microsecond=0).isoformat()
    if not store.take_rate_token(f"reset#{email}", hour, RESETS_PER_ACCOUNT_PER_HOUR, int(now.timestamp()) + 7200):
        return None
    link = _new_link(store, "PWRESET", {"email": email, "session_version": owner.session_version}, now,
                     timedelta(minutes=RESET_MINUTES))
    return email, link


def password_reset(store: Store, token: str, now: datetime | None = None) -> dict | None:
    """The reset behind a link while it can still be used."""
    return _live_link(store, "PWRESET", token, now or utcnow())


def reset_password(store: Store, token: str, password: str, now: datetime | None = None) -> Owner | None:
    """Sets the password and ends every session; None when the link was used, expired, or the account changed
    (another reset, a password change) since it was sent.

    :raises ValueError: the password is too short.
    """
    now = now or utcnow()
    reset = password_reset(store, token, now)
    if reset is None:
        return None
    new_hash = password_hash(password)
    try:
        owner = store.get_owner(reset["email"])
        if owner.session_version != reset["session_version"]:
            return None
        store.reset_password(_hash(token), owner, new_hash, int(now.timestamp()))
    except (NotFound, AlreadyAnswered):
        return None
    return store.get_owner(owner.email)


def change_role(store: Store, email: str, role: str, actor: str) -> Owner | None:
    """The teammate with the new role (their sessions end); None when they left or changed meanwhile.

    :raises LastAdmin: they are the last admin.
    """
    if role not in ROLES:
        raise ValueError(f"Role must be one of {', '.join(ROLES)}.")
    try:
        owner = store.get_owner(normal_email(email))
    except NotFound:
        return None
    if owner.role == role:
        return owner
    changed = with_count(store, lambda: store.change_owner(owner, role=role))
    if changed:
        store.put_team_event(utcnow().isoformat(), "role", actor, owner.email, role)
    return changed


def let_try_again(store: Store, email: str, actor: str) -> int:
    """Clears a teammate's sign-in delays (services/login_throttle.py); how many addresses were delayed."""
    cleared = clear_login_throttle(store, email)
    if cleared:
        store.put_team_event(utcnow().isoformat(), "clear", actor, normal_email(email))
    return cleared


def remove_teammate(store: Store, email: str, actor: str) -> bool:
    """Their open sessions are refused from the next request on.

    :raises LastAdmin: they are the last admin.
    """
    try:
        owner = store.get_owner(normal_email(email))
    except NotFound:
        return False
    removed = with_count(store, lambda: store.remove_owner(owner))
    if removed:
        store.put_team_event(utcnow().isoformat(), "remove", actor, owner.email, owner.role)
    return removed
