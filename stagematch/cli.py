"""Command-line tasks: reference data, staff accounts, demo data."""

from __future__ import annotations

import secrets
import sys

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import School, User
from stagematch.models.enums import Role
from stagematch.services import DomainError


def register(app: Flask) -> None:
    app.cli.add_command(load_reference_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(send_alerts_command)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(compute_rounds_command)
    app.cli.add_command(expire_offers_command)
    app.cli.add_command(retention_command)
    app.cli.add_command(application_deadlines_command)
    app.cli.add_command(send_digests_command)
    app.cli.add_command(warn_closing_rounds_command)
    app.cli.add_command(refresh_flags_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(train_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(export_ranking_log_command)
    app.cli.add_command(monitoring_check_command)
    app.cli.add_command(export_bron_command)
    app.cli.add_command(refresh_suggestions_command)


@click.command("load-reference")
def load_reference_command() -> None:
    """Load the shipped qualifications and schools (safe to repeat)."""
    from stagematch.reference import load_reference_data

    quals, schools = load_reference_data()
    click.echo(f"{quals} kwalificaties en {schools} scholen toegevoegd.")


@click.command("create-user")
@click.option(
    "--role", type=click.Choice([Role.COORDINATOR.value, Role.ADMIN.value]), required=True
)
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--school", "school_name", help="School name (coordinators).")
@click.option("--password", help="Leave out to generate one.")
def create_user_command(
    role: str, email: str, name: str, school_name: str | None, password: str | None
) -> None:
    """Invite a coordinator or an admin."""
    from stagematch.services.accounts import create_staff_user

    school = None
    if school_name:
        school = db.session.scalar(
            select(School).where(func.lower(School.name) == school_name.lower())
        )
        if school is None:
            names = ", ".join(db.session.scalars(select(School.name).order_by(School.name)))
            raise click.ClickException(f"Onbekende school '{school_name}'. Kies uit: {names}")
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        user = create_staff_user(
            email=email, password=password, name=name, role=Role(role), school=school
        )
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Account aangemaakt: {user.email} ({user.role})")
    if generated:
        click.echo(f"Wachtwoord: {password}")


@click.command("demo")
@click.option("--students", default=6000, show_default=True, type=click.IntRange(0, 200_000))
@click.option("--companies", default=1200, show_default=True, type=click.IntRange(1, 100_000))
@click.option(
    "--places", default=None, type=click.IntRange(0, 200_000), help="Default: 1.6 per company."
)
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option(
    "--history/--no-history", default=True, help="Simulate earlier, finished internships."
)
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (and succeed) when there is data already."
)
def demo_command(
    students: int, companies: int, places: int | None, seed: int, history: bool, if_empty: bool
) -> None:
    """Fill an empty database with realistic demo data (Overijssel)."""
    from stagematch.demo import DEMO_DOMAIN, DemoError, generate

    if db.session.scalar(select(func.count(User.id))):
        if if_empty:
            click.echo(
                f"De database heeft al gegevens; demo-data overgeslagen. Demo-logins eindigen op "
                f"@{DEMO_DOMAIN}, bijvoorbeeld student1@{DEMO_DOMAIN} (wachtwoord "
                f"{current_app.config['DEMO_PASSWORD']})."
            )
            return
        raise click.ClickException(
            "De database is niet leeg; demo-data gaat alleen in een lege database."
        )
    try:
        summary = generate(
            students=students,
            companies=companies,
            places=places,
            seed=seed,
            history=history,
            progress=lambda message: click.echo(message, err=True),
        )
    except DemoError as error:
        raise click.ClickException(str(error)) from error
    click.echo(summary.report())


@click.command("send-alerts")
def send_alerts_command() -> None:
    """Mail students the new places for their saved searches (run daily, e.g. from cron)."""
    from stagematch.services.alerts import send_search_alerts
    from stagematch.tasks import with_links

    checked, sent = with_links(send_search_alerts)
    click.echo(f"{checked} zoekopdrachten bekeken, {sent} e-mails verstuurd.")


@click.command("send-reminders")
def send_reminders_command() -> None:
    """Remind students and companies of evaluations that are due (run daily)."""
    from stagematch.services.evaluations import send_reminders
    from stagematch.tasks import with_links

    sent = with_links(send_reminders)
    click.echo(f"{sent} herinneringen verstuurd.")


@click.command("compute-rounds")
def compute_rounds_command() -> None:
    """Compute the allocation rounds whose choosing period has ended (run daily); the coordinator
    gets a mail to review and publish."""
    from stagematch.services.allocation_rounds import compute_closed_rounds
    from stagematch.tasks import with_links

    done = with_links(compute_closed_rounds)
    for round_, summary in done:
        click.echo(
            f"{round_.name}: {summary.assigned} van {summary.students} studenten hebben een plek."
        )
    click.echo(f"{len(done)} verdeelrondes berekend.")


@click.command("expire-offers")
def expire_offers_command() -> None:
    """Expire offers nobody answered before their respond-by date (run daily); the student and
    the company get a mail."""
    from stagematch.services.applications import expire_offers
    from stagematch.tasks import with_links

    expired = with_links(expire_offers)
    click.echo(f"{len(expired)} aanbiedingen verlopen.")


@click.command("application-deadlines")
def application_deadlines_command() -> None:
    """Answers within a deadline (run daily; the worker does it at 02:05): warn about offers that
    expire within two days, remind companies after 7 and 12 days, expire applications nobody
    answered. Running it twice sends nothing twice."""
    from stagematch.services import applications
    from stagematch.tasks import with_links

    warned, reminded, expired = with_links(applications.run_deadlines)
    click.echo(f"Aanbiedingen die bijna verlopen: {warned}")
    click.echo(f"Herinneringen aan bedrijven: {reminded}")
    click.echo(f"Verlopen sollicitaties: {expired}")


@click.command("warn-closing-rounds")
def warn_closing_rounds_command() -> None:
    """Tell the students of allocation rounds that close within two days (run daily)."""
    from stagematch.services.allocation_rounds import warn_closing_rounds
    from stagematch.tasks import with_links

    click.echo(f"Studenten gewaarschuwd: {with_links(warn_closing_rounds)}")


@click.command("refresh-flags")
def refresh_flags_command() -> None:
    """Raise every school's new flags; coordinators are told (run daily)."""
    from stagematch.services.flags import refresh_all_schools
    from stagematch.tasks import with_links

    click.echo(f"Nieuwe signalen: {with_links(refresh_all_schools)}")


@click.command("monitoring-check")
def monitoring_check_command() -> None:
    """Tell the administrators of each disparity in the active model version's monitoring report
    (once per version, grouping, group and rate; the worker does it nightly)."""
    from stagematch.services.monitoring import check
    from stagematch.tasks import with_links

    click.echo(f"Monitoring: {with_links(check)} meldingen verstuurd")


@click.command("send-digests")
def send_digests_command() -> None:
    """Mail each user's daily overview of the notifications they chose to get that way (run
    daily; the worker does it at 05:00 UTC)."""
    from stagematch.services.notifications import send_digests
    from stagematch.tasks import with_links

    click.echo(f"Dagoverzichten verstuurd: {with_links(send_digests)}")


@click.command("retention")
@click.option("--months", type=click.IntRange(1, 240), help="Default: RETENTION_MONTHS (24).")
@click.option("--dry-run", is_flag=True, help="Only count who would be anonymised.")
def retention_command(months: int | None, dry_run: bool) -> None:
    """Anonymise students who left more than N months ago (run monthly)."""
    from stagematch.services.privacy import retention_candidates, run_retention

    months = months or current_app.config["RETENTION_MONTHS"]
    if dry_run:
        click.echo(f"{len(retention_candidates(months))} studenten zouden worden geanonimiseerd.")
        return
    click.echo(
        f"{run_retention(months)} studenten geanonimiseerd (bewaartermijn {months} maanden)."
    )


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
def backup_command(target: str) -> None:
    """Back up the database to TARGET: SQLite online backup, or pg_dump (custom format)."""
    from stagematch.services.backup import backup

    backup(target)
    click.echo(f"Back-up geschreven naar {target}.")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.confirmation_option(prompt="Dit vervangt alle gegevens in de database. Doorgaan?")
def restore_command(source: str) -> None:
    """Restore the database from a back-up made with `flask backup` (replaces everything)."""
    from stagematch.services.backup import restore

    restore(source)
    click.echo(f"Database hersteld uit {source}.")


@click.command("train")
@click.option(
    "--if-needed",
    is_flag=True,
    help="Only when no active model can be loaded (none yet, or one from an older version).",
)
def train_command(if_needed: bool) -> None:
    """Train the match model on what students chose and how it went, register it, and make it
    active only if it passes the gate; print the per-student evaluation against the baselines and
    the gate's outcome."""
    from stagematch.matching.model import CANDIDATES
    from stagematch.ranking import active_model, refusal, train_and_register

    if if_needed and active_model() is not None:
        click.echo("Er is al een werkend model; niet opnieuw getraind.")
        return
    with click.progressbar(length=len(CANDIDATES) + 3, label="Trainen", file=sys.stderr) as bar:

        def progress(message: str) -> None:
            bar.update(1)

        try:
            version, model = train_and_register(progress=progress, activate_if_passed=False)
        except ValueError as error:
            raise click.ClickException(f"Te weinig gegevens om te trainen: {error}") from error
    click.echo(evaluation_table(version.id, model))
    reason = refusal(version)
    if reason is None:
        # Whoever runs the command decides; the decision is kept with the review's figures like
        # one made on the review page (services.model_review).
        from stagematch.ranking.review import review
        from stagematch.services.model_review import ACTIVATE, decide_activation

        decide_activation(version, by=None, decision=ACTIVATE, summary=review(version).summary(),
                          note="flask train op de opdrachtregel: door de toets gekomen")  # fmt: skip
        click.echo(f"Versie {version.id} is door de toets gekomen en is nu actief.")
    else:
        click.echo(f"Geregistreerd, niet actief gemaakt. {reason}")


@click.command("refresh-suggestions")
def refresh_suggestions_command() -> None:
    """Rank every student's places and store the lists (the night's job; `./dev.py run` after the
    demo and training), so pages read them instead of ranking per request."""
    from stagematch.services.stored_suggestions import refresh_all

    with click.progressbar(length=1, label="Suggesties", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        stored = refresh_all(progress=progress)
    click.echo(f"{stored} lijsten met suggesties opgeslagen.")


@click.command("export-ranking-log")
@click.option("--school", "school_name", required=True, help="School name.")
@click.option("--since", required=True, help="First day (YYYY-MM-DD, UTC).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              help="csv: one line per candidate; jsonl: one line per list.")  # fmt: skip
def export_ranking_log_command(school_name: str, since: str, out: str, fmt: str) -> None:
    """Write the ranking log of a school's students (every ranked list served: who asked, when,
    the model version, the candidates with positions and scores, which were shown) to OUT."""
    from stagematch.services.ranking_log import find_school, parse_date, write_export

    school = find_school(school_name)
    if school is None:
        names = ", ".join(db.session.scalars(select(School.name).order_by(School.name)).all())
        raise click.ClickException(f"Onbekende school '{school_name}'. Kies uit: {names}")
    day = parse_date(since)
    if day is None:
        raise click.ClickException(
            f"Ongeldige datum '{since}': gebruik JJJJ-MM-DD, bijv. 2026-01-31."
        )
    import os

    part = f"{out}.part"  # renamed when complete: never a half-written file under OUT
    try:
        with open(part, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") as file:
            count = write_export(school, day, file, fmt=fmt)
        os.replace(part, out)
    except OSError as error:
        raise click.ClickException(f"Kon {out} niet schrijven: {error.strerror}") from error
    finally:
        if os.path.exists(part):
            os.remove(part)
    click.echo(f"{count} ranglijsten van {school.name} sinds {day:%d-%m-%Y} geschreven naar {out}.")


@click.command("export-bron")
@click.option("--school", "school_name", required=True, help="School name.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True))
@click.option("--from", "date_from", default=None, help="First POK date (YYYY-MM-DD).")
@click.option("--to", "date_to", default=None, help="Last POK date (YYYY-MM-DD).")
def export_bron_command(
    school_name: str, out: str, date_from: str | None, date_to: str | None
) -> None:
    """Write the BRON BPV registration of a school (one row per signed agreement version, in
    BRON's field order; docs/exports.md) to OUT. Any row with missing data: the report, exit 1,
    and no file."""
    import os
    from datetime import date

    from stagematch.csvutil import to_csv
    from stagematch.services import bron

    school = bron.find_school(school_name)
    if school is None:
        names = ", ".join(db.session.scalars(select(School.name).order_by(School.name)).all())
        raise click.UsageError(f"Onbekende school '{school_name}'. Kies uit: {names}")
    days = []
    for value in (date_from, date_to):
        try:
            days.append(date.fromisoformat(value) if value else None)
        except ValueError:
            raise click.UsageError(
                f"Ongeldige datum '{value}': gebruik JJJJ-MM-DD, bijv. 2026-01-31."
            ) from None
    if days[0] and days[1] and days[0] > days[1]:
        raise click.UsageError("--from ligt na --to.")
    result = bron.build(school, *days)
    if not result.ok:
        click.echo(
            f"Geen bestand geschreven: {len(result.problems)} regel(s) met problemen.", err=True
        )
        for line in bron.problem_lines(result.problems):
            click.echo(f"- {line}", err=True)
        sys.exit(1)
    part = f"{out}.part"  # renamed when complete: never a half-written file under OUT
    try:
        with open(part, "w", encoding="utf-8-sig", newline="") as file:
            file.write(to_csv(result.header, result.rows))
        os.replace(part, out)
    except OSError as error:
        raise click.ClickException(f"Kon {out} niet schrijven: {error.strerror}") from error
    finally:
        if os.path.exists(part):
            os.remove(part)
    bron.mark_reported(school, result.version_ids)  # the 7-day deadline: reported now
    click.echo(f"{len(result.rows)} BPV-regels van {school.name} geschreven naar {out}.")
    if result.left_out:  # no signed POK yet: a note, not an error
        click.echo(
            f"{len(result.left_out)} stage(s) niet gemeld (geen ondertekende POK):", err=True
        )
        for line in bron.problem_lines(result.left_out):
            click.echo(f"- {line}", err=True)


def evaluation_table(version_id: int, model) -> str:
    """The per-student evaluation of a trained model as plain text (`flask train`)."""
    summary = next((m for m in model.metrics if m.get("kind") == "summary"), {})
    rows = [m for m in model.metrics if m.get("kind") in ("model", "baseline")]
    lines = [
        f"Model v{version_id} ({model.family}), getraind op {model.n_examples} studenten "
        f"({model.date_range[0]} t/m {model.date_range[1]}).",
        f"Per student gemeten op de nieuwste 25 %: {summary.get('report', '?')} studenten vanaf "
        f"{summary.get('report_from', '?')}, niet gebruikt bij trainen; gemiddeld "
        f"{summary.get('candidates', '?')} plekken per student; 95 %-intervallen (bootstrap over studenten).",
        f"  {'volgorde':<44} {'NDCG@10':>8} {'95 %':>15} {'recall@10':>10} {'succes 1e':>10}   "
        f"{'verschil model − dit (95 %)':>28}",
    ]

    def interval(row, key):
        return (
            f"[{row.get(key + '_lo', float('nan')):.3f}, {row.get(key + '_hi', float('nan')):.3f}]"
        )

    for row in rows:
        diff = ""
        if row["kind"] == "baseline":
            diff = f"{row['diff']:+.3f} {interval(row, 'diff')}"
        lines.append(
            f"  {row['name']:<44} {row['ndcg10']:>8.3f} {interval(row, 'ndcg10'):>15} "
            f"{row.get('recall10', float('nan')):>10.3f} {row.get('top_success', float('nan')):>10.3f}   {diff:>28}"
        )
    exposure = [m for m in model.metrics if m.get("kind") == "exposure"]
    if exposure:
        lines.append(
            "Spreiding over de plekken (top 10): Gini (lager = meer gespreid) en het aandeel "
            "studenten met een plek met < 3 open sollicitaties per vrije plaats in hun top 10:"
        )
        for row in exposure:
            lines.append(
                f"  {str(row['name']):<60} NDCG@10 {row['ndcg10']:.3f}  Gini {row['gini']:.3f}  "
                f"rustig {row['uncrowded']:.3f}"
            )
    selection = [m for m in model.metrics if m.get("kind") == "selection"]
    lines.append(
        f"Familie en instellingen gekozen op NDCG@10 per student (de 15 % vóór de nieuwste 25 %; "
        f"{len(selection)} geprobeerd, de beste 8):"
    )
    for row in sorted(selection, key=lambda r: -r["ndcg10"])[:8]:
        chosen = "  ← gekozen" if row.get("chosen") else ""
        lines.append(f"  {row['name']:<60} {row['ndcg10']:>8.3f}{chosen}")
    return "\n".join(lines)
