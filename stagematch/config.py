"""Configuration classes. Secrets and the database come from the environment."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

DEV_SECRET_KEY = "dev-only-not-secret"
RANKING_LOG_MIN_DAYS = 183  # six months, rounded up


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    # None means: an SQLite file in the instance folder (resolved in create_app).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = (
        None  # a student may take long over a form; the token lives with the session
    )
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # werkzeug's default (scrypt); tests use a cheap method to keep the suite fast.
    PASSWORD_HASH_METHOD = "scrypt"
    PER_PAGE = 25
    # After a change that makes stored suggestions stale, queue a job that recomputes them
    # (services/stored_suggestions.py); the test suite turns it on where it tests it.
    SUGGESTIONS_REFRESH = True
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")
    MAIL_FILE_PATH = os.environ.get("MAIL_FILE_PATH")  # None: instance/outbox (set in create_app)
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "StageMatch <noreply@stagematch.nl>"
    )
    # Requests up to 16 MB reach the forms, so a too-big CV gets a form error with the input kept;
    # the CV itself is capped at 2 MB, CSV imports at 1 MB.
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") == "1"
    # Students who left (no login and no finished internship for this long) are anonymised by
    # `flask retention`; see the privacy page.
    RETENTION_MONTHS = int(os.environ.get("RETENTION_MONTHS", "24"))
    # The interaction log (what was shown and done; the ranking's memory) is kept this long.
    INTERACTION_RETENTION_DAYS = int(os.environ.get("INTERACTION_RETENTION_DAYS", "730"))
    # The ranking log (every ranked list served; the `list_shown` rows of that log) is kept this
    # long: at least six months (EU AI Act art. 26(6)); a smaller value refuses to start.
    RANKING_LOG_DAYS = int(os.environ.get("RANKING_LOG_DAYS", str(RANKING_LOG_MIN_DAYS)))
    # A company answers an application within this many days (reminders after 7 and 12), else it
    # expires. One value for the school year; set it per year (e.g. 21 around the holidays).
    APPLICATION_ANSWER_DAYS = int(os.environ.get("APPLICATION_ANSWER_DAYS", "14"))
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Redis away: count per worker meanwhile instead of failing the rate-limited pages with a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Production runs several workers, whose rate-limit counters (login throttling included) must
    # be shared: it refuses memory:// unless RATELIMIT_ALLOW_MEMORY=1 (a single worker).
    RATELIMIT_ALLOW_MEMORY = os.environ.get("RATELIMIT_ALLOW_MEMORY") == "1"
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto. 0: none, and those
    # headers are ignored (any client can send them).
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    DEMO_PASSWORD = "stagematch-demo"

    @staticmethod
    def check(config: dict) -> None:
        """Refuse settings that are unsafe for this environment."""
        _check_ranking_log(config)


class DevelopmentConfig(Config):
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL")
    WTF_CSRF_ENABLED = False
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    RATELIMIT_ENABLED = False  # a dedicated test turns it on
    JOBS_IMMEDIATE = True  # tasks run at once in the test; tests/test_jobs.py starts a real worker
    SUGGESTIONS_REFRESH = False


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # No default: links in mail are built from BASE_URL, so it must be the site's real address.
    BASE_URL = os.environ.get("BASE_URL")
    # Host names the site answers to besides BASE_URL's (comma-separated), e.g. an internal name
    # a health check uses; any other Host header gets 400.
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()]

    @staticmethod
    def check(config: dict) -> None:
        _check_ranking_log(config)
        if config["SECRET_KEY"] in (DEV_SECRET_KEY, "", None):
            raise RuntimeError("Set SECRET_KEY: production refuses to start with the default key.")
        _check_base_url(config)
        if config["RATELIMIT_STORAGE_URI"].startswith("memory://") and not config.get(
            "RATELIMIT_ALLOW_MEMORY"
        ):
            raise RuntimeError(
                "Set RATELIMIT_STORAGE_URI (e.g. redis://localhost:6379/0): memory:// keeps "
                "login throttling per worker. RATELIMIT_ALLOW_MEMORY=1 allows it for one worker."
            )


def _check_ranking_log(config: dict) -> None:
    days = config.get("RANKING_LOG_DAYS", RANKING_LOG_MIN_DAYS)
    if not isinstance(days, int) or days < RANKING_LOG_MIN_DAYS:
        raise RuntimeError(
            f"RANKING_LOG_DAYS is {days!r}: the ranking log must be kept at least "
            f"{RANKING_LOG_MIN_DAYS} days (six months); set it to {RANKING_LOG_MIN_DAYS} or more."
        )


def _check_base_url(config: dict) -> None:
    """BASE_URL must be the site's https address; only its host (and TRUSTED_HOSTS) is served."""
    base = urlsplit((config.get("BASE_URL") or "").strip())
    if base.scheme != "https" or not base.hostname or base.query or base.fragment:
        raise RuntimeError(
            "Set BASE_URL to the site's address, e.g. https://stagematch.nl: production builds "
            "the links in its mails from it and refuses to start without it."
        )
    config["BASE_URL"] = base.geturl().rstrip("/")
    extra = [h for h in config.get("TRUSTED_HOSTS") or [] if h != base.hostname]
    config["TRUSTED_HOSTS"] = [base.hostname, *extra]


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
