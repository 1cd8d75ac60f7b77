"""Benchmark: a student import of 20,000 rows, through the import job's own code path.

    .venv/bin/python bench/import_bench.py [--rows 20000] [--database-url postgresql+psycopg://...]

Builds a CSV of students (Faker nl_NL names, crebos and towns from the reference data), runs the
import job on a fresh database (SQLite in a temporary folder by default; the PostgreSQL database
given is emptied) and prints rows, seconds, rows/s, accounts created and invitation mails queued;
then imports the same file again (idempotent: nothing created, nothing mailed). The job runs in
this process (`call_local`: the job task's wrapper with its status, progress and report, without a
worker); the mails go to the job queue in the temporary folder, as they would for a worker to send.
Nothing is asserted; figures are printed."""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import re
import sys
import tempfile
import time
import unicodedata
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build_csv(rows: int, qualifications: list[tuple[str, int, str]], towns: list[str]) -> bytes:
    """A school's export: semicolons, a BOM, some rows without a town or a planned start."""
    from faker import Faker

    fake = Faker("nl_NL")
    Faker.seed(1)
    rng = random.Random(1)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["studentnummer", "naam", "email", "crebo", "niveau", "leerweg", "woonplaats",
                     "geplande_start"])  # fmt: skip
    for n in range(rows):
        name = fake.name()
        local = re.sub(r"[^a-z]+", ".", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()).strip(".")  # fmt: skip
        crebo, level, leerwegen = rng.choice(qualifications)
        writer.writerow([
            f"{500000 + n}", name, f"{local}.{n}@student.example.nl", crebo, level,
            rng.choice(leerwegen.split("/")), rng.choice(towns) if rng.random() < 0.9 else "",
            f"2027-02-{rng.randint(1, 28):02d}" if rng.random() < 0.5 else "",
        ])  # fmt: skip
    return ("\ufeff" + out.getvalue()).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="stagematch-import-bench-")
    os.environ["STAGEMATCH_INSTANCE"] = workdir  # the job queue (jobs.db) lives here too
    os.environ.pop("STAGEMATCH_JOBS_IMMEDIATE", None)
    os.environ.pop("JOBS_URL", None)
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from stagematch import create_app, geo
    from stagematch.extensions import db
    from stagematch.jobs import huey
    from stagematch.models import Job, Qualification, School, User
    from stagematch.models.enums import Role
    from stagematch.reference import load_reference_data
    from stagematch.services import student_import
    from stagematch.services.student_import import JOB_KIND, import_students_job

    phases: dict[str, float] = {}

    def timed(name, fn):
        """The same function, with its time added to `phases` (write, mails)."""

        def run(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - t0

        return run

    student_import._write = timed("write", student_import._write)
    student_import._invite = timed("mails", student_import._invite)

    url = args.database_url or f"sqlite:///{workdir}/bench.db"
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        load_reference_data()
        school = db.session.scalar(select(School).order_by(School.id))
        coordinator = User(email="coordinator@bench.nl", name="Bench Coördinator", role=Role.COORDINATOR,
                           school=school, password_hash="!")  # fmt: skip
        db.session.add(coordinator)
        db.session.commit()
        qualifications = [
            (q.crebo, q.level, q.leerwegen) for q in db.session.scalars(select(Qualification))
        ]
        towns = [town.name for town in geo.towns().values()]
        t0 = time.perf_counter()
        raw = build_csv(args.rows, qualifications, towns)
        print(
            f"file: {args.rows} rows, {len(raw) / 1e6:.1f} MB, built in {time.perf_counter() - t0:.1f} s"
        )
        print(f"database: {db.engine.dialect.name}")

        for attempt in ("first import", "same file again"):
            job = Job(id=uuid.uuid4().hex, kind=JOB_KIND, owner_id=coordinator.id)
            db.session.add(job)
            db.session.commit()
            job_id = job.id
            queued_before = huey.pending_count()
            phases.clear()
            t0 = time.perf_counter()
            import_students_job.call_local(job_id, school.id, coordinator.id, raw, None)
            elapsed = time.perf_counter() - t0
            db.session.expire_all()
            job = db.session.get(Job, job_id)
            result = job.result or {}
            counts = result.get("counts", {})
            students = db.session.scalar(
                select(func.count(User.id)).where(User.role == Role.STUDENT)
            )
            print(
                f"{attempt}: {job.status}, {args.rows} rows in {elapsed:.1f} s "
                f"({args.rows / elapsed:.0f} rows/s); created {counts.get('added')}, already there "
                f"{counts.get('existing')}, refused {counts.get('refused')}; invitation mails "
                f"queued {result.get('mails')} (queue: +{huey.pending_count() - queued_before}); "
                f"students in the database: {students}"
            )
            check = elapsed - sum(phases.values())
            print(f"  of which: reading and checking {check:.1f} s, writing accounts "
                  f"{phases.get('write', 0):.1f} s, rendering and queueing mails {phases.get('mails', 0):.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
