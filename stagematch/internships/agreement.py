"""The praktijkovereenkomst on the placement page (services/agreements.py): its status, the
versions (each readable and as PDF), signing in turn, the school's changes and amendments, the
student's details of a parent or guardian, and the guardian's own page behind a mailed link."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from stagematch.extensions import limiter
from stagematch.forms import DateField, DecimalField, IntegerField, SelectField, choices
from stagematch.internships import bp
from stagematch.internships.routes import placement_for_user
from stagematch.internships.sections import section
from stagematch.models import SignatureParty
from stagematch.services import DomainError
from stagematch.services import agreements as service

ANCHOR = "overeenkomst"
# The guardian's page is public (a link with a token): limited per client like other token pages.
GUARDIAN_PAGE_LIMIT = "30 per hour"


@section("internships/_agreement.html", order=10)
def agreement_section(internship, side):
    versions = list(internship.agreement_versions)
    pending = service.pending_version(internship)
    turn = service.next_party(pending) if pending is not None else None
    guardian = ((pending.content or {}).get("guardian") or {}) if pending is not None else {}
    party = service.party_for(internship, current_user)  # None for a network partner's firm
    return {
        "versions": versions, "pending": pending, "current": service.current_version(internship),
        "status": _status(internship, side, party, turn), "signed": service.is_signed(internship),
        "turn": turn, "my_turn": turn is not None and party == turn,
        "guardian": guardian,
        "needs_birth_date": side == "student" and pending is not None
        and service.birth_date_unknown(pending) and not pending.signatures,
        "needs_guardian_details": side == "student" and pending is not None
        and service.needs_guardian(pending) and not pending.signatures,
        "can_resend": side == "student" and turn == SignatureParty.GUARDIAN,
        "can_change": internship.status == "active" and bool(versions)
        and service.may_change(internship, current_user) is not None,
        "only_amend": service.may_change(internship, current_user) == "amend",
        "can_draw_up": side == "school" and internship.status == "active" and not versions,
        "labels": service.PARTY_LABELS,
        "parties": service.parties(pending) if pending is not None else [],
    }  # fmt: skip


def _status(internship, side, party, turn) -> str:
    """The status line; the firm of a network partner's meester reads which firm signs."""
    if side == "company" and party is None and turn == SignatureParty.COMPANY:
        return _(
            "wacht op de handtekening van %(company)s", company=internship.placement.company.name
        )
    return service.status_text(internship, side if party is not None else None)


class SignForm(FlaskForm):
    typed_name = StringField(
        _l("Je volledige naam"),
        validators=[DataRequired(_l("Typ je volledige naam.")), Length(max=service.NAME_MAX)],
    )
    confirm = BooleanField(
        _l("Ik heb de overeenkomst gelezen en ga ermee akkoord."),
        validators=[DataRequired(_l("Zet een vinkje om te bevestigen dat je tekent."))],
    )
    content_hash = HiddenField()


class GuardianForm(FlaskForm):
    name = StringField(
        _l("Naam van je ouder of verzorger"),
        validators=[DataRequired(_l("Vul de naam van je ouder of verzorger in.")),
                    Length(max=service.NAME_MAX)],
    )  # fmt: skip
    email = StringField(
        _l("E-mailadres van je ouder of verzorger"),
        validators=[DataRequired(_l("Vul een geldig e-mailadres in.")),
                    Email(_l("Vul een geldig e-mailadres in.")), Length(max=254)],
        description=_l("Hier komt de link om de overeenkomst te lezen en te tekenen."),
    )  # fmt: skip


class BirthDateForm(FlaskForm):
    birth_date = DateField(
        _l("Je geboortedatum"), validators=[InputRequired(_l("Vul je geboortedatum in."))],
        description=_l("Bijvoorbeeld 01-02-2009."),
    )  # fmt: skip


def _text_field(label, description=None):
    return TextAreaField(
        label,
        validators=[DataRequired(_l("Dit veld mag niet leeg zijn.")), Length(max=service.TEXT_MAX)],
        description=description,
    )


class ChangeForm(FlaskForm):
    start_date = DateField(
        _l("Begindatum"), validators=[DataRequired(_l("Vul een geldige datum in."))]
    )
    end_date = DateField(
        _l("Einddatum"), validators=[DataRequired(_l("Vul een geldige datum in."))]
    )
    hours_per_week = DecimalField(
        _l("Uren per week"),
        validators=[DataRequired(_l("Vul tussen 1 en 60 uur per week in.")),
                    NumberRange(1, 60, _l("Vul tussen 1 en 60 uur per week in."))],
    )  # fmt: skip
    days_per_week = IntegerField(
        _l("Dagen per week"),
        validators=[Optional(), NumberRange(1, 5, _l("Vul 1 tot en met 5 dagen per week in."))],
    )
    schedule = _text_field(
        _l("Verdeling van de uren"),
        _l("Bijvoorbeeld: maandag tot en met donderdag, 8 uur per dag."),
    )
    meester = SelectField(_l("Meester (praktijkopleider)"), coerce=int)
    work_processes = _text_field(_l("Werkprocessen en keuzedeel"))
    assessment = _text_field(_l("Beoordeling"))
    insurance = _text_field(_l("Verzekering"))
    early_ending = _text_field(_l("Eerder beëindigen"))
    reason = TextAreaField(
        _l("Reden van de wijziging"), validators=[Length(max=service.TEXT_MAX)],
        description=_l("Verplicht zodra er getekend is: dan wordt het een nieuwe versie die iedereen opnieuw tekent."),
    )  # fmt: skip


def _back(internship):
    return redirect(url_for("internships.page", internship_id=internship.id, _anchor=ANCHOR))


def _version_or_404(internship, number: int):
    version = service.version_of(internship, number)
    if version is None:
        abort(404)
    return version


def _render_version(internship, side, version, form=None, problem=None, status=200):
    party = service.party_for(internship, current_user)
    can_sign = version.status == "pending" and service.next_party(version) == party
    if can_sign and form is None:
        form = SignForm()
        form.typed_name.data = current_user.name
    if form is not None:
        form.content_hash.data = version.content_hash  # what this page shows
    return render_template(
        "internships/agreement.html", internship=internship, side=side, version=version,
        form=form if can_sign else None, problem=problem, labels=service.PARTY_LABELS,
        parties=service.parties(version), rows=service.pdf_rows(version),
        status=_status(internship, side, party, service.next_party(version)),
        turn=service.next_party(version),
    ), status  # fmt: skip


@bp.route("/<int:internship_id>/overeenkomst")
@login_required
def agreement(internship_id: int):
    """The latest version of the agreement."""
    internship, _side = placement_for_user(internship_id)
    versions = internship.agreement_versions
    if not versions:
        return _back(internship)
    return redirect(url_for("internships.agreement_version", internship_id=internship.id,
                            number=versions[-1].number))  # fmt: skip


@bp.route("/<int:internship_id>/overeenkomst/<int:number>")
@login_required
def agreement_version(internship_id: int, number: int):
    internship, side = placement_for_user(internship_id)
    return _render_version(internship, side, _version_or_404(internship, number))


@bp.post("/<int:internship_id>/overeenkomst/<int:number>/tekenen")
@login_required
def agreement_sign(internship_id: int, number: int):
    internship, side = placement_for_user(internship_id)
    version = _version_or_404(internship, number)
    form = SignForm()
    if form.validate_on_submit():
        try:
            service.sign(internship, number=number, party=service.SIDE_PARTY[side],
                         typed_name=form.typed_name.data, confirmed=bool(form.confirm.data),
                         seen_hash=form.content_hash.data or "", user=current_user)  # fmt: skip
        except DomainError as error:
            field = getattr(form, error.field or "", None)
            if field is not None:
                field.errors = [*field.errors, error.message]
                problem = None
            else:
                problem = error.message
            internship, side = placement_for_user(internship_id)  # read afresh after a refusal
            version = _version_or_404(internship, number)
            return _render_version(internship, side, version, form, problem, 422)
        flash(_("Je handtekening staat erop."), "success")
        return _back(internship)
    return _render_version(internship, side, version, form, None, 422)


@bp.get("/<int:internship_id>/overeenkomst/<int:number>.pdf")
@login_required
def agreement_pdf(internship_id: int, number: int):
    internship, _side = placement_for_user(internship_id)
    version = _version_or_404(internship, number)
    filename = f"praktijkovereenkomst-{internship.id}-v{version.number}.pdf"
    return Response(service.render_pdf(version), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})  # fmt: skip


@bp.post("/<int:internship_id>/overeenkomst/opstellen")
@login_required
def agreement_draw_up(internship_id: int):
    """The school draws up version 1 for a placement that has none (older data)."""
    internship, side = placement_for_user(internship_id)
    if side != "school":
        abort(403)
    try:
        service.draw_up(internship, by=current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("De overeenkomst is opgesteld; de student tekent als eerste."), "success")
    return _back(internship)


@bp.route("/<int:internship_id>/overeenkomst/wijzigen", methods=["GET", "POST"])
@login_required
def agreement_change(internship_id: int):
    """The school changes the draft, or (once someone signed) makes an amendment; the
    leerbedrijf proposes amendments."""
    internship, side = placement_for_user(internship_id)
    how = service.may_change(internship, current_user)
    if how is None:
        abort(403)
    if not internship.agreement_versions:
        return _back(internship)
    pending = service.pending_version(internship)
    base = pending or service.current_version(internship)
    amendment = how == "amend" or pending is None or bool(pending.signatures)
    form = ChangeForm()
    meesters = service.meester_choices(internship)
    current = service.Changes.from_content(base.content or {})
    if current.meester_id and current.meester_id not in {m.id for m in meesters}:
        meesters.insert(0, internship.meester)
    form.meester.choices = choices([(m.id, m.name) for m in meesters])
    if not form.is_submitted():
        for key in ("start_date", "end_date", "hours_per_week", "days_per_week", "schedule",
                    *service.TEXT_FIELDS):  # fmt: skip
            getattr(form, key).data = getattr(current, key)
        form.meester.data = current.meester_id
    if form.validate_on_submit():
        changes = service.Changes(
            start_date=form.start_date.data, end_date=form.end_date.data,
            hours_per_week=float(form.hours_per_week.data), days_per_week=form.days_per_week.data,
            schedule=form.schedule.data, meester_id=form.meester.data,
            **{k: getattr(form, k).data for k in service.TEXT_FIELDS},
        )  # fmt: skip
        try:
            version = service.change(internship, by=current_user, changes=changes,
                                     reason=form.reason.data or "")  # fmt: skip
        except DomainError as error:
            field = getattr(form, error.field or "", None) or form.reason
            field.errors = [*field.errors, error.message]
        else:
            if version.number != base.number:
                flash(_("Versie %(n)s is gemaakt; alle partijen tekenen opnieuw.", n=version.number),
                      "success")  # fmt: skip
            else:
                flash(_("De overeenkomst is aangepast."), "success")
            return _back(internship)
    return render_template(
        "internships/agreement_change.html", internship=internship, side=side, form=form,
        amendment=amendment, base=base, signed=pending is None or bool(pending.signatures),
    ), 422 if form.errors else 200  # fmt: skip


@bp.route("/<int:internship_id>/overeenkomst/ouder", methods=["GET", "POST"])
@login_required
def agreement_guardian(internship_id: int):
    """The student (under 18 on the start date) gives the name and address of a parent or
    guardian, who signs after them through a mailed link."""
    internship, side = placement_for_user(internship_id)
    if side != "student":
        abort(403)
    version = service.pending_version(internship)
    if version is None or not service.needs_guardian(version):
        return _back(internship)
    form = GuardianForm()
    if not form.is_submitted():
        known = (version.content or {}).get("guardian") or {}
        form.name.data, form.email.data = known.get("name"), known.get("email")
    if form.validate_on_submit():
        try:
            service.set_guardian(internship, by=current_user, name=form.name.data,
                                 email=form.email.data)  # fmt: skip
        except DomainError as error:
            field = getattr(form, error.field or "", None) or form.email
            field.errors = [*field.errors, error.message]
        else:
            flash(_("Opgeslagen. Na jouw handtekening krijgt je ouder of verzorger een mail."),
                  "success")  # fmt: skip
            return _back(internship)
    return render_template(
        "internships/agreement_guardian_details.html", internship=internship, side=side,
        form=form, version=version,
    ), 422 if form.errors else 200  # fmt: skip


@bp.route("/<int:internship_id>/overeenkomst/geboortedatum", methods=["GET", "POST"])
@login_required
def agreement_birth_date(internship_id: int):
    """The student gives their birth date when the agreement has none (a student who signed up
    without it, or came in by an import without it): a minor's parent or guardian signs too."""
    internship, side = placement_for_user(internship_id)
    if side != "student":
        abort(403)
    version = service.pending_version(internship)
    if version is None or not service.birth_date_unknown(version) or version.signatures:
        return _back(internship)
    form = BirthDateForm()
    if not form.is_submitted() and internship.student is not None:
        form.birth_date.data = internship.student.birth_date
    if form.validate_on_submit():
        try:
            version = service.set_birth_date(internship, by=current_user,
                                             birth_date=form.birth_date.data)  # fmt: skip
        except DomainError as error:
            form.birth_date.errors = [*form.birth_date.errors, error.message]
        else:
            if service.needs_guardian(version):
                flash(_("Opgeslagen. Je bent op de begindatum nog geen 18: vul nu de gegevens van "
                        "je ouder of verzorger in."), "success")  # fmt: skip
            else:
                flash(_("Opgeslagen. Je kunt de overeenkomst nu tekenen."), "success")
            return _back(internship)
    return render_template(
        "internships/agreement_birth_date.html", internship=internship, side=side, form=form,
    ), 422 if form.errors else 200  # fmt: skip


@bp.post("/<int:internship_id>/overeenkomst/ouder/opnieuw")
@login_required
@limiter.limit("5 per hour")
def agreement_resend(internship_id: int):
    """The student sends the guardian's link again."""
    internship, side = placement_for_user(internship_id)
    if side != "student":
        abort(403)
    try:
        sent = service.resend_guardian_link(internship, by=current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        if sent:
            flash(_("De link is opnieuw gemaild."), "success")
        else:
            flash(_("De mail kon niet worden verstuurd. Probeer het later nog eens."), "error")
    return _back(internship)


@bp.route("/overeenkomst/ouder/<token>", methods=["GET", "POST"])
@limiter.limit(GUARDIAN_PAGE_LIMIT)
def agreement_guardian_sign(token: str):
    """The parent's or guardian's page (no account): the agreement and the form to sign."""
    version = service.version_from_guardian_token(token)
    if version is None:
        # Forged, expired or for content that changed since: gone, like other mailed links.
        return render_template("internships/agreement_guardian.html", version=None), 410
    internship = version.internship
    signed = service.guardian_signed(version)
    turn = service.next_party(version)
    form = SignForm() if turn == SignatureParty.GUARDIAN else None
    problem = None
    if form is not None and not form.is_submitted():
        form.typed_name.data = ((version.content or {}).get("guardian") or {}).get("name")
    if form is not None and form.validate_on_submit():
        try:
            service.sign(internship, number=version.number, party=SignatureParty.GUARDIAN,
                         typed_name=form.typed_name.data, confirmed=bool(form.confirm.data),
                         seen_hash=form.content_hash.data or "", user=None)  # fmt: skip
        except DomainError as error:
            problem = error.message
        else:
            return render_template("internships/agreement_guardian.html", version=version,
                                   done=True, rows=service.pdf_rows(version))  # fmt: skip
    if form is not None:
        form.content_hash.data = version.content_hash
    status = 422 if (form is not None and (form.errors or problem)) else 200
    if signed and form is None:
        status = 410  # this link was used: the guardian signed this version
    return render_template(
        "internships/agreement_guardian.html", version=version, form=form, problem=problem,
        signed=signed, waiting=turn is not None and turn != SignatureParty.GUARDIAN and not signed,
        rows=service.pdf_rows(version), labels=service.PARTY_LABELS,
    ), status  # fmt: skip
