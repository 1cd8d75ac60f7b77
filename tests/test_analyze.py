"""Issue #20: the planner's statistics are refreshed after bulk writes (demo data, large imports),
through one helper, `ops.analyze`, harmless on SQLite."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from stagematch import ops
from stagematch.extensions import db
from stagematch.services import place_import, student_import
from tests.test_imports import (
    _import_places,
    _import_students,
    _place_row,
    _places,
    _student_row,
    _students,
)


def _analyzed(table: str) -> bool:
    if db.engine.dialect.name == "postgresql":
        return bool(db.session.scalar(text(
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = :t"
        ), {"t": table}))  # fmt: skip
    exists = db.session.scalar(
        text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
    )
    return bool(exists) and bool(
        db.session.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = :t"), {"t": table})
    )


def test_analyze_refreshes_the_statistics_of_the_tables_named(make):
    company = make.company()
    make.placement(company, make.meester(company))
    db.session.commit()
    ops.analyze("placement", "user")
    db.session.commit()
    assert _analyzed("placement")
    ops.analyze()  # everything: also fine
    db.session.commit()


@pytest.fixture
def analyzed(monkeypatch):
    calls: list[tuple] = []
    for module in (place_import, student_import):
        monkeypatch.setattr(module, "LARGE_WRITE", 3)
        monkeypatch.setattr(module, "analyze", lambda *tables: calls.append(tables))
    return calls


def test_a_large_student_import_analyzes_the_tables_it_filled(client, make, auth, analyzed):
    auth.login(make.coordinator())
    _import_students(client, _students(_student_row(1), _student_row(2)))
    assert analyzed == []  # a small file: autovacuum will do
    _import_students(client, _students(*(_student_row(n) for n in range(3, 6))))
    assert analyzed == [("user", "student_profile", "audit_event")]


def test_a_large_place_import_analyzes_the_tables_it_filled(client, make, auth, analyzed):
    user = make.company_user()
    make.meester(user.company, name="Ans Meester", capacity=5)
    auth.login(user)
    _import_places(client, _places(*(_place_row(user.company, n) for n in range(1, 4))))
    assert analyzed == [("placement", "placement_qualification")]


def test_demo_data_is_analyzed(runner, monkeypatch):
    calls: list[tuple] = []
    monkeypatch.setattr(ops, "analyze", lambda *tables: calls.append(tables))
    result = runner.invoke(args=["demo", "--students", "60", "--companies", "15", "--no-history"])
    assert result.exit_code == 0, result.output
    assert calls == [()]
