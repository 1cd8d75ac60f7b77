"""Leerbedrijf networks (issue 18): a company's networks, inviting a partner by KvK number,
accepting, leaving (with a confirmation page), and the rotation schedule of a place between
member firms. The rules are in `services/networks.py`."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from stagematch.access import ensure, role_required
from stagematch.companies import bp
from stagematch.extensions import db
from stagematch.forms import choices
from stagematch.models import LeerbedrijfNetwork, Placement
from stagematch.models.enums import Role
from stagematch.models.network import INVITED, LEFT, WEEKDAYS
from stagematch.services import DomainError
from stagematch.services import networks as service

DAY_LABELS = [
    ("ma", _l("ma")), ("di", _l("di")), ("wo", _l("wo")), ("do", _l("do")), ("vr", _l("vr")),
    ("za", _l("za")), ("zo", _l("zo")),
]  # fmt: skip


class NetworkForm(FlaskForm):
    name = StringField(
        _l("Naam van het netwerk"),
        validators=[DataRequired(_l("Geef het netwerk een naam.")), Length(max=120)],
    )
    opleidingsbedrijf = StringField(
        _l("Opleidingsbedrijf dat het netwerk coördineert (als dat er is)"),
        validators=[Optional(), Length(max=160)],
    )


class InviteForm(FlaskForm):
    kvk_number = StringField(
        _l("KvK-nummer van het bedrijf"),
        validators=[DataRequired(_l("Vul een KvK-nummer in.")), Length(max=20)],
    )


class ConfirmForm(FlaskForm):
    """The confirmation step: the POST carries the CSRF token and `bevestigd=ja`."""


class RotationRow(Form):
    company = SelectField(_l("Bedrijf"), coerce=int, validators=[Optional()])
    weekdays = SelectMultipleField(
        _l("Dagen"), choices=choices(DAY_LABELS), widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(), validators=[Optional()],
    )  # fmt: skip
    period = StringField(_l("Periode (bijvoorbeeld september–december)"),
                         validators=[Optional(), Length(max=120)])  # fmt: skip


class RotationForm(FlaskForm):
    rows = FieldList(FormField(RotationRow), min_entries=service.MAX_ROTATION_ROWS,
                     max_entries=service.MAX_ROTATION_ROWS)  # fmt: skip


def _network_of_mine(network_id: int, *, member_only: bool = False) -> LeerbedrijfNetwork:
    """A network the current company is in or invited to; 404 for any other (its name and
    members are nobody else's business)."""
    network = db.get_or_404(LeerbedrijfNetwork, network_id)
    member = service.membership(network, current_user.company_id)
    if member is None or member.status == LEFT:
        abort(404)
    if member_only and member.status == INVITED:
        abort(403)
    return network


@bp.route("/netwerken", methods=["GET", "POST"])
@role_required(Role.COMPANY)
def networks():
    company = current_user.company
    form = NetworkForm(prefix="net")
    if form.validate_on_submit():
        try:
            network = service.create(company=company, name=form.name.data,
                                     opleidingsbedrijf=form.opleidingsbedrijf.data or "",
                                     by=current_user)  # fmt: skip
        except DomainError as error:
            form.name.errors = [*form.name.errors, error.message]
        else:
            flash(_("Het netwerk %(name)s is gemaakt. Nodig nu bedrijven uit.", name=network.name),
                  "success")  # fmt: skip
            return redirect(url_for("companies.network", network_id=network.id))
    return render_template(
        "companies/networks.html", rows=service.networks_of(company), form=form,
        partners=service.rotation_companies(company)[1:], INVITED=INVITED,
    ), 422 if form.errors else 200  # fmt: skip


@bp.route("/netwerken/<int:network_id>", methods=["GET", "POST"])
@role_required(Role.COMPANY)
def network(network_id: int):
    network = _network_of_mine(network_id)
    mine = service.membership(network, current_user.company_id)
    form = InviteForm(prefix="inv")
    if request.method == "POST":
        if mine.status == INVITED:
            abort(403)
        if form.validate_on_submit():
            try:
                member = service.invite(network=network, company=current_user.company,
                                        kvk_number=form.kvk_number.data, by=current_user)  # fmt: skip
            except DomainError as error:
                form.kvk_number.errors = [*form.kvk_number.errors, error.message]
            else:
                flash(_("%(name)s is uitgenodigd. Het bedrijf is lid zodra het de uitnodiging "
                        "accepteert.", name=member.company.name), "success")  # fmt: skip
                return redirect(url_for("companies.network", network_id=network.id))
    return render_template(
        "companies/network.html", network=network, mine=mine, form=form, INVITED=INVITED,
        LEFT=LEFT,
    ), 422 if form.errors else 200  # fmt: skip


@bp.route("/netwerken/<int:network_id>/accepteren", methods=["POST"])
@role_required(Role.COMPANY)
def accept_network(network_id: int):
    network = _network_of_mine(network_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.accept(network=network, company=current_user.company, by=current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Je bedrijf is nu lid van %(name)s.", name=network.name), "success")
    return redirect(url_for("companies.network", network_id=network_id))


@bp.route("/netwerken/<int:network_id>/verlaten", methods=["GET", "POST"])
@role_required(Role.COMPANY)
def leave_network(network_id: int):
    """GET: the confirmation page (with what stands in the way); POST with bevestigd=ja: leave."""
    network = _network_of_mine(network_id)
    mine = service.membership(network, current_user.company_id)
    form = ConfirmForm()
    if (
        request.method == "POST"
        and request.form.get("bevestigd") == "ja"
        and form.validate_on_submit()
    ):
        declined = mine.status == INVITED
        name = network.name
        try:
            service.leave(network=network, company=current_user.company, by=current_user)
        except DomainError as error:
            flash(error.message, "error")
            return redirect(url_for("companies.leave_network", network_id=network_id))
        flash(_("Je hebt de uitnodiging van %(name)s afgeslagen.", name=name) if declined
              else _("Je bedrijf is uit %(name)s gestapt.", name=name), "success")  # fmt: skip
        return redirect(url_for("companies.networks"))
    # Counting what stands in the way rolls back a trial leave: read the network afterwards.
    blocking = (
        service.leave_problems(network, current_user.company) if mine.status != INVITED else []
    )
    network = _network_of_mine(network_id)
    mine = service.membership(network, current_user.company_id)
    return render_template("companies/network_leave.html", network=network, mine=mine, form=form,
                           blocking=blocking, INVITED=INVITED)  # fmt: skip


@bp.route("/plekken/<int:placement_id>/rooster", methods=["GET", "POST"])
@role_required(Role.COMPANY)
def place_rotation(placement_id: int):
    """Where the learner of this place works on which days: its own firm and network partners."""
    placement = db.get_or_404(Placement, placement_id)
    ensure(placement.company_id == current_user.company_id)
    companies = service.rotation_companies(placement.company)
    form = RotationForm()
    company_choices = choices(
        [(0, _("– kies een bedrijf –"))] + [(c.id, c.name) for c in companies]
    )
    if request.method == "GET":
        for entry, row in zip(form.rows.entries, service.rotation(placement.id), strict=False):
            entry.form.company.data = row.company_id
            entry.form.weekdays.data = row.days
            entry.form.period.data = row.period
    for entry in form.rows.entries:
        entry.form.company.choices = company_choices
    status = 200
    if form.validate_on_submit():
        rows = [
            service.RotationInput(e.form.company.data or None,
                                  [d for d in (e.form.weekdays.data or []) if d in WEEKDAYS],
                                  e.form.period.data or "")
            for e in form.rows.entries
        ]  # fmt: skip
        try:
            service.set_rotation(placement=placement, rows=rows, by=current_user)
        except DomainError as error:
            flash(error.message, "error")
            status = 422
        else:
            flash(_("Het rooster is opgeslagen."), "success")
            return redirect(url_for("companies.placement", placement_id=placement.id))
    elif form.errors:
        status = 422
    return render_template("companies/place_rotation.html", placement=placement, form=form,
                           companies=companies), status  # fmt: skip


@bp.app_template_global()
def supervision_chain(placement, internship=None):
    """For templates of any blueprint (place page, company's place page, placement page)."""
    return service.chain(placement, internship)
