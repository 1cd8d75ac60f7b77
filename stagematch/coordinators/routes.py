"""The school coordinator's pages: dashboard, students, companies and meesters, flags, internships
with evaluations and visit notes, import and export."""

from __future__ import annotations

from dataclasses import asdict

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from stagematch import exports
from stagematch.access import ensure, role_required
from stagematch.coordinators import bp
from stagematch.coordinators.forms import (
    AccreditationCheckForm,
    CompanyListForm,
    FlagListForm,
    FlagResolveForm,
    InternshipListForm,
    StudentImportForm,
    StudentListForm,
    VisitForm,
)
from stagematch.csvutil import csv_response, to_csv
from stagematch.extensions import db
from stagematch.forms import choices
from stagematch.inputs import arg_int
from stagematch.models import (
    Accreditation,
    Company,
    Evaluation,
    Flag,
    Internship,
    Qualification,
    StudentProfile,
    VisitNote,
)
from stagematch.models.enums import Role
from stagematch.pagination import page_arg, paginate_rows
from stagematch.services import DomainError, fair_ads
from stagematch.services import accreditations as accreditation_service
from stagematch.services import cases as case_service
from stagematch.services import coordinators as service
from stagematch.services import flags as flag_service
from stagematch.services.audit import record
from stagematch.timeutil import today
from stagematch.urls import safe_next

DEFAULT_WEEKS = 6
PAGE_SIZE = 50  # rows per page on every coordinator list


def _school():
    return current_user.school


def _weeks() -> int:
    return arg_int("weken", DEFAULT_WEEKS, lo=1, hi=52)


@bp.route("/")
@role_required(Role.COORDINATOR)
def home():
    from stagematch.services.charts import dashboard_charts

    school = _school()
    flag_service.refresh_flags(school)
    counts = service.status_counts(school)
    weeks = _weeks()
    without_place = paginate_rows(service.without_place_statement(school, weeks), 1, per_page=5)
    open_flags = db.session.scalar(
        select(func.count(Flag.id)).where(Flag.school_id == school.id, Flag.resolved_at.is_(None))
    )
    over = service.over_capacity_meesters(school)
    unchecked = accreditation_service.unchecked_count(school)
    waiting_total, waiting = service.waiting_for_school(school)
    return render_template(
        "coordinators/home.html", school=school, counts=counts, labels=service.STATUS_LABELS, weeks=weeks,
        without_place=without_place, open_flags=open_flags, over=over, charts=dashboard_charts(school),
        unchecked_accreditations=unchecked, waiting_total=waiting_total, waiting=waiting,
    )  # fmt: skip


# --- students --------------------------------------------------------------------------------


def _student_filters(form: StudentListForm) -> service.StudentFilters:
    return service.StudentFilters(
        qualification_id=form.qualification.data or None, level=int(form.level.data) if form.level.data else None,
        leerweg=form.leerweg.data or None, status=form.status.data or None, q=(form.q.data or "").strip(),
        place=form.place.data or None,
    )  # fmt: skip


def _student_list_form(school) -> StudentListForm:
    form = StudentListForm(request.args)
    quals = db.session.execute(
        select(Qualification.id, Qualification.crebo, Qualification.name)
        .where(
            Qualification.id.in_(
                select(StudentProfile.qualification_id).where(StudentProfile.school_id == school.id)
            )
        )
        .order_by(Qualification.name)
    ).all()
    form.qualification.choices = choices(
        [(0, _("Alle opleidingen"))] + [(q.id, f"{q.crebo} {q.name}") for q in quals]
    )
    form.status.choices = choices([("", _("Alle statussen"))] + list(service.STATUS_LABELS.items()))
    return form


STUDENT_HEADER = ["studentnummer", "naam", "e-mail", "crebo", "opleiding", "niveau", "leerweg", "woonplaats",
                  "geplande start", "status"]  # fmt: skip


def _student_csv_rows(rows):
    return [
        [
            r.student_number or "",
            r.name,
            r.email,
            r.crebo,
            r.qualification,
            r.level,
            r.leerweg,
            r.city or "",
            r.planned_start.isoformat() if r.planned_start else "",
            service.STATUS_LABELS.get(r.status, r.status),
        ]  # fmt: skip
        for r in rows
    ]


# Exports of more than EXPORT_JOB_ROWS rows are written by the worker (stagematch/exports.py).
@exports.exporter("coordinator_students")
def _students_export(owner, params: dict):
    stmt = service.students_statement(owner.school, service.StudentFilters(**params))
    return STUDENT_HEADER, _student_csv_rows(db.session.execute(stmt))


@exports.exporter("coordinator_without_place")
def _without_place_export(owner, params: dict):
    stmt = service.without_place_statement(owner.school, params["weeks"])
    return STUDENT_HEADER, _student_csv_rows(db.session.execute(stmt))


@bp.route("/studenten")
@role_required(Role.COORDINATOR)
def students():
    school = _school()
    form = _student_list_form(school)
    valid = form.validate()
    stmt = service.students_statement(
        school, _student_filters(form) if valid else service.StudentFilters()
    )
    if request.args.get("formaat") == "csv":
        params = asdict(_student_filters(form) if valid else service.StudentFilters())
        return exports.csv_or_job(
            "coordinator_students", params, filename="studenten.csv", rows=exports.count(stmt)
        )
    page = paginate_rows(stmt, page_arg(request), per_page=PAGE_SIZE)
    return render_template(
        "coordinators/students.html", form=form, page=page, labels=service.STATUS_LABELS,
        q=(form.q.data or "").strip() if valid else "",
    )  # fmt: skip


@bp.route("/zonder-plek")
@role_required(Role.COORDINATOR)
def without_place():
    school = _school()
    weeks = _weeks()
    stmt = service.without_place_statement(school, weeks)
    if request.args.get("formaat") == "csv":
        return exports.csv_or_job(
            "coordinator_without_place", {"weeks": weeks}, filename="zonder-plek.csv",
            rows=exports.count(stmt),
        )  # fmt: skip
    page = paginate_rows(stmt, page_arg(request), per_page=PAGE_SIZE)
    return render_template(
        "coordinators/without_place.html", page=page, weeks=weeks, labels=service.STATUS_LABELS
    )


@bp.route("/studenten/<int:profile_id>")
@role_required(Role.COORDINATOR)
def student(profile_id: int):
    profile = db.get_or_404(StudentProfile, profile_id)
    ensure(profile.school_id == _school().id)
    internships = db.session.scalars(
        select(Internship)
        .where(Internship.student_id == profile.id)
        .order_by(Internship.start_date.desc())
    ).all()
    from stagematch.models import Application

    applications = db.session.scalars(
        select(Application)
        .where(Application.student_id == profile.id)
        .order_by(Application.created_at.desc())
    ).all()
    reports = case_service.student_reports(profile.id)
    record("student.view", profile)
    db.session.commit()
    return render_template(
        "coordinators/student.html",
        profile=profile,
        internships=internships,
        applications=applications,
        reports=reports,
        report_flags=case_service.flags_for_reports(reports),
    )


# --- companies and meesters ------------------------------------------------------------------


COMPANY_HEADER = ["bedrijf", "plaats", "studenten nu", "meesters over capaciteit", "meldingen discriminatie",
                  "erkenning"]  # fmt: skip


def _company_filters(form: CompanyListForm, valid: bool) -> service.CompanyFilters:
    if not valid:
        return service.CompanyFilters()
    return service.CompanyFilters(q=(form.q.data or "").strip(), sector=form.sector.data or "",
                                  open_flags=bool(form.open_flags.data))  # fmt: skip


@exports.exporter("coordinator_companies")
def _companies_export(owner, params: dict):
    school = owner.school
    ids = list(
        db.session.scalars(service.companies_statement(school, service.CompanyFilters(**params)))
    )
    rows = service.companies_page_rows(school, ids)
    return COMPANY_HEADER, [[r.company.name, r.company.city, r.students, sum(m.over_capacity for m in r.meesters),
                             r.reports, r.accreditation_note] for r in rows]  # fmt: skip


@bp.route("/bedrijven")
@role_required(Role.COORDINATOR)
def companies():
    school = _school()
    form = CompanyListForm(request.args)
    form.sector.choices = choices(
        [("", _("Alle sectoren"))] + [(s, s) for s in service.company_sectors(school)]
    )
    valid = form.validate()
    filters = _company_filters(form, valid)
    stmt = service.companies_statement(school, filters)
    if request.args.get("formaat") == "csv":
        return exports.csv_or_job("coordinator_companies", asdict(filters), filename="bedrijven.csv",
                                  rows=exports.count(stmt))  # fmt: skip
    page = paginate_rows(stmt, page_arg(request), per_page=PAGE_SIZE)
    ids = [row[0] for row in page.items]
    rows = service.companies_page_rows(school, ids)
    return render_template("coordinators/companies.html", form=form, page=page, rows=rows, q=filters.q,
                           filtered=filters != service.CompanyFilters(),
                           open_flags=service.open_flag_counts(school, ids),
                           ad_counts=fair_ads.counts_by_company(ids))  # fmt: skip


@bp.route("/erkenningen")
@role_required(Role.COORDINATOR)
def accreditations():
    """Accreditations of the school's companies, by status (default: not yet checked)."""
    status = request.args.get("status", "declared")
    if status not in accreditation_service.STATUS_FILTERS:
        status = "declared"
    stmt = accreditation_service.school_accreditations_statement(_school(), status)
    page = db.paginate(stmt, page=page_arg(request), per_page=50, error_out=False)
    return render_template("coordinators/accreditations.html", page=page, status=status,
                           filters=accreditation_service.STATUS_FILTERS)  # fmt: skip


@bp.route("/bedrijven/<int:company_id>/erkenningen")
@role_required(Role.COORDINATOR)
def company_accreditations(company_id: int):
    company = db.get_or_404(Company, company_id)
    ensure(accreditation_service.may_check(_school(), company))
    return render_template("coordinators/company_accreditations.html", company=company)


@bp.route("/erkenningen/<int:accreditation_id>/controleren", methods=["POST"])
@role_required(Role.COORDINATOR)
def check_accreditation(accreditation_id: int):
    accreditation = db.get_or_404(Accreditation, accreditation_id)
    ensure(accreditation_service.may_check(_school(), accreditation.company))
    form = AccreditationCheckForm()
    try:
        if not form.validate_on_submit():
            raise DomainError(_("Kies of de erkenning klopt of niet."))
        accreditation_service.check_accreditation(
            accreditation, by=current_user, verdict=form.verdict.data, note=form.note.data or ""
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        if form.verdict.data == "verified":
            flash(_("De erkenning staat nu als gecontroleerd."), "success")
        else:
            flash(_("De erkenning is afgekeurd. Het leerbedrijf kan er geen plekken meer voor online zetten."),
                  "success")  # fmt: skip
    return redirect(
        safe_next(form.next.data, within="/coordinator/")
        or url_for("coordinators.company_accreditations", company_id=accreditation.company_id)
    )


@bp.route("/meesters-over-capaciteit")
@role_required(Role.COORDINATOR)
def over_capacity():
    rows = service.over_capacity_meesters(_school())
    if request.args.get("formaat") == "csv":
        header = ["meester", "bedrijf", "plaats", "leerlingen nu", "capaciteit", "van deze school"]
        data = [[m.mentor.name, m.mentor.company.name, m.mentor.company.city, m.active, m.mentor.capacity,
                 m.school_active] for m in rows]  # fmt: skip
        return csv_response(to_csv(header, data), "meesters-over-capaciteit.csv")
    return render_template("coordinators/over_capacity.html", rows=rows)


# --- flags -----------------------------------------------------------------------------------


FLAG_HEADER = ["gemeld", "soort", "wat", "afgehandeld", "notitie"]


def _flag_filters(form: FlagListForm, valid: bool) -> case_service.FlagFilters:
    if not valid:
        return case_service.FlagFilters()
    return case_service.FlagFilters(state=form.toon.data or "open", kind=form.soort.data or "",
                                    owner=form.van.data or "", priority=form.prioriteit.data or "")  # fmt: skip


@exports.exporter("coordinator_flags")
def _flags_export(owner, params: dict):
    stmt = case_service.flags_statement(
        owner.school_id, case_service.FlagFilters(**params), user_id=owner.id
    )
    return FLAG_HEADER, [[f.raised_at.date().isoformat(), flag_service.KIND_LABELS.get(f.kind, f.kind), f.message,
                          f.resolved_at.date().isoformat() if f.resolved_at else "", f.resolution_note]
                         for f in db.session.scalars(stmt)]  # fmt: skip


@bp.route("/signalen")
@role_required(Role.COORDINATOR)
def flags():
    school = _school()
    flag_service.refresh_flags(school)
    form = FlagListForm(request.args)
    form.soort.choices = choices([("", _("Alle soorten"))] + list(flag_service.KIND_LABELS.items()))
    form.prioriteit.choices = choices([("", _("Alle"))] + list(case_service.PRIORITIES.items()))
    valid = form.validate()
    filters = _flag_filters(form, valid)
    stmt = case_service.flags_statement(school.id, filters, user_id=current_user.id)
    if request.args.get("formaat") == "csv":
        return exports.csv_or_job("coordinator_flags", asdict(filters), filename="signalen.csv",
                                  rows=exports.count(stmt))  # fmt: skip
    page = paginate_rows(stmt, page_arg(request), per_page=PAGE_SIZE)
    page.items = [row[0] for row in page.items]
    return render_template("coordinators/flags.html", page=page, form=form, filters=filters,
                           kinds=flag_service.KIND_LABELS, priorities=case_service.PRIORITIES,
                           owners=case_service.owner_names(page.items),
                           filtered=filters != case_service.FlagFilters())  # fmt: skip


@bp.route("/signalen/<int:flag_id>/afhandelen", methods=["POST"])
@role_required(Role.COORDINATOR)
def resolve_flag(flag_id: int):
    flag = db.get_or_404(Flag, flag_id)
    ensure(flag.school_id == _school().id)
    form = FlagResolveForm()
    try:
        if not form.validate_on_submit():
            raise DomainError(_("Schrijf kort wat je gedaan hebt."))
        flag_service.resolve(flag, user=current_user, note=form.note.data)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Afgehandeld. Het signaal blijft in de geschiedenis."), "success")
    # Back to the coordinator's page the form was on (the flag list with its filters), never
    # to another site.
    return redirect(
        safe_next(request.referrer, within="/coordinator/") or url_for("coordinators.flags")
    )


# --- internships -----------------------------------------------------------------------------


@bp.route("/stages/<int:internship_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def internship(internship_id: int):
    internship = service.school_internship(_school(), internship_id)
    form = VisitForm()
    if form.validate_on_submit():
        try:
            service.add_visit_note(
                internship,
                author=current_user,
                visited_on=form.visited_on.data,
                note=form.note.data,
            )
        except DomainError as error:
            form.visited_on.errors = [*form.visited_on.errors, error.message]
        else:
            flash(_("Bezoekverslag opgeslagen."), "success")
            return redirect(url_for("coordinators.internship", internship_id=internship.id))
    evaluations = db.session.scalars(
        select(Evaluation)
        .where(Evaluation.internship_id == internship.id)
        .order_by(Evaluation.due_date, Evaluation.author_role)
    ).all()
    visits = db.session.scalars(
        select(VisitNote)
        .where(VisitNote.internship_id == internship.id)
        .order_by(VisitNote.visited_on.desc())
    ).all()
    if internship.student is not None:
        record("student.view", internship.student, internship=internship.id)
        db.session.commit()
    return render_template("coordinators/internship.html", internship=internship, evaluations=evaluations,
                           visits=visits, form=form, today=today()), 422 if form.errors else 200  # fmt: skip


INTERNSHIP_HEADER = ["student", "plek", "leerbedrijf", "meester", "begin", "einde", "status", "fase",
                     "overeenkomst wacht op", "uren goedgekeurd", "uren gepland"]  # fmt: skip


def _hours_cell(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def _internship_filters(form: InternshipListForm, valid: bool) -> service.InternshipFilters:
    if not valid:
        return service.InternshipFilters()
    return service.InternshipFilters(status=form.status.data or "active", company=(form.company.data or "").strip(),
                                     meester=(form.meester.data or "").strip())  # fmt: skip


@exports.exporter("coordinator_internships")
def _internships_export(owner, params: dict):
    from stagematch.templating import status_label

    stmt = service.internships_statement(owner.school, service.InternshipFilters(**params))
    internships = db.session.scalars(stmt).all()
    facts = service.list_facts(internships)
    return INTERNSHIP_HEADER, [[i.student.user.name if i.student else "", i.placement.title, i.placement.company.name,
                                i.meester.name, i.start_date.isoformat(), i.end_date.isoformat(),
                                status_label(i.status), facts[i.id].phase_label, facts[i.id].waiting_for,
                                _hours_cell(facts[i.id].approved_hours), _hours_cell(facts[i.id].planned_hours)]
                               for i in internships]  # fmt: skip


@bp.route("/stages")
@role_required(Role.COORDINATOR)
def internships():
    school = _school()
    form = InternshipListForm(request.args)
    valid = form.validate()
    filters = _internship_filters(form, valid)
    stmt = service.internships_statement(school, filters)
    if request.args.get("formaat") == "csv":
        return exports.csv_or_job("coordinator_internships", asdict(filters), filename="stages.csv",
                                  rows=exports.count(stmt))  # fmt: skip
    page = paginate_rows(stmt, page_arg(request), per_page=PAGE_SIZE)
    page.items = [row[0] for row in page.items]
    return render_template("coordinators/internships.html", page=page, form=form, filters=filters,
                           filtered=filters != service.InternshipFilters(),
                           facts=service.list_facts(page.items))  # fmt: skip


# --- import ----------------------------------------------------------------------------------


@bp.route("/studenten/importeren", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def import_students():
    """The upload; the import itself runs as a job (its page shows progress and the report).
    `?fouten=<job id>` downloads the refused rows of one's own import."""
    from flask import abort

    from stagematch.importing import own_job, refused_csv
    from stagematch.services import student_import

    if "fouten" in request.args:
        job = own_job(request.args["fouten"], student_import.JOB_KIND, current_user)
        if job is None:
            abort(404)
        return csv_response(refused_csv(job.result or {}), "studenten-niet-geimporteerd.csv")
    form = StudentImportForm()
    if form.validate_on_submit():
        raw = form.file.data.read(student_import.MAX_BYTES + 1)
        problem = student_import.check_upload(raw)
        if problem is None:
            job = student_import.start_import(school=_school(), raw=raw, by=current_user._get_current_object(),
                                              ip=request.remote_addr)  # fmt: skip
            return redirect(url_for("main.job", job_id=job.id))
        form.file.errors = [problem]
    return render_template(
        "coordinators/import.html", form=form, columns=student_import.IMPORT_COLUMNS
    ), 422 if form.errors else 200


# The review of place texts; the BRON export; the contact persons for companies; EVC (issue 18).
from stagematch.coordinators import ads, bron, contacts, evc  # noqa: E402,F401
