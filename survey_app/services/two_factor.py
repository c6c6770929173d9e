"""Optional two-factor sign-in: TOTP (RFC 6238, pyotp: an authenticator app's 6-digit code, each accepted once)
and ten single-use recovery codes, shown once and stored only as SHA-256. The TOTP secret has to be readable to
check a code, so it is stored sealed by KMS (store/secret_box.py); one stored before that is sealed at its owner's
next successful sign-in."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from ..domain.models import Owner
from ..store import Store
from ..store.secret_box import SealBroken, SecretBox, is_sealed
from .common import utcnow

RECOVERY_CODES = 10
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # 5 bits a character
DRIFT_STEPS = 1  # a code from the 30 s before or after also counts: phones' clocks drift


def _totp(secret: str):
    """pyotp is imported on first use: the sign-in pages need it, the customers' answer path never does."""
    import pyotp

    return pyotp.TOTP(secret)


def new_secret() -> str:
    return "".join(secrets.choice(BASE32) for _ in range(32))  # 160 bits, as pyotp.random_base32() draws


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return _totp(secret).provisioning_uri(name=email, issuer_name=issuer)


def _step(secret: str, code: str, now: datetime) -> int | None:
    """The time step `code` belongs to, within the allowed drift; None when it matches none."""
    code = "".join(code.split())
    if not code.isdigit() or len(code) != 6:
        return None
    totp = _totp(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _code_hash(code: str) -> str:
    """Recovery codes are 80-bit random: a fast hash is enough. Dashes, spaces and case do not matter."""
    return hashlib.sha256("".join(code.split()).replace("-", "").upper().encode()).hexdigest()


def _recovery_codes() -> list[str]:
    codes = ["".join(secrets.choice(BASE32) for _ in range(16)) for _ in range(RECOVERY_CODES)]
    return ["-".join(code[i:i + 4] for i in range(0, 16, 4)) for code in codes]


def enable(store: Store, box: SecretBox, owner: Owner, secret: str, code: str,
           now: datetime | None = None) -> list[str] | None:
    """Turns two-factor on once the app shows a right code for the new secret; returns the recovery codes (shown
    once) or None for a wrong code. Other sessions end."""
    step = _step(secret, code, now or utcnow())
    if step is None:
        return None
    codes = _recovery_codes()
    changed = store.change_owner(owner, totp_secret=box.seal(secret, owner.email), totp_last_step=step,
                                 recovery_codes=tuple(_code_hash(c) for c in codes))
    return codes if changed else None


def disable(store: Store, box: SecretBox, owner: Owner, code: str, now: datetime | None = None) -> Owner | None:
    """Needs a current code (or a recovery code): a borrowed open session alone cannot turn it off."""
    if not verify(store, box, owner, code, now):
        return None
    return store.change_owner(store.get_owner(owner.email), totp_secret="", totp_last_step=0, recovery_codes=())


def verify(store: Store, box: SecretBox, owner: Owner, code: str, now: datetime | None = None) -> bool:
    """A current TOTP code not used before, or an unused recovery code (then spent). A secret still stored plain
    is sealed once either succeeds."""
    secret = _open(box, owner)
    step = _step(secret, code, now or utcnow()) if secret else None
    if step is not None:
        verified = step > owner.totp_last_step and store.use_totp_step(owner.email, step)
    else:
        verified = len(code) <= 40 and store.use_recovery_code(owner.email, _code_hash(code))
    if verified and secret and box.key_id and not is_sealed(owner.totp_secret):
        store.replace_totp_secret(owner.email, owner.totp_secret, box.seal(secret, owner.email))
    return verified


def _open(box: SecretBox, owner: Owner) -> str:
    """The plain secret, or "" when the stored one does not open for this owner (then only a recovery code
    works)."""
    if not owner.totp_secret:
        return ""
    try:
        return box.open(owner.totp_secret, owner.email)
    except SealBroken:
        return ""
