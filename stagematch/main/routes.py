from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from stagematch.access import role_required
from stagematch.extensions import db
from stagematch.main import bp
from stagematch.models import AuditEvent, Company, Placement, School, StudentProfile, User
from stagematch.models.enums import Role
from stagematch.services import statistics as statistics_service

HOME_BY_ROLE = {
    Role.STUDENT: "students.home",
    Role.COMPANY: "companies.home",
    Role.COORDINATOR: "coordinators.home",
    Role.ADMIN: "main.admin_home",
    Role.JOB_COACH: "coaches.home",
}


@bp.route("/")
def index():
    return render_template("main/index.html", open_places=statistics_service.open_places())


@bp.route("/home")
@login_required
def home():
    return redirect(url_for(HOME_BY_ROLE[Role(current_user.role)]))


@bp.route("/beheer")
@role_required(Role.ADMIN)
def admin_home():
    counts = {
        _("Gebruikers"): db.session.scalar(select(func.count(User.id))),
        _("Scholen"): db.session.scalar(select(func.count(School.id))),
        _("Studenten met profiel"): db.session.scalar(select(func.count(StudentProfile.id))),
        _("Leerbedrijven"): db.session.scalar(select(func.count(Company.id))),
        _("Plekken"): db.session.scalar(select(func.count(Placement.id))),
    }
    recent = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(20)).all()
    from stagematch.services.admin import failures_since

    failed_mails, failed_jobs = failures_since(days=7)
    from stagematch.services.objections import counts as objection_counts

    return render_template("main/admin_home.html", counts=counts, recent=recent,
                           failed_mails=failed_mails, failed_jobs=failed_jobs,
                           objections=objection_counts())  # fmt: skip


@bp.route("/beheer/sbb-register", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def sbb_register():
    """Import SBB's register of leerbedrijven: checks the accreditations companies declared."""
    from flask import flash

    from stagematch.main.forms import SbbRegisterForm
    from stagematch.services import accreditations as accreditation_service

    form = SbbRegisterForm()
    report = None
    if form.validate_on_submit():
        report = accreditation_service.import_sbb_register(form.file.data.read(), by=current_user)
        if report.ok:
            flash(_("Register ingelezen: %(verified)s gecontroleerd, %(rejected)s afgekeurd, "
                    "%(unchanged)s ongewijzigd; %(unknown)s.",
                    verified=ngettext("%(num)s erkenning", "%(num)s erkenningen", report.verified),
                    rejected=report.rejected, unchanged=report.unchanged,
                    unknown=ngettext("%(num)s onbekend leerbedrijf-ID", "%(num)s onbekende leerbedrijf-ID's",
                                     report.unknown_ids)), "success")  # fmt: skip
            return redirect(url_for("main.sbb_register"))
        form.file.errors = [report.error or ngettext(
            "Er is niets opgeslagen: %(num)s regel klopt niet. Verbeter die en lees het hele bestand opnieuw in.",
            "Er is niets opgeslagen: %(num)s regels kloppen niet. Verbeter ze en lees het hele bestand opnieuw in.",
            len(report.rows))]  # fmt: skip
    return render_template("main/sbb_register.html", form=form, report=report,
                           columns=accreditation_service.REGISTER_COLUMNS,
                           column_names=accreditation_service.COLUMN_LABELS,
                           last=accreditation_service.last_import()), 422 if form.errors else 200  # fmt: skip


@bp.route("/taken/<job_id>")
@login_required
def job(job_id: str):
    """A queued job's progress and, when it is done, its report; only for the person who started
    it (and administrators)."""
    from flask import abort

    from stagematch.models import Job

    found = db.session.get(Job, job_id) if len(job_id) == 32 else None
    if found is None or (
        found.owner_id != current_user.id and not current_user.has_role(Role.ADMIN)
    ):
        abort(404)
    # Messages are Dutch msgids (or plain text): translated here, escaped by the template.
    message = _(found.message) if found.message else None
    return render_template("main/job.html", job=found, message=message)


@bp.route("/taken/<job_id>/bestand")
@login_required
def job_file(job_id: str):
    """The file an export job made: only for the person who asked for it."""
    from flask import abort, flash

    from stagematch import exports
    from stagematch.models import Job

    found = db.session.get(Job, job_id) if len(job_id) == 32 else None
    if found is None or found.owner_id != current_user.id:
        abort(404)
    if exports.file_for(found) is None:
        if found.status == "done":
            flash(_("Dit bestand is er niet meer: bestanden worden na een dag verwijderd. Exporteer de lijst "
                    "opnieuw."), "error")  # fmt: skip
        return redirect(url_for("main.job", job_id=found.id))
    return exports.download(found)


@bp.route("/privacy")
def privacy():
    from flask import current_app

    return render_template("main/privacy.html", months=current_app.config["RETENTION_MONTHS"])


@bp.route("/beheer/logboek")
@role_required(Role.ADMIN)
def audit_log():
    from flask import request

    from stagematch.inputs import MAX_ID, parse_int
    from stagematch.pagination import page_arg

    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    # Filters as long as a person types (a LIKE pattern of 200 KB is refused by SQLite).
    who = request.args.get("wie", "").strip()[:200]
    action = request.args.get("actie", "").strip()[:200]
    object_type = request.args.get("soort", "").strip()[:200]
    object_id = request.args.get("id", "").strip()[:20]
    if who:
        stmt = stmt.where(AuditEvent.actor_label.ilike(f"%{who}%"))
    if action:
        stmt = stmt.where(AuditEvent.action.ilike(f"%{action}%"))
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if (number := parse_int(object_id, lo=1, hi=MAX_ID)) is not None:
        stmt = stmt.where(AuditEvent.object_id == number)
    page = db.paginate(stmt, page=page_arg(request), per_page=50, error_out=False)
    return render_template("main/audit_log.html", page=page, who=who, action=action, object_type=object_type,
                           object_id=object_id)  # fmt: skip


@bp.route("/statistieken")
def statistics():
    """Public, anonymous aggregates: seats offered and filled per qualification."""
    rows = statistics_service.qualification_stats()
    return render_template("main/statistics.html", rows=rows, offered=sum(r["seats_offered"] for r in rows),
                           filled=sum(r["seats_filled"] for r in rows))  # fmt: skip


@bp.route("/beheer/model", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def model_card():
    """The model card: data, metrics against the baselines, feature importances, versions."""
    import json

    from flask import flash, redirect, request, url_for

    from stagematch.inputs import form_int
    from stagematch.matching.text import Phrase
    from stagematch.models import ModelVersion
    from stagematch.ranking import refusal
    from stagematch.ranking.registry import gate

    if request.method == "POST" and request.form.get("actie") == "trainen":
        from stagematch.tasks import start_training

        return redirect(url_for("main.job", job_id=start_training(by=current_user).id))
    if request.method == "POST":
        # Activating goes through the review page (what changes for whom, and a recorded
        # decision); a version that fails the gate is refused here already.
        version = db.get_or_404(ModelVersion, form_int("version", 0))
        reason = refusal(version)
        if reason is not None:
            flash(reason, "error")
            return redirect(url_for("main.model_card"))
        return redirect(url_for("main.model_review", version_id=version.id))
    versions = db.session.scalars(select(ModelVersion).order_by(ModelVersion.id.desc())).all()
    active = next((v for v in versions if v.active), None)
    card = None
    if active is not None:
        # Metric names are Dutch msgids (the model card shows them in the reader's language).
        metrics = [{**m, "name": Phrase(m["name"])} for m in json.loads(active.metrics)]
        card = {"metrics": metrics,
                "importances": sorted(json.loads(active.importances).items(), key=lambda kv: -kv[1])}  # fmt: skip
    gates = {v.id: (gate(v), refusal(v)) for v in versions}
    from stagematch.ranking.gate import MARGIN, MIN_GROUP

    return render_template("main/model_card.html", versions=versions, active=active, card=card,
                           gates=gates, margin=MARGIN, min_group=MIN_GROUP)  # fmt: skip


@bp.post("/taal")
def set_language():
    """The language switch: remembered in a cookie for a year and, when logged in, on the account."""
    from stagematch.i18n import COOKIE, locales_for
    from stagematch.urls import safe_next

    locale = request.form.get("taal", "")
    target = safe_next(request.form.get("next")) or url_for("main.index")
    response = redirect(target)
    if locale in locales_for(current_user if current_user.is_authenticated else None):
        response.set_cookie(COOKIE, locale, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return response


@bp.route("/beheer/model/<int:version_id>/beoordelen", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def model_review(version_id: int):
    """Before activating: what would change for which groups of students, and the decision."""
    from flask import flash, redirect, request, url_for

    from stagematch.models import ModelVersion
    from stagematch.ranking.registry import refusal
    from stagematch.ranking.review import review
    from stagematch.services import DomainError
    from stagematch.services import model_review as service

    version = db.get_or_404(ModelVersion, version_id)
    if version.active:
        flash(_("Versie %(id)s is al actief.", id=version.id), "info")
        return redirect(url_for("main.model_card"))
    try:
        changes = review(version)
    except (OSError, ValueError):  # the artifact is missing or does not fit
        flash(_("Versie %(id)s kan niet worden geladen; zie het log.", id=version.id), "error")
        return redirect(url_for("main.model_card"))
    error = None
    if request.method == "POST":
        try:
            active = service.decide_activation(
                version, by=current_user._get_current_object(),
                decision=request.form.get("besluit", ""), note=request.form.get("toelichting", ""),
                summary=changes.summary(),
            )  # fmt: skip
        except DomainError as refused:
            error = refused.message
        else:
            if active:
                flash(_("Versie %(id)s is nu actief.", id=version.id), "success")
            else:
                flash(_("Je besluit over versie %(id)s is vastgelegd; de versie is niet actief.",
                        id=version.id), "success")  # fmt: skip
            return redirect(url_for("main.model_card"))
    status = 422 if error else 200
    return render_template("main/model_review.html", version=version, review=changes,
                           refusal=refusal(version), error=error, form=request.form,
                           min_note=service.NOTE_MIN), status  # fmt: skip


from stagematch.main import documentation  # noqa: E402,F401  (the documentation pages)
