"""open-places index and full-text search (issue 20)

Revision ID: c3f75ear4ch1
Revises: b2a6du1t5evc
Create Date: 2026-11-24 09:00:00

The search narrows by a partial index on open places (leerweg, lat, lon) and finds words with a
full-text index: on PostgreSQL GIN expression indexes over `to_tsvector('dutch', ...)` of the
place's title and tasks and of the company's name (`services/search.py` uses the very same
expressions, so the planner matches them); on SQLite FTS5 tables with external content, kept in
step by triggers.

SQLite caveat: a later `batch_alter_table` on `placement` or `company` rebuilds the table and
drops these triggers; such a migration must call `create_sqlite_fts()` again (it rebuilds the index).
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op

# revision identifiers, used by Alembic.
revision = "c3f75ear4ch1"
down_revision = "b2a6du1t5evc"
branch_labels = None
depends_on = None

# "/", ".", "@" and ":" become spaces first: PostgreSQL's parser would otherwise read
# "Parts-/baliemedewerker" as a file path and "kok.nl" as a host name, not as words.
PG_PLACEMENT_DOCUMENT = (
    "to_tsvector('dutch'::regconfig, translate((title || ' ') || tasks, '/.@:', '    '))"
)
PG_COMPANY_DOCUMENT = "to_tsvector('dutch'::regconfig, translate(name, '/.@:', '    '))"

# (fts table, content table, columns)
SQLITE_FTS = (
    ("placement_fts", "placement", ("title", "tasks")),
    ("company_fts", "company", ("name",)),
)


def create_sqlite_fts():
    for fts, table, columns in SQLITE_FTS:
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        op.execute(f"DROP TABLE IF EXISTS {fts}")
        # unicode61 folds case and (remove_diacritics 2) accents: "ë" matches "e" as ILIKE did not.
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id',"
            f" tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def drop_sqlite_fts():
    for fts, _table, _columns in SQLITE_FTS:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")


def upgrade():
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.create_index(
            "ix_placement_open_leerweg_lat_lon",
            ["leerweg", "lat", "lon"],
            unique=False,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )
        batch_op.create_index(
            "ix_placement_open_national",
            ["leerweg"],
            unique=False,
            postgresql_where=sa.text("status = 'open' AND national"),
            sqlite_where=sa.text("status = 'open' AND national"),
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE INDEX ix_placement_words ON placement USING gin ({PG_PLACEMENT_DOCUMENT})"
        )
        op.execute(f"CREATE INDEX ix_company_words ON company USING gin ({PG_COMPANY_DOCUMENT})")
    else:
        create_sqlite_fts()
    # lang: consent
    op.create_table(
        "acting_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("coordinator_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student_profile.id"],
            name=op.f("fk_acting_consent_student_id_student_profile"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["coordinator_id"],
            ["user.id"],
            name=op.f("fk_acting_consent_coordinator_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acting_consent")),
    )
    with op.batch_alter_table("acting_consent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_acting_consent_student_id"), ["student_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_acting_consent_coordinator_id"), ["coordinator_id"], unique=False
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_company_words")
        op.execute("DROP INDEX IF EXISTS ix_placement_words")
    else:
        drop_sqlite_fts()
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.drop_index("ix_placement_open_national")
        batch_op.drop_index("ix_placement_open_leerweg_lat_lon")
    # lang: consent
    op.drop_table("acting_consent")
