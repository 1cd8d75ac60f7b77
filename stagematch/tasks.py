"""Work the worker does besides mail, imports and exports: training the match model when an
administrator asks for it (a job with progress), and the scheduled jobs.

The scheduled jobs run the same service functions as the CLI commands in stagematch/cli.py (which
stay, for cron): every night offers past their date expire, unanswered applications get reminders
or expire, closed allocation rounds are computed, saved-search alerts and evaluation reminders go
out, flags are raised and the daily notification overview is mailed, students who left are anonymised, old export
files, lost jobs and mail log rows (90 days) are cleaned up, every student's suggestions are
ranked and stored (and, after a change, the lists it made stale); every hour the open-data snapshot is
refreshed (when it is large); every week a new model version is trained and registered, not
activated: an administrator decides that on the model page. Times are UTC (Huey's crontab): the
night is 03:00–05:00 in Amsterdam."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from huey import crontab
from sqlalchemy import select

from stagematch import jobs
from stagematch.extensions import db
from stagematch.i18n import N_

log = logging.getLogger(__name__)
# Steps `train_and_register` reports: collecting the examples, features, one per model family
# (two), calibrating, importances. The bar never passes 99 % before the job is done.
TRAIN_STEPS = 6
TOO_LITTLE_DATA = N_(
    "Te weinig afgeronde stages om te trainen: er zijn er minstens 50 nodig, geslaagde én niet "
    "geslaagde. Er is niets veranderd."
)
jobs.JOB_TITLES["model_train"] = _l("Matchmodel trainen")


# --- training ----------------------------------------------------------------------------------


def start_training(*, by) -> jobs.Job:
    """Queue a training job for the model page (the one already waiting or running, if any)."""
    return jobs.unfinished("model_train") or jobs.submit(
        "model_train", train_model, owner=by, total=TRAIN_STEPS
    )


def _train(progress: Callable[[int, str], None]):
    from stagematch.ranking import train_and_register

    steps = iter(range(1, TRAIN_STEPS))
    progress(0, N_("Afgeronde stages verzamelen …"))
    try:
        return train_and_register(progress=lambda message: progress(next(steps, TRAIN_STEPS - 1),
                                                                   message))  # fmt: skip
    except ValueError as error:  # too few finished internships, or only one outcome
        raise jobs.JobFailed(TOO_LITTLE_DATA) from error


@jobs.job_task()
def train_model(job) -> dict:
    """Train, register and report the new version (ranking decides whether it becomes active)."""
    version, model = _train(lambda done, message: jobs.progress(job, done, message=message))
    return {"version": version.id, "family": model.family, "examples": model.n_examples,
            "active": bool(version.active)}  # fmt: skip


@jobs.periodic_task(crontab(day_of_week="0", hour="3", minute="30"))
def weekly_training() -> None:
    """A new version every week, registered but never made active (also when it passes the
    gate): the active one stays; an administrator decides on the model page."""
    from stagematch.models import ModelVersion
    from stagematch.ranking import activate

    previous = db.session.scalar(select(ModelVersion.id).where(ModelVersion.active.is_(True)))
    try:
        version, model = _train(lambda done, message: None)
    except jobs.JobFailed:
        log.warning("Weekly training skipped: too few finished internships")
        return
    if version.active and version.id != previous:
        if previous is not None:
            activate(db.session.get(ModelVersion, previous))
        else:
            version.active = False
            db.session.commit()
    log.info("Weekly training registered model version %s (%s, %s examples)",
             version.id, model.family, model.n_examples)  # fmt: skip


# --- the nightly jobs --------------------------------------------------------------------------


def with_links(fn: Callable):
    """Run `fn` as the CLI does: in a request on BASE_URL, for the links in mails."""
    with current_app.test_request_context(
        base_url=current_app.config.get("BASE_URL", "http://127.0.0.1:5000")
    ):
        return fn()


# --- stored suggestions (issue 20) -------------------------------------------------------------


@jobs.task(retries=2, retry_delay=30)
def refresh_suggestions(student_ids: list[int]) -> None:
    """The lists that went stale since they were stored, and these students' (queued after a
    commit by services.stored_suggestions)."""
    from stagematch.services.stored_suggestions import refresh_stale

    refresh_stale(student_ids)


@jobs.periodic_task(crontab(hour="3", minute="0"))
def nightly_suggestions() -> None:
    """Every student's list, with the night's market and the day's dates."""
    from stagematch.services.stored_suggestions import refresh_all

    log.info("Stored suggestions: %d lists", refresh_all())


@jobs.periodic_task(crontab(hour="2", minute="0"))
def nightly_expire_offers() -> None:
    from stagematch.services.applications import expire_offers

    expired = with_links(expire_offers)
    log.info("%s offers expired", len(expired))


@jobs.periodic_task(crontab(hour="2", minute="5"))
def nightly_application_deadlines() -> None:
    """Applications within a deadline (services/applications.py): offers that expire within two
    days, reminders to companies after 7 and 12 days, unanswered applications expire. Running it
    twice sends nothing twice."""
    from stagematch.services import applications

    warned, reminded, expired = with_links(applications.run_deadlines)
    log.info("%s offers about to expire, %s companies reminded, %s applications expired",
             warned, reminded, expired)  # fmt: skip


@jobs.periodic_task(crontab(hour="2", minute="15"))
def nightly_rounds_closing() -> None:
    from stagematch.services.allocation_rounds import warn_closing_rounds

    log.info("%s students told their round closes soon", with_links(warn_closing_rounds))


@jobs.periodic_task(crontab(hour="2", minute="25"))
def nightly_complete_assessed() -> None:
    """Placements past their end date whose school decision was recorded before it are
    completed (services/assessments.py), which frees the seat and the meester's time."""
    from stagematch.services.assessments import complete_decided

    log.info("%s placements completed", with_links(complete_decided))


@jobs.periodic_task(crontab(hour="2", minute="35"))
def nightly_flags() -> None:
    """Raise every school's new flags, so coordinators hear of them without opening the site."""
    from stagematch.services.flags import refresh_all_schools

    log.info("%s flags raised", with_links(refresh_all_schools))


@jobs.periodic_task(crontab(hour="2", minute="45"))
def nightly_monitoring() -> None:
    """Tell the administrators of each new disparity in the active version's monitoring report."""
    from stagematch.services.monitoring import check

    log.info("%s monitoring notifications sent", with_links(check))


@jobs.periodic_task(crontab(hour="5", minute="0"))
def daily_digest() -> None:
    """The daily overview: one mail per user with the notifications they chose to get that way
    (07:00 in Amsterdam in summer, 06:00 in winter), after the night's jobs."""
    from stagematch.services.notifications import send_digests

    log.info("%s digest mails sent", with_links(send_digests))


@jobs.periodic_task(crontab(hour="2", minute="10"))
def nightly_compute_rounds() -> None:
    from stagematch.services.allocation_rounds import compute_closed_rounds

    done = with_links(compute_closed_rounds)
    log.info("%s allocation rounds computed", len(done))


@jobs.periodic_task(crontab(hour="2", minute="20"))
def nightly_search_alerts() -> None:
    from stagematch.services.alerts import send_search_alerts

    checked, sent = with_links(send_search_alerts)
    log.info("%s saved searches checked, %s alerts sent", checked, sent)


@jobs.periodic_task(crontab(hour="2", minute="30"))
def nightly_evaluation_reminders() -> None:
    from stagematch.services.evaluations import send_reminders

    log.info("%s evaluation reminders sent", with_links(send_reminders))


@jobs.periodic_task(crontab(hour="2", minute="40"))
def nightly_retention() -> None:
    from stagematch.services.privacy import run_retention

    months = current_app.config["RETENTION_MONTHS"]
    log.info("%s students anonymised (retention %s months)", run_retention(months), months)


@jobs.periodic_task(crontab(hour="2", minute="50"))
def nightly_cleanup() -> None:
    from stagematch.exports import remove_old_files

    log.info("%s export files removed, %s lost jobs marked failed, %s old jobs deleted",
             remove_old_files(), jobs.fail_abandoned(), jobs.remove_old_jobs())  # fmt: skip
    from stagematch.services.interactions import remove_old

    days = current_app.config["INTERACTION_RETENTION_DAYS"]
    ranking_days = current_app.config["RANKING_LOG_DAYS"]
    log.info("%s interactions older than %s days (ranked lists: %s days) deleted",
             remove_old(days, ranking_days=ranking_days), days, ranking_days)  # fmt: skip
    from stagematch.mailer import remove_old_log

    log.info("%s mail log rows older than 90 days deleted", remove_old_log())


@jobs.periodic_task(crontab(minute="45"))
def hourly_open_data() -> None:
    from stagematch.exports import refresh_open_data

    refresh_open_data.call_local()
