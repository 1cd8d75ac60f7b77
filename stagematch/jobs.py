"""The job queue: long work (imports, large exports, training, allocation compute) and all mail run
here, in a worker process, not inside a web request that a proxy or gunicorn would cut off.

Huey, with one of its two storages:
- SQLite (the default): a file `jobs.db` in the instance folder, no server needed; `./dev.py run`
  starts the worker (`huey_consumer stagematch.worker.huey`) next to the site.
- Redis in production: `JOBS_URL=redis://host:6379/0`.
With `STAGEMATCH_JOBS_IMMEDIATE=1` (the test suite) a task runs at once in the caller, which is
Huey's own immediate mode; `tests/test_jobs.py` starts a real worker against both storages.

Work that a person waits for is a `Job` row (models/job.py): `submit` creates it and queues the
task; the task reports progress with `progress`; the job page shows the bar and, when done, the
report. Tasks run inside an app context: the caller's (immediate mode) or the worker's own app."""

from __future__ import annotations

import functools
import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path

from flask import Flask, has_app_context
from huey import RedisHuey, SqliteHuey
from sqlalchemy import update

from stagematch.extensions import db
from stagematch.models import Job
from stagematch.models.job import JobStatus
from stagematch.timeutil import utcnow

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent


def _make_huey():
    url = os.environ.get("JOBS_URL", "")
    immediate = os.environ.get("STAGEMATCH_JOBS_IMMEDIATE") == "1"
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("stagematch", url=url, results=False, immediate=immediate)
    if url.startswith("sqlite:///"):
        filename = url.removeprefix("sqlite:///")
    else:
        instance = Path(os.environ.get("STAGEMATCH_INSTANCE", ROOT / "instance"))
        if not immediate:
            instance.mkdir(parents=True, exist_ok=True)
        filename = str(instance / "jobs.db")
    return SqliteHuey("stagematch", filename=filename, results=False, immediate=immediate)


huey = _make_huey()
# A title per job kind, for the job page ("Studenten importeren"); filled where the tasks live.
JOB_TITLES: dict[str, object] = {}
_worker_app: Flask | None = None


def init_app(app: Flask) -> None:
    """Tests (JOBS_IMMEDIATE) run every task at once, in the request or test that queued it."""
    if app.config.get("JOBS_IMMEDIATE"):
        huey.immediate = True


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
    """A queued task (`huey.task` options: retries, retry_delay, priority …) that runs inside an
    app context. Arguments must be plain data (ids, str, bytes): the worker is another process."""

    def decorator(fn: Callable):
        return huey.task(name=f"{fn.__module__}.{fn.__qualname__}", **options)(_in_app_context(fn))

    return decorator


def periodic_task(schedule, **options) -> Callable:
    """A task the worker runs on a schedule (huey.crontab), inside an app context."""

    def decorator(fn: Callable):
        return huey.periodic_task(schedule, name=f"{fn.__module__}.{fn.__qualname__}", **options)(
            _in_app_context(fn)
        )

    return decorator


# --- jobs a person waits for -------------------------------------------------------------------


def job_task(**options) -> Callable:
    """A task whose first argument is a Job id: it marks the job running, runs `fn(job, *args)`,
    stores the returned dict as the job's report and marks it done; an exception rolls back
    whatever the task had not committed, marks the job failed with a plain message and is logged."""

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
            except Exception:
                log.exception("Job %s (%s) failed", job_id, job.kind)
                db.session.rollback()
                _finish(job_id, JobStatus.FAILED, None, "failed")
                return None
            _finish(job_id, JobStatus.DONE, result, None)
            return None

        return task(**options)(run)

    return decorator


def _finish(job_id: str, status: JobStatus, result: dict | None, message: str | None) -> None:
    job = db.session.get(Job, job_id)
    job.status = status
    job.result = result
    if message is not None:
        job.message = message
    if status == JobStatus.DONE and job.total:
        job.done = job.total
    job.finished_at = utcnow()
    db.session.commit()


def submit(kind: str, queued_task: Callable, *args, owner=None, total: int = 0) -> Job:
    """Create the Job row and queue `queued_task(job.id, *args)`. The job id is unguessable; the
    job page shows it only to its owner."""
    job = Job(id=uuid.uuid4().hex, kind=kind, owner_id=getattr(owner, "id", None), total=total)
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    queued_task(job_id, *args)
    return db.session.get(Job, job_id)


def progress(job: Job, done: int, total: int | None = None, message: str | None = None) -> None:
    """Record how far a job is, visible at once to the job page. Commits the task's session: call
    it between units of work, not while an all-or-nothing write is half done."""
    values: dict = {"done": done}
    if total is not None:
        values["total"] = total
    if message is not None:
        values["message"] = message[:500]
    db.session.execute(update(Job).where(Job.id == job.id).values(**values))
    db.session.commit()
