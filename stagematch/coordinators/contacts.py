"""The school's contact persons for companies (issue 18, item 6): the coordinator's list with
add, edit and delete; and the template globals with which the company pages show them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from stagematch.access import role_required
from stagematch.coordinators import bp
from stagematch.forms import SelectField, choices, find_qualification, qualification_labels
from stagematch.models import SchoolContact
from stagematch.models.enums import Role
from stagematch.reference import sectors
from stagematch.services import DomainError
from stagematch.services import school_contacts as service


class ContactForm(FlaskForm):
    name = StringField(
        _l("Naam"),
        validators=[DataRequired(_l("Vul een naam in.")), Length(max=120, message=_l("Gebruik hooguit 120 tekens."))],
    )  # fmt: skip
    function = StringField(
        _l("Functie"),
        description=_l("Bijvoorbeeld praktijkbegeleider, bpv-coördinator of teamleider."),
        validators=[Optional(), Length(max=120, message=_l("Gebruik hooguit 120 tekens."))],
    )
    email = StringField(
        _l("E-mailadres"),
        validators=[
            DataRequired(_l("Vul een geldig e-mailadres in.")),
            Length(max=254, message=_l("Vul een geldig e-mailadres in.")),
            Regexp(service.EMAIL, message=_l("Vul een geldig e-mailadres in.")),
        ],
    )
    phone = StringField(
        _l("Telefoonnummer"),
        validators=[
            Optional(),
            Length(max=30, message=_l("Gebruik hooguit 30 tekens.")),
            Regexp(service.PHONE, message=_l("Vul een telefoonnummer in met alleen cijfers (en + of -).")),
        ],
    )  # fmt: skip
    sector = SelectField(
        _l("Branche"),
        description=_l("Laat branche en opleiding leeg voor de algemene contactpersoon."),
        validators=[Optional()],
    )
    qualification = StringField(
        _l("Opleiding (crebo of naam)"),
        description=_l("Alleen als deze persoon voor één opleiding het aanspreekpunt is."),
        validators=[Optional(), Length(max=200)],
    )


def _form(contact: SchoolContact | None = None) -> ContactForm:
    form = ContactForm(obj=contact)
    form.sector.choices = choices(
        [("", _("Geen (algemeen of per opleiding)"))] + [(s, s) for s in sectors()]
    )
    if contact is not None and not form.is_submitted():
        form.qualification.data = contact.qualification.label if contact.qualification else ""
    return form


def _own(contact_id: int) -> SchoolContact:
    contact = service.get_for(current_user.school, contact_id)
    if contact is None:
        abort(404)
    return contact


def _render(form: ContactForm, contact: SchoolContact | None):
    status = 422 if form.errors else 200
    return render_template(
        "coordinators/contact_form.html", form=form, contact=contact,
        qualification_options=qualification_labels(),
    ), status  # fmt: skip


def _save(form: ContactForm, contact: SchoolContact | None):
    """Validate, save through the service and redirect; the form back with errors otherwise."""
    if not form.is_submitted():
        return _render(form, contact)
    valid = form.validate()
    # The typed qualification is checked too when other fields are wrong: all problems at once.
    qualification = find_qualification(form.qualification.data) if form.qualification.data else None
    if form.qualification.data and qualification is None:
        form.qualification.errors = [
            *form.qualification.errors,
            _("Deze opleiding kennen we niet. Kies uit de lijst."),
        ]
        valid = False
    if not valid:
        return _render(form, contact)
    data = service.ContactData(
        name=form.name.data, email=form.email.data, function=form.function.data or "",
        phone=form.phone.data or "", sector=form.sector.data or "", qualification=qualification,
    )  # fmt: skip
    try:
        if contact is None:
            service.create(
                school=current_user.school, data=data, by=current_user._get_current_object()
            )
        else:
            service.update(contact=contact, data=data, by=current_user._get_current_object())
    except DomainError as refused:
        field = getattr(form, refused.field or "", None) or form.name
        field.errors = [*field.errors, refused.message]
        return _render(form, contact)
    flash(_("De contactpersoon is opgeslagen."), "success")
    return redirect(url_for("coordinators.contacts"))


@bp.route("/contactpersonen")
@role_required(Role.COORDINATOR)
def contacts():
    return render_template(
        "coordinators/contacts.html", contacts=service.contacts_of(current_user.school)
    )


@bp.route("/contactpersonen/nieuw", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def new_contact():
    return _save(_form(), None)


@bp.route("/contactpersonen/<int:contact_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def edit_contact(contact_id: int):
    contact = _own(contact_id)
    return _save(_form(contact), contact)


@bp.route("/contactpersonen/<int:contact_id>/verwijderen", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def delete_contact(contact_id: int):
    contact = _own(contact_id)
    form = FlaskForm()
    if form.validate_on_submit():
        service.delete(contact=contact, by=current_user._get_current_object())
        flash(_("De contactpersoon is verwijderd."), "success")
        return redirect(url_for("coordinators.contacts"))
    return render_template("coordinators/contact_delete.html", contact=contact, form=form)


# --- what companies see (templates/companies/*.html) ---------------------------------------------


@bp.app_template_global("school_contact_for_student")
def school_contact_for_student(profile):
    """The student's school and its most specific contacts (applicant page)."""
    return service.for_student(profile)


@bp.app_template_global("school_contacts_for_company")
def school_contacts_for_company(company):
    """The contacts of the schools of the company's current applicants and learners (home)."""
    return service.for_company(company.id) if company is not None else []
