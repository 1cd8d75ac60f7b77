"""School contact persons for companies, "wie moet ik waarvoor hebben" (issue 18, item 6): the
coordinator manages them; a company sees the right one on its applicant page, its home page and
the placement page."""

from __future__ import annotations

from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import Application, AuditEvent, Qualification, SchoolContact
from stagematch.services import applications as application_service
from stagematch.services import school_contacts

URL = "/coordinator/contactpersonen"


def _q(crebo: str) -> Qualification:
    return db.session.scalar(select(Qualification).where(Qualification.crebo == crebo))


def _contact(school, name, *, sector="", qualification=None, **fields) -> SchoolContact:
    contact = SchoolContact(
        school=school, name=name, email=f"{name.split()[0].lower()}@school.nl", sector=sector,
        qualification=qualification, function=fields.pop("function", "bpv-coördinator"), **fields,
    )  # fmt: skip
    db.session.add(contact)
    db.session.flush()
    return contact


def _count() -> int:
    return db.session.scalar(select(func.count(SchoolContact.id)))


# --- the service ------------------------------------------------------------------------------


def test_contacts_for_picks_the_most_specific(app, make):
    school = make.school()
    kok = make.qualification()
    general = _contact(school, "Gerda Algemeen")
    assert school_contacts.contacts_for(school, kok) == [general]
    sector = _contact(school, "Sanne Sector", sector=kok.domain_name)
    _contact(
        school,
        "Otto Anders",
        sector="Zorg en welzijn" if kok.domain_name != "Zorg en welzijn" else "Bouw en infra",
    )
    assert school_contacts.contacts_for(school, kok) == [sector]
    specific = _contact(school, "Kees Kwalificatie", qualification=kok)
    assert school_contacts.contacts_for(school, kok) == [specific]
    # Another qualification of the same sector gets the sector's contact; none: the general one.
    other = db.session.scalar(
        select(Qualification).where(
            Qualification.domain_name == kok.domain_name, Qualification.id != kok.id
        )
    )
    assert school_contacts.contacts_for(school, other) == [sector]
    assert school_contacts.contacts_for(school, None) == [general]
    # Another school's contacts never count.
    deltion = make.school("Deltion College")
    assert school_contacts.contacts_for(deltion, kok) == []


# --- the coordinator's page -------------------------------------------------------------------


def test_coordinator_adds_edits_and_deletes_a_contact(client, make, auth):
    coordinator = make.coordinator()
    kok = make.qualification()
    auth.login(coordinator)
    page = client.get(URL)
    assert page.status_code == 200 and "Nog geen contactpersonen" in page.get_data(as_text=True)
    response = client.post(f"{URL}/nieuw", data={
        "name": "Petra de Vries", "function": "Praktijkbegeleider", "email": "p.devries@rocvantwente.nl",
        "phone": "074 852 00 00", "sector": "", "qualification": kok.label,
    })  # fmt: skip
    assert response.status_code == 302
    contact = db.session.scalar(select(SchoolContact))
    assert (contact.name, contact.qualification_id, contact.school_id) == (
        "Petra de Vries", kok.id, coordinator.school_id,
    )  # fmt: skip
    listing = client.get(URL).get_data(as_text=True)
    assert (
        "Petra de Vries" in listing
        and "p.devries@rocvantwente.nl" in listing
        and kok.name in listing
    )

    response = client.post(f"{URL}/{contact.id}", data={
        "name": "Petra de Vries", "function": "", "email": "petra@rocvantwente.nl", "phone": "",
        "sector": kok.domain_name, "qualification": "",
    })  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    contact = db.session.get(SchoolContact, contact.id)
    assert (contact.email, contact.sector, contact.qualification_id) == (
        "petra@rocvantwente.nl", kok.domain_name, None,
    )  # fmt: skip

    confirm = client.get(f"{URL}/{contact.id}/verwijderen")
    assert confirm.status_code == 200
    assert "Weet je zeker" in confirm.get_data(as_text=True) and _count() == 1
    assert client.post(f"{URL}/{contact.id}/verwijderen").status_code == 302
    assert _count() == 0
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"school_contact.create", "school_contact.update", "school_contact.delete"} <= actions


def test_bad_input_comes_back_with_the_input_and_a_dutch_message(client, make, auth):
    auth.login(make.coordinator())
    kok = make.qualification()
    response = client.post(f"{URL}/nieuw", data={
        "name": "", "function": "Coach", "email": "geen-adres", "phone": "bel me",
        "sector": "", "qualification": "Bestaat niet",
    })  # fmt: skip
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert (
        'value="Coach"' in html and 'value="geen-adres"' in html and 'value="Bestaat niet"' in html
    )
    assert "Vul een naam in." in html and "Vul een geldig e-mailadres in." in html
    assert "Deze opleiding kennen we niet" in html and "telefoonnummer" in html
    response = client.post(f"{URL}/nieuw", data={
        "name": "Twee Keuzes", "email": "t@school.nl", "sector": kok.domain_name, "qualification": kok.label,
    })  # fmt: skip
    assert response.status_code == 422
    assert "Kies een branche of een opleiding, niet allebei." in response.get_data(as_text=True)
    assert _count() == 0


def test_another_schools_contact_is_not_found(client, make, auth):
    contact = _contact(make.school("Deltion College"), "Dirk Deltion")
    db.session.commit()
    auth.login(make.coordinator())
    assert client.get(f"{URL}/{contact.id}").status_code == 404
    assert client.post(f"{URL}/{contact.id}/verwijderen").status_code == 404
    assert "Dirk Deltion" not in client.get(URL).get_data(as_text=True)
    assert _count() == 1


# --- what the company sees --------------------------------------------------------------------


def _applied(make):
    """A company with an applicant from ROC van Twente, whose school has a general and a
    qualification contact."""
    school = make.school()
    student = make.student(school=school)
    q = student.profile.qualification
    company = make.company(qualifications=[q])
    place = make.placement(company, make.meester(company, capacity=4), seats=2)
    application = Application(student=student.profile, placement=place, motivation="Graag.")
    db.session.add(application)
    _contact(school, "Gerda Algemeen")
    _contact(school, "Kees Kwalificatie", qualification=q, phone="053 123 45 67")
    db.session.commit()
    return company, application


def test_company_sees_the_school_contact_on_the_applicant_page(client, make, auth):
    company, application = _applied(make)
    auth.login(make.company_user(company))
    html = client.get(f"/leerbedrijf/sollicitaties/{application.id}").get_data(as_text=True)
    assert "Contact bij school" in html and "ROC van Twente" in html
    assert "Kees Kwalificatie" in html and "kees@school.nl" in html and "053 123 45 67" in html
    assert "Gerda Algemeen" not in html


def test_company_home_lists_the_contacts_of_its_applicants_schools(client, make, auth):
    company, _ = _applied(make)
    auth.login(make.company_user(company))
    html = client.get("/leerbedrijf/").get_data(as_text=True)
    assert "Contact bij school" in html and "Kees Kwalificatie" in html and "ROC van Twente" in html
    other = make.company()
    auth.logout()
    auth.login(make.company_user(other))
    assert "Kees Kwalificatie" not in client.get("/leerbedrijf/").get_data(as_text=True)


def test_placement_page_prefers_school_contacts_and_falls_back_to_coordinators(client, make, auth):
    company, application = _applied(make)
    coordinator = make.coordinator()
    db.session.commit()
    internship = application_service.accept(application.id)
    user = make.company_user(company)
    auth.login(user)
    html = client.get(f"/stage/{internship.id}").get_data(as_text=True)
    assert (
        "Kees Kwalificatie" in html
        and coordinator.name not in html.split("Contact bij school")[1][:400]
    )
    db.session.execute(SchoolContact.__table__.delete())
    db.session.commit()
    html = client.get(f"/stage/{internship.id}").get_data(as_text=True)
    assert coordinator.name in html.split("Contact bij school")[1][:400]


def test_demo_gives_every_school_contacts_for_companies(app):
    from stagematch.demo import generate
    from stagematch.models import School

    generate(students=60, companies=15, seed=18, history=False)
    schools = db.session.scalars(select(School)).all()
    for school in schools:
        general = school_contacts.contacts_for(school, None)
        assert general and all(c.email and c.phone for c in general), school.name
    # Every tier shows somewhere: a qualification contact, sector contacts and general ones.
    contacts = db.session.scalars(select(SchoolContact)).all()
    assert any(c.qualification_id for c in contacts)
    assert any(c.sector for c in contacts)
    assert len({c.email for c in contacts}) == len(contacts)
