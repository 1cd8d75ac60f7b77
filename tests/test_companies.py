"""Leerbedrijven: profile, accreditations, mentors, places under the hard rules, applicants."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import Application, Internship, Mentor, Placement, Qualification, User
from stagematch.models.enums import ApplicationStatus, MentorRole, PlacementStatus
from stagematch.services import DomainError
from stagematch.services import applications as application_service
from stagematch.services.placements import stale_reason
from stagematch.timeutil import today, utcnow
from tests.conftest import OK, REFUSED, run_together


def _place_form(company, meester, **overrides):
    q = company.accreditations[0].qualification
    data = {
        "title": "Leerling-kok", "leerweg": "BOL", "qualifications": str(q.id),
        "tasks": "Je leert de koude kant zelfstandig te draaien en helpt bij de mise-en-place.",
        "description": "", "town": "Enschede", "start_date": (today() + timedelta(days=40)).isoformat(),
        "duration_weeks": "20", "hours_per_week": "32", "days_per_week": "", "pay_per_month": "300",
        "wage_age": "0", "seats": "1", "meester": str(meester.id), "gezel": "0",
        "required_skills": "snijden, hygiëne", "languages": "Nederlands", "action": "publish",
    }  # fmt: skip
    data.update(overrides)
    return data


# --- profile and accreditations --------------------------------------------------------------


def test_company_edits_its_profile(client, company_user):
    company = company_user.company
    data = {"name": "Bakkerij De Korrel", "kvk_number": "87654321", "sbb_id": "100200300", "town": "almelo",
            "sector": company.sector, "size_band": "10-49", "description": "Ambachtelijke bakker."}  # fmt: skip
    response = client.post("/leerbedrijf/bedrijf", data=data)
    assert response.status_code == 302
    db.session.refresh(company)
    assert (company.name, company.kvk_number, company.city, company.size_band) == (
        "Bakkerij De Korrel",
        "87654321",
        "Almelo",
        "10-49",
    )


def test_profile_refuses_a_kvk_number_of_another_company_and_keeps_input(
    client, make, company_user
):
    other = make.company()
    db.session.commit()
    data = {"name": "Nieuwe naam", "kvk_number": other.kvk_number, "town": "Almelo",
            "sector": company_user.company.sector, "size_band": "1", "description": "Mijn tekst"}  # fmt: skip
    page = client.post("/leerbedrijf/bedrijf", data=data).get_data(as_text=True)
    assert "hoort al bij een ander leerbedrijf" in page
    assert 'value="Nieuwe naam"' in page and "Mijn tekst" in page
    db.session.refresh(company_user.company)
    assert company_user.company.name != "Nieuwe naam"


def test_accreditation_can_be_added_and_needs_a_known_crebo(client, company_user):
    kok = db.session.scalar(select(Qualification).where(Qualification.crebo == "25180"))
    ok = client.post(
        "/leerbedrijf/erkenningen",
        data={"acc-qualification": "25180", "acc-valid_from": "2024-01-01"},
    )
    assert ok.status_code == 302
    assert company_user.company.accredited_for(kok.id, today())
    bad = client.post(
        "/leerbedrijf/erkenningen",
        data={"acc-qualification": "Kokk", "acc-valid_from": "2024-01-01"},
    )
    assert bad.status_code == 422
    assert "Deze opleiding kennen we niet" in bad.get_data(as_text=True)


# --- mentors ---------------------------------------------------------------------------------


def _mentor_form(**overrides):
    data = {"role": "meester", "name": "Ans Meester", "function": "eigenaar", "email": "",
            "years_experience": "12", "trained": "y", "trained_on": "2021-05-01", "hours_per_week": "4",
            "capacity": "2", "meester_id": "0"}  # fmt: skip
    data.update(overrides)
    return data


def test_meester_and_gezel_chain(client, company_user):
    assert client.post("/leerbedrijf/begeleiders/nieuw", data=_mentor_form()).status_code == 302
    meester = db.session.scalar(select(Mentor).where(Mentor.role == MentorRole.MEESTER))
    assert meester.capacity == 2 and meester.trained
    # A gezel must name his meester.
    page = client.post(
        "/leerbedrijf/begeleiders/nieuw", data=_mentor_form(role="gezel", name="Piet Gezel")
    )
    assert "Kies de meester onder wie deze gezel werkt" in page.get_data(as_text=True)
    response = client.post("/leerbedrijf/begeleiders/nieuw",
                           data=_mentor_form(role="gezel", name="Piet Gezel", meester_id=str(meester.id)))  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(meester)
    assert [g.name for g in meester.gezellen] == ["Piet Gezel"]
    overview = client.get("/leerbedrijf/begeleiders").get_data(as_text=True)
    assert "gezellen: Piet Gezel" in overview and "0 bezig + 0 gereserveerd / 2" in overview


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("capacity", "0", "Tussen 1 en 20"), ("years_experience", "-3", "Tussen 0 en 60"),
     ("hours_per_week", "veel", "Vul een getal in"), ("name", "", "Vul dit in"),
     ("trained_on", "2999-01-01", "in de toekomst")],
)  # fmt: skip
def test_bad_mentor_input_is_refused_in_dutch(client, company_user, field, value, message):
    page = client.post("/leerbedrijf/begeleiders/nieuw", data=_mentor_form(**{field: value}))
    assert message in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Mentor.id))) == 0


# --- places ----------------------------------------------------------------------------------


def test_company_publishes_a_place(client, make, company_user):
    meester = make.meester(company_user.company)
    db.session.commit()
    response = client.post(
        "/leerbedrijf/plekken/nieuw", data=_place_form(company_user.company, meester)
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    place = db.session.scalar(select(Placement))
    assert (
        place.status == PlacementStatus.OPEN
        and place.published_at
        and place.meester_id == meester.id
    )
    assert stale_reason(place) is None


def test_place_for_an_unaccredited_crebo_is_refused_with_the_reason(client, make, company_user):
    meester = make.meester(company_user.company)
    other = db.session.scalar(
        select(Qualification).where(Qualification.crebo == "25491")
    )  # Verzorgende IG
    db.session.commit()
    data = _place_form(company_user.company, meester, qualifications=str(other.id))
    page = client.post("/leerbedrijf/plekken/nieuw", data=data).get_data(as_text=True)
    # The form only offers accredited crebos, so the choice itself is refused.
    assert "Not a valid choice" not in page
    assert "geen erkenning voor deze opleiding" in page
    assert db.session.scalar(select(func.count(Placement.id))) == 0


def test_expired_accreditation_stops_publishing_with_a_precise_message(client, make, company_user):
    company = company_user.company
    meester = make.meester(company)
    place = make.placement(company, meester, status=PlacementStatus.DRAFT)
    company.accreditations[0].valid_to = today() - timedelta(days=1)
    company.accreditations[0].valid_from = today() - timedelta(days=400)
    db.session.commit()
    client.post(f"/leerbedrijf/plekken/{place.id}/publiceren")
    page = client.get(f"/leerbedrijf/plekken/{place.id}").get_data(as_text=True)
    assert "geen geldige erkenning voor" in page and place.qualifications[0].crebo in page
    db.session.refresh(place)
    assert place.status == PlacementStatus.DRAFT


def test_more_seats_than_the_meester_has_free_is_refused(client, make, company_user):
    company = company_user.company
    meester = make.meester(company, capacity=2)
    make.placement(company, meester, seats=1)  # already reserves one
    db.session.commit()
    data = _place_form(company, meester, seats="2", title="Tweede plek")
    response = client.post("/leerbedrijf/plekken/nieuw", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "kan nog 1 leerling begeleiden" in page
    assert "Voeg een meester toe" in page or "voeg een meester toe" in page
    assert 'value="Tweede plek"' in page  # the input is kept
    assert db.session.scalar(select(func.count(Placement.id))) == 1


def test_bbl_wage_below_the_youth_minimum_is_refused(client, make, company_user):
    meester = make.meester(company_user.company)
    db.session.commit()
    data = _place_form(company_user.company, meester, leerweg="BBL", days_per_week="4", hours_per_week="32",
                       wage_age="18", pay_per_month="400")  # fmt: skip
    page = client.post("/leerbedrijf/plekken/nieuw", data=data).get_data(as_text=True)
    assert "lager dan het wettelijk minimumloon voor 18-jarigen" in page
    assert 'value="400"' in page
    ok = client.post("/leerbedrijf/plekken/nieuw", data={**data, "pay_per_month": "2500"})
    assert ok.status_code == 302


def test_bbl_needs_days_and_wage_age(client, make, company_user):
    meester = make.meester(company_user.company)
    db.session.commit()
    data = _place_form(company_user.company, meester, leerweg="BBL", pay_per_month="2500")
    page = client.post("/leerbedrijf/plekken/nieuw", data=data).get_data(as_text=True)
    assert "hoeveel dagen per week" in page and "voor welke leeftijd" in page


def test_stale_places_are_hidden_until_confirmed(client, make, company_user):
    company = company_user.company
    place = make.placement(company, make.meester(company))
    place.confirmed_at = utcnow() - timedelta(days=61)
    db.session.commit()
    assert "60 dagen" in stale_reason(place)
    assert client.post(f"/leerbedrijf/plekken/{place.id}/bevestigen").status_code == 302
    db.session.refresh(place)
    assert stale_reason(place) is None
    place.start_date = today() - timedelta(days=1)
    assert "startdatum" in stale_reason(place)


def test_duplicate_and_close(client, make, company_user):
    company = company_user.company
    place = make.placement(company, make.meester(company, capacity=3))
    db.session.commit()
    response = client.post(f"/leerbedrijf/plekken/{place.id}/kopieren")
    copy = db.session.scalar(select(Placement).where(Placement.id != place.id))
    assert copy.status == PlacementStatus.DRAFT and copy.title.endswith("(kopie)")
    assert [q.id for q in copy.qualifications] == [q.id for q in place.qualifications]
    assert response.headers["Location"].endswith(f"/plekken/{copy.id}/bewerken")
    client.post(f"/leerbedrijf/plekken/{place.id}/sluiten")
    db.session.refresh(place)
    assert place.status == PlacementStatus.CLOSED


# --- applicants ------------------------------------------------------------------------------


def _application(make, place, **student_fields):
    student = make.student(**student_fields)
    application = Application(student=student.profile, placement=place, motivation="Ik wil koken.")
    db.session.add(application)
    db.session.commit()
    return application


def test_anonymous_applicant_is_hidden_until_shortlisted(client, make, company_user, outbox):
    company = company_user.company
    place = make.placement(company, make.meester(company))
    from datetime import date

    application = _application(make, place, birth_date=date(2008, 3, 3))
    student = application.student.user
    student.name = "Fatima Yilmaz"
    db.session.commit()
    page = client.get(f"/leerbedrijf/sollicitaties/{application.id}").get_data(as_text=True)
    for secret in ("Fatima", "Yilmaz", student.email, "Hengelo", "jaar,"):
        assert secret not in page
    assert "Ik wil koken." in page and "solliciteert anoniem" in page
    overview = client.get("/leerbedrijf/sollicitaties").get_data(as_text=True)
    assert "Fatima" not in overview
    export = client.get("/leerbedrijf/sollicitaties/export.csv").get_data(as_text=True)
    assert "Fatima" not in export and student.email not in export

    client.post(f"/leerbedrijf/sollicitaties/{application.id}/uitnodigen")
    page = client.get(f"/leerbedrijf/sollicitaties/{application.id}").get_data(as_text=True)
    assert "Fatima Yilmaz" in page and student.email in page
    [message] = outbox()
    assert message["To"] == student.email and "uitgenodigd" in message["Subject"]


def test_reject_needs_a_reason_and_is_audited(client, make, company_user, outbox):
    from stagematch.models import AuditEvent

    company = company_user.company
    application = _application(make, make.placement(company, make.meester(company)))
    client.post(f"/leerbedrijf/sollicitaties/{application.id}/afwijzen", data={"reason": ""})
    db.session.refresh(application)
    assert application.status == ApplicationStatus.SUBMITTED
    client.post(
        f"/leerbedrijf/sollicitaties/{application.id}/afwijzen",
        data={"reason": "skills", "note": "Nog te weinig ervaring"},
    )
    db.session.refresh(application)
    assert (
        application.status == ApplicationStatus.REJECTED
        and application.rejection_note == "Nog te weinig ervaring"
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "application.reject"))
    assert event.object_id == application.id and "skills" in event.detail
    assert "afgewezen" in outbox()[0]["Subject"]


def _respond_by(days: int = 7) -> str:
    return (today() + timedelta(days=days)).isoformat()


def test_an_offer_then_the_students_yes_creates_the_internship(
    client, auth, make, company_user, outbox
):
    """No instant hire: the company offers (within the seats), the student accepts, then the
    internship exists; an offer beyond the free seats is refused with the reason."""
    company = company_user.company
    meester = make.meester(company, capacity=2)
    place = make.placement(company, meester, seats=2)
    applications = [_application(make, place) for _ in range(3)]
    assert (
        client.post(f"/leerbedrijf/sollicitaties/{applications[0].id}/aannemen").status_code == 404
    )
    page = client.get(f"/leerbedrijf/sollicitaties/{applications[0].id}").text
    assert "Aanbod doen" in page and _respond_by() in page  # 7 days is the default
    for a in applications[:2]:
        response = client.post(
            f"/leerbedrijf/sollicitaties/{a.id}/aanbod", data={"respond_by": _respond_by()}
        )
        assert response.status_code == 302
    page = client.post(f"/leerbedrijf/sollicitaties/{applications[2].id}/aanbod",
                       data={"respond_by": _respond_by()}, follow_redirects=True).text  # fmt: skip
    assert "geen plaats vrij" in page
    db.session.expire_all()
    assert [a.status for a in applications] == ["offered", "offered", "submitted"]
    assert db.session.scalar(select(func.count(Internship.id))) == 0
    mail = [m for m in outbox() if applications[0].student.user.email in m["To"]][0]
    assert (
        "aanbod" in mail["Subject"] and "/student/sollicitaties#sollicitatie-" in mail.get_content()
    )

    auth.logout()
    auth.login(applications[0].student.user)
    page = client.get("/student/sollicitaties").text
    assert "biedt je deze plek aan" in page and "Reageer uiterlijk op" in page
    response = client.post(f"/student/sollicitaties/{applications[0].id}/aanbod-aannemen")
    assert response.status_code == 302
    internship = db.session.scalar(select(Internship))
    assert (
        internship.meester_id == meester.id
        and internship.school_id == applications[0].student.school_id
    )
    assert any(company_user.email in m["To"] and "aangenomen" in m["Subject"] for m in outbox())


@pytest.mark.parametrize("days", [0, 31])
def test_respond_by_must_be_one_to_thirty_days_ahead(client, make, company_user, days):
    company = company_user.company
    application = _application(make, make.placement(company, make.meester(company)))
    page = client.post(f"/leerbedrijf/sollicitaties/{application.id}/aanbod",
                       data={"respond_by": _respond_by(days)}, follow_redirects=True).text  # fmt: skip
    assert "1 tot 30 dagen" in page
    db.session.refresh(application)
    assert application.status == ApplicationStatus.SUBMITTED
    with pytest.raises(DomainError, match="Kies een datum"):
        application_service.make_offer(application.id, respond_by=today() + timedelta(days=days))


def test_shortlisting_or_offering_a_pair_the_rules_forbid_is_refused_with_the_reasons(
    client, make, company_user
):
    """The reported case: a Kok (25180) student on a Samenbouwer vliegtuigbouw place, at a
    company accredited for neither."""
    company = company_user.company
    kok = make.qualification("25180")
    plane = make.qualification("25319")  # Samenbouwer vliegtuigbouw
    place = make.placement(company, make.meester(company), qualification=plane, level=plane.level)
    application = _application(make, place, qualification=kok)
    page = client.get(f"/leerbedrijf/sollicitaties/{application.id}").text
    assert "Dit mag nu niet volgens de regels" in page and "andere opleiding" in page
    page = client.post(
        f"/leerbedrijf/sollicitaties/{application.id}/uitnodigen", follow_redirects=True
    ).text
    assert "Dit mag niet volgens de regels" in page and "andere opleiding" in page
    page = client.post(f"/leerbedrijf/sollicitaties/{application.id}/aanbod",
                       data={"respond_by": _respond_by()}, follow_redirects=True).text  # fmt: skip
    assert "andere opleiding" in page
    db.session.refresh(application)
    assert application.status == ApplicationStatus.SUBMITTED
    # Rejecting such a pair is what the company should do, and it can.
    application_service.reject(application, reason="qualification")
    assert application.status == ApplicationStatus.REJECTED


def test_accepting_withdraws_only_the_applications_the_student_ticked(make, company_user, outbox):
    company = company_user.company
    place_a = make.placement(company, make.meester(company))
    place_b = make.placement(company, make.meester(company, name="Tweede"))
    place_c = make.placement(company, make.meester(company, name="Derde"))
    other = make.company()
    place_d = make.placement(other, make.meester(other, name="Vierde"))
    other_user = make.company_user(other)
    first = _application(make, place_a)
    student = first.student
    keep, withdraw, offered = (
        Application(student=student, placement=p) for p in (place_b, place_c, place_d)
    )
    db.session.add_all([keep, withdraw, offered])
    db.session.commit()
    application_service.make_offer(first.id, respond_by=today() + timedelta(days=7))
    application_service.make_offer(offered.id, respond_by=today() + timedelta(days=7))
    internship = application_service.accept_offer(first.id, withdraw_ids=[withdraw.id, offered.id])
    assert internship.student_id == student.id
    for a in (keep, withdraw, offered):
        db.session.refresh(a)
    assert (keep.status, withdraw.status, offered.status) == ("submitted", "withdrawn", "declined")
    assert any(other_user.email in m["To"] and "afgeslagen" in m["Subject"] for m in outbox())
    # The student has a place now: no second offer, no second internship.
    with pytest.raises(DomainError, match="al een stageplek"):
        application_service.make_offer(keep.id, respond_by=today() + timedelta(days=7))


def test_ending_an_internship_frees_the_capacity(make, company_user):
    company = company_user.company
    meester = make.meester(company, capacity=1)
    place = make.placement(company, meester, seats=1, start_date=today() + timedelta(days=60))
    first, second = _application(make, place), _application(make, place)
    internship = application_service.accept(first.id)
    with pytest.raises(DomainError):
        application_service.accept(second.id)
    application_service.end_internship(internship, outcome="dropped_out", terminated=True)
    db.session.refresh(place)
    assert place.status == PlacementStatus.OPEN
    assert application_service.accept(second.id).status == "active"


def test_fifty_concurrent_accepts_for_two_seats_make_exactly_two_internships(app, make):
    company = make.company()
    meester = make.meester(company, capacity=5)
    place = make.placement(company, meester, seats=2)
    ids = [_application(make, place).id for _ in range(50)]
    outcomes = run_together(app, [lambda i=i: application_service.accept(i) for i in ids])
    assert outcomes.count(OK) == 2
    assert outcomes.count(REFUSED) == 48
    assert db.session.scalar(select(func.count(Internship.id))) == 2
    db.session.refresh(place)
    assert place.status == PlacementStatus.FILLED


# --- isolation -------------------------------------------------------------------------------


def test_a_company_cannot_touch_another_companys_things(client, make, company_user):
    other = make.company()
    meester = make.meester(other)
    place = make.placement(other, meester)
    application = _application(make, place)
    db.session.commit()
    for url in (f"/leerbedrijf/plekken/{place.id}", f"/leerbedrijf/plekken/{place.id}/bewerken",
                f"/leerbedrijf/begeleiders/{meester.id}", f"/leerbedrijf/sollicitaties/{application.id}"):  # fmt: skip
        assert client.get(url).status_code == 403, url
    for url in (f"/leerbedrijf/plekken/{place.id}/sluiten", f"/leerbedrijf/plekken/{place.id}/kopieren",
                f"/leerbedrijf/begeleiders/{meester.id}/actief",
                f"/leerbedrijf/sollicitaties/{application.id}/aanbod",
                f"/leerbedrijf/erkenningen/{other.accreditations[0].id}/verwijderen"):  # fmt: skip
        assert client.post(url).status_code == 403, url
    assert (
        "Bedrijf"
        not in client.get("/leerbedrijf/plekken/export.csv")
        .get_data(as_text=True)
        .split("\n", 1)[1]
    )
    db.session.refresh(place)
    assert place.status == PlacementStatus.OPEN


# --- CSV import and export -------------------------------------------------------------------


def test_import_reports_per_row_and_writes_all_or_nothing(client, make, company_user):
    company = company_user.company
    make.meester(company, name="Ans Meester", capacity=5)
    crebo = company.accreditations[0].qualification.crebo
    db.session.commit()
    start = (today() + timedelta(days=30)).isoformat()
    header = "titel;leerweg;crebo;plaats;startdatum;weken;uren_per_week;vergoeding;plaatsen;meester;taken;publiceren"
    rows = [
        f"Goede plek;BOL;{crebo};Enschede;{start};20;32;250;1;Ans Meester;Je leert het vak van begin tot eind.;ja",
        f"Onbekende plaats;BOL;{crebo};Enschde;{start};20;32;250;1;Ans Meester;Je leert het vak van begin tot eind.;ja",
        f"Foute crebo;BOL;99999;Enschede;{start};20;32;250;1;Ans Meester;Je leert het vak van begin tot eind.;ja",
        f"Geen meester;BOL;{crebo};Enschede;{start};20;32;250;1;Jan Niemand;Je leert het vak van begin tot eind.;ja",
        f"Te veel plaatsen;BOL;{crebo};Enschede;{start};20;32;250;9;Ans Meester;Je leert het vak van begin tot eind.;ja",
        f"Concept;BOL;{crebo};Hengelo;{start};20;32;0;1;Ans Meester;Je leert het vak van begin tot eind.;nee",
    ]
    content = ("\n".join([header, *rows]) + "\n").encode()
    import io

    response = client.post("/leerbedrijf/plekken/importeren", data={"file": (io.BytesIO(content), "plekken.csv")},
                           content_type="multipart/form-data", follow_redirects=True)  # fmt: skip
    page = response.get_data(as_text=True)
    # All or nothing: four bad rows, so not even the good ones are written.
    assert "Er is niets opgeslagen: 4 regels hebben een fout" in page
    assert "Bedoel je Enschede" in page
    assert "crebo 99999 bestaat niet" in page
    assert "meester 'Jan Niemand' niet gevonden" in page
    assert "kan nog" in page  # capacity message for the row with 9 seats
    assert db.session.scalars(select(Placement.title)).all() == []
    good = ("\n".join([header, rows[0], rows[-1]]) + "\n").encode()
    response = client.post("/leerbedrijf/plekken/importeren", data={"file": (io.BytesIO(good), "plekken.csv")},
                           content_type="multipart/form-data", follow_redirects=True)  # fmt: skip
    assert "<strong>2</strong> plekken opgeslagen" in response.get_data(as_text=True)
    statuses = dict(db.session.execute(select(Placement.title, Placement.status)).all())
    assert statuses == {"Goede plek": "open", "Concept": "draft"}


def test_import_with_missing_columns_says_which(client, company_user):
    import io

    response = client.post("/leerbedrijf/plekken/importeren", data={"file": (io.BytesIO(b"titel,leerweg\nA,BOL\n"), "x.csv")},
                           content_type="multipart/form-data")  # fmt: skip
    assert "ontbreken" in response.get_data(as_text=True) and "crebo" in response.get_data(
        as_text=True
    )


def test_export_neutralises_spreadsheet_formulas(client, make, company_user):
    company = company_user.company
    make.placement(company, make.meester(company), title='=HYPERLINK("http://x")')
    db.session.commit()
    text = client.get("/leerbedrijf/plekken/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text


def test_accept_and_withdraw_at_the_same_moment_never_lose_an_update(app, make):
    """Twenty applications, each accepted by the company while the student withdraws it: every one
    ends either accepted with an internship, or withdrawn without one."""
    company = make.company()
    meester = make.meester(company, capacity=20)
    place = make.placement(company, meester, seats=20)
    ids = [_application(make, place).id for _ in range(20)]
    barrier = threading.Barrier(2 * len(ids))

    def act(application_id: int, action: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                if action == "accept":
                    application_service.accept(application_id)
                else:
                    application_service.withdraw(db.session.get(Application, application_id))
            except DomainError:
                pass
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=act, args=(i, a)) for i in ids for a in ("accept", "withdraw")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    for application_id in ids:
        application = db.session.get(Application, application_id)
        has_internship = db.session.scalar(
            select(Internship.id).where(Internship.application_id == application_id)
        )
        assert application.status in (ApplicationStatus.ACCEPTED, ApplicationStatus.WITHDRAWN)
        assert (application.status == ApplicationStatus.ACCEPTED) == (has_internship is not None)


def test_suggested_students_are_opted_in_ranked_and_anonymous(client, make, company_user, outbox):
    company = company_user.company
    place = make.placement(company, make.meester(company, capacity=3))
    found = make.student(name="Vindbare Student", discoverable=True, skills="Meewerken")
    make.student(name="Verborgen Student", discoverable=False, skills="Meewerken")
    db.session.commit()
    page = client.get(f"/leerbedrijf/plekken/{place.id}").get_data(as_text=True)
    assert "Voorgestelde studenten" in page and "match" in page
    assert "Vindbare" not in page and "Verborgen" not in page
    assert page.count("Uitnodigen om te solliciteren") == 1
    client.post(f"/leerbedrijf/plekken/{place.id}/uitnodigen/{found.profile.id}")
    [message] = outbox()
    assert message["To"] == found.email and place.title in message.get_content()
    client.post(f"/leerbedrijf/plekken/{place.id}/uitnodigen/{found.profile.id}")
    assert len(outbox()) == 1  # one invitation per student and place
    hidden = db.session.scalar(select(User.id).where(User.name == "Verborgen Student"))
    from stagematch.models import StudentProfile

    hidden_profile = db.session.scalar(
        select(StudentProfile.id).where(StudentProfile.user_id == hidden)
    )
    assert (
        client.post(f"/leerbedrijf/plekken/{place.id}/uitnodigen/{hidden_profile}").status_code
        == 404
    )


# --- how to reach the meester and gezel (mentor contacts) ----------------------------------------


def test_a_mentor_has_an_optional_checked_phone_number(client, company_user):
    refused = client.post("/leerbedrijf/begeleiders/nieuw", data=_mentor_form(phone="bel me"))
    assert refused.status_code == 422 and "alleen cijfers" in refused.text
    assert 'value="bel me"' in refused.text  # the input comes back
    assert db.session.scalar(select(func.count(Mentor.id))) == 0
    response = client.post(
        "/leerbedrijf/begeleiders/nieuw", data=_mentor_form(phone=" 06-12 34 56 78 ")
    )
    assert response.status_code == 302
    meester = db.session.scalar(select(Mentor))
    assert meester.phone == "06-12 34 56 78"
    assert "06-12 34 56 78" in client.get(f"/leerbedrijf/begeleiders/{meester.id}").text
    assert client.post("/leerbedrijf/begeleiders/nieuw", data=_mentor_form(
        name="Zonder Nummer")).status_code == 302  # fmt: skip
    assert db.session.scalar(select(Mentor).where(Mentor.name == "Zonder Nummer")).phone == ""


def test_a_running_placement_shows_how_to_reach_the_meester_and_gezel(client, make, auth):
    """Audit 17: "Je meester: Fay de Heer" and no way to reach her."""
    from tests.test_hours import _sign

    company = make.company()
    meester = make.meester(company, name="Fay de Heer", capacity=2)
    meester.email, meester.phone = "fay@smederij.nl", "053-123 45 67"
    gezel = Mentor(company=company, role=MentorRole.GEZEL, name="Piet Gezel", meester=meester,
                   phone="06 98 76 54 32")  # fmt: skip
    db.session.add(gezel)
    place = make.placement(company, meester, gezel=gezel)
    student = make.student()
    coordinator = make.coordinator(student.school)
    internship = make.internship(student, place, start_date=today() - timedelta(weeks=2),
                                 end_date=today() + timedelta(weeks=18))  # fmt: skip
    _sign(internship)
    for user in (student, coordinator):
        auth.logout()
        auth.login(user)
        page = client.get(f"/stage/{internship.id}")
        assert page.status_code == 200
        assert 'href="mailto:fay@smederij.nl"' in page.text
        assert 'href="tel:0531234567"' in page.text and "053-123 45 67" in page.text
        assert 'href="tel:0698765432"' in page.text
    auth.logout()
    auth.login(student)
    home = client.get(
        "/student/"
    ).text  # the home page's placement block: the same ways to reach her
    assert 'href="mailto:fay@smederij.nl"' in home and 'href="tel:0531234567"' in home
