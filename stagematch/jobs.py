"""The job queue: long work (imports, large exports, training, allocation compute) and all mail run
here, in a worker process, not inside a web request that a proxy or gunicorn would cut off.

Huey, with one of its two storages:
- SQLite (the default): a file `jobs.db` in the instance folder, no server needed; `./dev.py run`
  starts the worker (`huey_consumer stagematch.worker.huey`) next to the site.
- Redis in production: `JOBS_URL=redis://host:6379/0` (docs/operations.md, "Jobs").
With `STAGEMATCH_JOBS_IMMEDIATE=1` (the test suite) a task runs at once in the caller, which is
Huey's own immediate mode; `tests/test_jobs.py` starts a real worker against both storages.

Work that a person waits for is a `Job` row (models/job.py): `submit` creates it and queues the
task; the task reports progress with `progress`; the job page shows the bar and, when done, the
report. Tasks run inside an app context: the caller's (immediate mode) or the worker's own app.
The modules that define tasks are imported by `init_app` (so by `create_app`), so the worker knows
every task the site can queue."""

from __future__ import annotations

import functools
import importlib
import logging
import os
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import Flask, has_app_context
from huey import Huey, RedisHuey, SqliteHuey
from sqlalchemy import delete, select, update

from stagematch.extensions import db
from stagematch.models import Job
from stagematch.models.job import JobStatus
from stagematch.timeutil import utcnow

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
NAME = "stagematch"
# Modules whose tasks the worker must know; imported by init_app (stagematch.worker runs create_app).
TASK_MODULES = (
    "stagematch.mailer",
    "stagematch.exports",
    "stagematch.tasks",
    "stagematch.services.allocation_rounds",
    "stagematch.services.student_import",
    "stagematch.services.place_import",
)
UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


def make_huey(url: str | None = None, *, immediate: bool = False) -> Huey:
    """A Huey on `url`: redis://…, rediss://…, unix://… (Redis) or sqlite:///path; without one, the
    SQLite file jobs.db in the instance folder (STAGEMATCH_INSTANCE, else ./instance)."""
    url = url or ""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(NAME, url=url, results=False, immediate=immediate)
    if url.startswith("sqlite:///"):
        filename = url.removeprefix("sqlite:///")
    else:
        instance = Path(os.environ.get("STAGEMATCH_INSTANCE", ROOT / "instance"))
        if not immediate:
            instance.mkdir(parents=True, exist_ok=True)
        filename = str(instance / "jobs.db")
    return SqliteHuey(NAME, filename=filename, results=False, immediate=immediate)


huey = make_huey(
    os.environ.get("JOBS_URL"), immediate=os.environ.get("STAGEMATCH_JOBS_IMMEDIATE") == "1"
)
# A title per job kind, for the job page ("Studenten importeren"); filled where the tasks live.
JOB_TITLES: dict[str, object] = {}
_worker_app: Flask | None = None


def init_app(app: Flask) -> None:
    """Tests (JOBS_IMMEDIATE) run every task at once, in the request or test that queued it."""
    if app.config.get("JOBS_IMMEDIATE"):
        huey.immediate = True
    for module in TASK_MODULES:
        importlib.import_module(module)


def bind_worker_app(app: Flask) -> None:
    """The worker's own app, whose context every task runs in (stagematch/worker.py)."""
    global _worker_app
    _worker_app = app


def _in_app_context(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def run(*args, **kwargs):
        if has_app_context():
            return fn(*args, **kwargs)
        if _worker_app is None:
            raise RuntimeError("A task ran outside the worker: start it with stagematch.worker.")
        with _worker_app.app_context():
            try:
                return fn(*args, **kwargs)
            finally:
                db.session.remove()

    return run


def task(**options) -> Callable:
    """A queued task (`huey.task` options: retries, retry_delay, priority, context …) that runs
    inside an app context. Arguments must be plain data (ids, str, bytes, lists and dicts of
    them): the worker is another process."""

    def decorator(fn: Callable):
        # Huey names it <module>.<name>: the worker finds it by that name.
        return huey.task(name=fn.__qualname__, **options)(_in_app_context(fn))

    return decorator


def periodic_task(schedule, **options) -> Callable:
    """A task the worker runs on a schedule (huey.crontab, in UTC), inside an app context. Only
    one runs at a time, also with several workers on one queue (a lock in the queue's storage)."""

    def decorator(fn: Callable):
        name = fn.__qualname__
        # Made once, so `huey_consumer -f` knows it and frees it when a killed worker held it.
        lock = huey.lock_task(name)

        @functools.wraps(fn)
        def locked(*args, **kwargs):
            with lock:
                return fn(*args, **kwargs)

        return huey.periodic_task(schedule, name=name, **options)(_in_app_context(locked))

    return decorator


# --- jobs a person waits for -------------------------------------------------------------------


class JobFailed(Exception):
    """Raised by a job task to fail with a message for the person who waits for it: a Dutch
    msgid (marked with N_), translated on the job page. Logged without a traceback."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def job_task(**options) -> Callable:
    """A task whose first argument is a Job id: it marks the job running, runs `fn(job, *args)`,
    stores the returned dict as the job's report and marks it done; an exception rolls back
    whatever the task had not committed, marks the job failed and is logged. A JobFailed or a
    DomainError gives the job its message; any other error a general one (the page says so)."""
    from stagematch.services import DomainError

    def decorator(fn: Callable):
        @functools.wraps(fn)
        def run(job_id: str, *args, **kwargs):
            job = db.session.get(Job, job_id)
            if job is None or job.finished:
                return None
            job.status = JobStatus.RUNNING
            job.started_at = utcnow()
            db.session.commit()
            try:
                result = fn(job, *args, **kwargs)
            except (JobFailed, DomainError) as error:
                log.warning("Job %s (%s) failed: %s", job_id, job.kind, error.message)
                db.session.rollback()
                _finish(job_id, JobStatus.FAILED, None, str(error.message)[:500])
                return None
            except Exception:
                log.exception("Job %s (%s) failed", job_id, job.kind)
                db.session.rollback()
                _finish(job_id, JobStatus.FAILED, None, None)
                return None
            _finish(job_id, JobStatus.DONE, result, None)
            return None

        return task(**options)(run)

    return decorator


def _finish(job_id: str, status: JobStatus, result: dict | None, message: str | None) -> None:
    """The job's end state. The report keeps what `submit` stored with the job (its context) and
    adds the task's result; a failed job's message is its reason (None: the page's general one)."""
    job = db.session.get(Job, job_id)
    job.status = status
    if result is not None:
        job.result = {**(job.result or {}), **result}
    if status == JobStatus.FAILED or message is not None:
        job.message = message
    if status == JobStatus.DONE and job.total:
        job.done = job.total
    job.finished_at = utcnow()
    db.session.commit()


def submit(
    kind: str, queued_task: Callable, *args, owner=None, total: int = 0, context: dict | None = None
) -> Job:
    """Create the Job row and queue `queued_task(job.id, *args)`. The job id is unguessable; the
    job page shows it only to its owner. `context` (plain data, e.g. {"round_id": 3}) is kept in
    the job's report, so a page can find the job again (`unfinished`)."""
    job = Job(
        id=uuid.uuid4().hex,
        kind=kind,
        owner_id=getattr(owner, "id", None),
        total=total,
        result=dict(context) if context else None,
    )
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    try:
        queued_task(job_id, *args)
    except Exception:  # the queue is unreachable: say so on the job page instead of a 500
        log.exception("Could not queue job %s (%s)", job_id, kind)
        db.session.rollback()
        _finish(job_id, JobStatus.FAILED, None, None)
    return db.session.get(Job, job_id)


def unfinished(kind: str, *, owner=None, **context) -> Job | None:
    """The newest queued or running job of `kind` (of `owner`, when given) whose context holds
    every key of `context`; None when there is none. There are few unfinished jobs at any time,
    so the context is matched here rather than in SQL (JSON differs between the databases)."""
    stmt = select(Job).where(Job.kind == kind, Job.status.in_(UNFINISHED))
    if owner is not None:
        stmt = stmt.where(Job.owner_id == owner.id)
    for job in db.session.scalars(stmt.order_by(Job.created_at.desc())):
        stored = job.result or {}
        if all(stored.get(key) == value for key, value in context.items()):
            return job
    return None


def progress(job: Job, done: int, total: int | None = None, message: str | None = None) -> None:
    """Record how far a job is, visible at once to the job page. Commits the task's session: call
    it between units of work, not while an all-or-nothing write is half done. What the task has
    loaded stays loaded (no reload of every object after the commit)."""
    values: dict = {"done": done}
    if total is not None:
        values["total"] = total
    if message is not None:
        values["message"] = str(message)[:500]
    db.session.execute(update(Job).where(Job.id == job.id).values(**values))
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


KEEP_JOBS = timedelta(days=30)


def remove_old_jobs(older_than: timedelta = KEEP_JOBS) -> int:
    """Finished jobs older than 30 days are deleted: their reports hold students' names, numbers
    and addresses, which the school keeps in its own records, not here. Returns how many."""
    result = db.session.execute(
        delete(Job).where(Job.status.in_((JobStatus.DONE, JobStatus.FAILED)),
                          Job.created_at < utcnow() - older_than)
    )  # fmt: skip
    db.session.commit()
    return result.rowcount


def fail_abandoned(older_than: timedelta = timedelta(days=1)) -> int:
    """Jobs still queued or running after a day were lost (a worker stopped, a queue emptied):
    mark them failed, so their page says so instead of waiting forever. Returns how many."""
    cutoff = utcnow() - older_than
    result = db.session.execute(
        update(Job)
        .where(Job.status.in_(UNFINISHED), Job.created_at < cutoff)
        .values(status=JobStatus.FAILED, message=None, finished_at=utcnow())
    )
    db.session.commit()
    return result.rowcount
