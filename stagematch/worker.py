"""The job worker: `huey_consumer stagematch.worker.huey` (started by `./dev.py run` next to the
site; in production as its own service, see the README). It builds the app once, so every task
runs in its context, and every module that defines tasks is imported by `create_app`."""

from stagematch import create_app
from stagematch.jobs import bind_worker_app, huey

app = create_app()
bind_worker_app(app)

__all__ = ["app", "huey"]
