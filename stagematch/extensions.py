"""Flask extensions, created unbound and initialised in create_app."""

import sqlite3

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so migrations can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
# Limits are declared on the views that need them (password reset, registration); none by
# default. The storage comes from RATELIMIT_STORAGE_URI (a storage_uri given here would win over
# the configuration); login throttling (stagematch/auth/throttle.py) keeps its counters there too.
# Keyed on request.remote_addr: the client's address as ProxyFix (PROXY_COUNT) established it.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _sqlite_functions(dbapi_connection, _record) -> None:
    """SQLite has no trigonometry of its own in every build: the search's distance in SQL is
    `geo.distance_km` itself, registered per connection, so SQL and Python agree to the bit
    (PostgreSQL computes the same formula in `services/search.py`)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        from stagematch.geo import distance_km

        dbapi_connection.create_function("sm_distance_km", 4, distance_km, deterministic=True)


# The search's full-text indexes (migration c3f75ear4ch1): SQLite's FTS5 tables and their shadow
# tables, PostgreSQL's GIN expression indexes. Made by the migration, not by the models, so
# comparing the models with the schema leaves them out.
FTS_TABLE_PREFIXES = ("placement_fts", "company_fts")
FTS_INDEXES = ("ix_placement_words", "ix_company_words")


def included_in_schema_comparison(name, type_, _parent_names) -> bool:
    """Alembic `include_name`: everything but the full-text tables and indexes."""
    if type_ == "table" and name and name.startswith(FTS_TABLE_PREFIXES):
        return False
    return not (type_ == "index" and name in FTS_INDEXES)
