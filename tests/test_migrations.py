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


def test_migrations_keep_the_rows_of_a_filled_sqlite_database(tmp_path):
    """SQLite alters a table by copying it, dropping the old one and renaming: with foreign keys
    on, the drop ran the ON DELETE actions of the tables that point at it (a user-table change
    emptied student_profile and nulled every internship's student). Down to the revision before
    this session's changes and up again: every row stays."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import func, select

    from stagematch import create_app
    from stagematch.models import StudentProfile, User

    url = f"sqlite:///{tmp_path / 'filled.db'}"
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        from stagematch.reference import load_reference_data
        from tests.conftest import Factory

        load_reference_data()
        make = Factory()
        kok = make.qualification()
        company = make.company(qualifications=[kok])
        place = make.placement(company, make.meester(company, capacity=3), qualification=kok)
        student = make.student(qualification=kok)
        db.session.commit()
        counts = lambda: (  # noqa: E731
            db.session.scalar(select(func.count()).select_from(User)),
            db.session.scalar(select(func.count()).select_from(StudentProfile)),
            db.session.get(StudentProfile, student.profile.id).user_id,
            db.session.scalar(select(func.count()).select_from(type(place))),
        )
        before = counts()
        db.session.remove()
        downgrade(revision="d5t0r3d5ugg5")
        upgrade()
        assert counts() == before
        db.engine.dispose()
