"""Login throttling that slows a password guesser down without letting anyone lock out a victim.

Failed logins are counted per (account, client address) pair: after FREE_FAILURES the pair has to
wait 2^(n - FREE_FAILURES) seconds, at most MAX_WAIT, before the next try. The account's owner on
another connection is never held up by someone else's guessing. A client address is also limited
over all accounts (IP_FAILURES failed logins per IP_WINDOW), against one machine trying many.

The counters live in the rate limiter's storage (RATELIMIT_STORAGE_URI: Redis in production), so
every worker sees them. Accounts are keyed by a hash of the typed address: the storage holds no
addresses, and an address without an account is throttled exactly like one with an account.
Throttling is on when the rate limiter is (RATELIMIT_ENABLED). If the storage is unreachable,
logins go on unthrottled rather than nobody being able to log in."""

from __future__ import annotations

import hashlib
import math
import time

from flask import current_app
from flask_babel import ngettext
from flask_limiter.util import get_remote_address

from stagematch.extensions import limiter

FREE_FAILURES = 5
MAX_WAIT = 15 * 60  # seconds
FAILURE_MEMORY = 24 * 3600  # a pair's failures are forgotten a day after the first one
IP_FAILURES = 50
IP_WINDOW = 15 * 60


def _active() -> bool:
    return bool(limiter.enabled and limiter.initialized)


def _pair(email: str) -> str:
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"{account}:{get_remote_address()}"


def _keys(email: str) -> tuple[str, str, str]:
    """(failures of the pair, the pair's wait, failures of the client address)."""
    pair = _pair(email)
    return f"login-failures/{pair}", f"login-wait/{pair}", f"login-ip/{get_remote_address()}"


def wait_seconds(email: str) -> int:
    """How long this client has to wait before trying this account again (0: go ahead)."""
    if not _active():
        return 0
    failures_key, wait_key, ip_key = _keys(email)
    try:
        storage = limiter.storage
        blocked = []
        if storage.get(wait_key) > 0:
            blocked.append(storage.get_expiry(wait_key))
        if storage.get(ip_key) >= IP_FAILURES:
            blocked.append(storage.get_expiry(ip_key))
    except Exception:  # the storage is not ours to crash on
        current_app.logger.exception("Login throttling: rate-limit storage unreachable")
        return 0
    if not blocked:
        return 0
    return max(1, math.ceil(max(blocked) - time.time()))


def record_failure(email: str) -> None:
    if not _active():
        return
    failures_key, wait_key, ip_key = _keys(email)
    try:
        storage = limiter.storage
        failures = storage.incr(failures_key, FAILURE_MEMORY)
        storage.incr(ip_key, IP_WINDOW)
        if failures >= FREE_FAILURES:
            wait = min(2 ** min(failures - FREE_FAILURES, 20), MAX_WAIT)
            storage.clear(wait_key)
            storage.incr(wait_key, wait)
    except Exception:
        current_app.logger.exception("Login throttling: rate-limit storage unreachable")


def record_success(email: str) -> None:
    """The pair starts afresh; the client address's failures stay counted."""
    if not _active():
        return
    failures_key, wait_key, _ip_key = _keys(email)
    try:
        limiter.storage.clear(failures_key)
        limiter.storage.clear(wait_key)
    except Exception:
        current_app.logger.exception("Login throttling: rate-limit storage unreachable")


def describe_wait(seconds: int) -> str:
    """'1 seconde', '40 seconden', '3 minuten' (rounded up): how long, in the reader's words."""
    if seconds < 60:
        return ngettext("%(num)s seconde", "%(num)s seconden", seconds)
    minutes = math.ceil(seconds / 60)
    return ngettext("%(num)s minuut", "%(num)s minuten", minutes)
