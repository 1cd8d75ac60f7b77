"""The job worker: `huey_consumer stagematch.worker.huey -w 2 -k thread -f` (started by
`./dev.py run` next to the site; in production as its own service, see docs/operations.md). It
builds the app once, so every task runs in its context, and every module that defines tasks is
imported by `create_app` (stagematch.jobs.TASK_MODULES).

The app is the one STAGEMATCH_CONFIG names (development unless set), with the database of
DATABASE_URL and the instance folder of STAGEMATCH_INSTANCE, like the site it serves. A worker
always takes tasks from the queue (JOBS_URL, else instance/jobs.db), also when the environment asks
for immediate mode, which is for a process without a worker."""

from stagematch import create_app
from stagematch.jobs import bind_worker_app, huey

app = create_app()
bind_worker_app(app)
huey.immediate = False

__all__ = ["app", "huey"]
