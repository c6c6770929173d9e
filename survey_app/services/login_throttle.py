"""Login throttling a stranger cannot turn into a lock-out: attempts are counted per account and address pair
and per address, and past a free allowance each further attempt waits twice as long as the last (capped), so
the owner's right password from another address still works at once, and nobody is ever locked for good.
No counter adds up an account's attempts from every address: that is the lever a stranger would pull to keep
its owner out; guessing one account from many addresses meets scrypt, each address's own delays and, where it
is on, the second factor."""
from __future__ import annotations

import math
from datetime import datetime

from ..store import Store
from .accounts import normal_email
from .common import utcnow

PAIR_FREE = 5  # attempts on one account from one address before the delays start
ADDRESS_FREE = 30  # attempts from one address, across accounts (guessing many accounts)
MAX_DELAY_SECONDS = 15 * 60
QUIET_SECONDS = 3600  # a counter left alone this long starts again from zero


def _keys(email: str, address: str) -> list[tuple[str, str, int]]:
    """(pk, sk, free attempts) of the two counters one attempt is judged by."""
    return [(f"LOGINFAIL#{normal_email(email)}", address, PAIR_FREE), (f"LOGINFAIL-ADDR#{address}", "ADDR", ADDRESS_FREE)]


def delay_after(attempts: int, free: int) -> int:
    """Seconds between attempts once `attempts` were counted: none within the allowance, then 1, 2, 4... s."""
    return 0 if attempts < free else min(2 ** (attempts - free), MAX_DELAY_SECONDS)


def _counted(item: dict, now: float) -> int:
    fresh = item and now - item.get("last_epoch", 0) < QUIET_SECONDS
    return item.get("attempts", 0) if fresh else 0


def _wait(items: list[dict], keys: list, epoch: float) -> int:
    return max(0, math.ceil(max(item.get("last_epoch", 0) + delay_after(_counted(item, epoch), free) - epoch
                                for item, (_, _, free) in zip(items, keys))))


def login_wait(store: Store, email: str, address: str, now: datetime | None = None) -> int:
    """Seconds before this account may be tried from this address; 0: now."""
    keys = _keys(email, address)
    return _wait(store.login_attempts([(pk, sk) for pk, sk, _ in keys]), keys, (now or utcnow()).timestamp())


def claim_login_attempt(store: Store, email: str, address: str, now: datetime | None = None) -> int:
    """Counts one attempt if it is allowed now and returns 0; otherwise the seconds to wait (nothing counted).
    Concurrent attempts cannot share one slot: each claim is conditional on the counters it read."""
    epoch = (now or utcnow()).timestamp()
    keys = _keys(email, address)
    items = store.login_attempts([(pk, sk) for pk, sk, _ in keys])
    wait = _wait(items, keys, epoch)
    if wait:
        return wait
    claims = [(item, {"pk": pk, "sk": sk, "attempts": _counted(item, epoch) + 1, "last_epoch": int(epoch),
                      "expires_epoch": int(epoch) + QUIET_SECONDS + MAX_DELAY_SECONDS})
              for item, (pk, sk, _) in zip(items, keys)]
    return 0 if store.claim_login_attempts(claims) else 1


def login_succeeded(store: Store, email: str, address: str) -> None:
    """The pair starts again; the address keeps its count (it may be guessing other accounts)."""
    pk, sk, _ = _keys(email, address)[0]
    store.forget_login_attempts(pk, sk)


def throttled_addresses(store: Store, email: str, now: datetime | None = None) -> list[str]:
    """Addresses this account is being delayed for now (for the admin who may clear them)."""
    epoch = (now or utcnow()).timestamp()
    return [item["sk"] for item in store.throttled_addresses(normal_email(email))
            if item.get("last_epoch", 0) + delay_after(_counted(item, epoch), PAIR_FREE) > epoch]


def clear_login_throttle(store: Store, email: str) -> int:
    """An admin lets a teammate try again at once: every address's counter on the account and those
    addresses' own counters. Returns how many addresses were cleared."""
    items = store.throttled_addresses(normal_email(email))
    for item in items:
        store.forget_login_attempts(item["pk"], item["sk"])
        store.forget_login_attempts(f"LOGINFAIL-ADDR#{item['sk']}", "ADDR")
    return len(items)
