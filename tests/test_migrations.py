"""The migrations build exactly the schema the models describe (a missing migration fails here)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from stagematch.extensions import db, included_in_schema_comparison


def test_upgraded_database_matches_the_models(app):
    # The session fixture built this database with `flask db upgrade` from nothing.
    with db.engine.connect() as conn:
        opts = {"compare_type": True, "include_name": included_in_schema_comparison}
        context = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_every_model_table_exists(app):
    tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_upgrade_command_builds_a_fresh_sqlite_database(tmp_path):
    from flask_migrate import upgrade

    from stagematch import create_app

    fresh = create_app("test", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.db'}"})
    with fresh.app_context():
        upgrade()
        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()
