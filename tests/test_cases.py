"""A coordinator's case (one flag handled step by step) and the coordinator's long lists: search,
filters, pagination and export of the filtered set; hostile query values never give a 500."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import (
    Application,
    AuditEvent,
    DiscriminationReport,
    Flag,
    FlagAction,
    Notification,
    Qualification,
    School,
)
from stagematch.services import applications as application_service
from stagematch.services.flags import refresh_flags
from stagematch.timeutil import today, utcnow

REPORT_TEXT = "Bij het gesprek vroeg de eigenaar waar mijn ouders vandaan komen."


@pytest.fixture
def deltion():
    return db.session.scalar(select(School).where(School.name == "Deltion College"))


def _applied(make, *, student=None, company=None, title="Stage"):
    company = company or make.company(name="Garage Noord")
    place = make.placement(company, make.meester(company, capacity=5), title=title, seats=3)
    student = student or make.student(name="Liza de Strigter")
    application = Application(student=student.profile, placement=place)
    db.session.add(application)
    db.session.commit()
    return application


def _report(make, *, text=REPORT_TEXT, **kwargs):
    """A report as the student makes it (its flag is raised at once)."""
    from stagematch.services.students import report_discrimination

    application = _applied(make, **kwargs)
    report = report_discrimination(application, text)
    flag = db.session.scalar(select(Flag).where(Flag.report_id == report.id))
    return report, flag


def _csv(response) -> list[list[str]]:
    return list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )


# --- the case ----------------------------------------------------------------------------------


def test_a_report_becomes_a_case_with_its_text_company_student_and_other_reports(
    client, auth, make, deltion
):
    company = make.company(name="Garage Noord", town="Zwolle")
    earlier, _ = _report(make, company=company, text="Eerder: ik kreeg geen antwoord na mijn naam.")
    report, flag = _report(make, company=company, student=make.student(name="Ayse Yilmaz"))
    # The same company at another school: counted, never shown.
    _report(make, company=company, student=make.student(school=deltion), text="Geheim van Deltion.")
    coordinator = make.coordinator()
    auth.login(coordinator)

    assert flag is not None and flag.report_id == report.id
    flags_page = client.get("/coordinator/signalen").get_data(as_text=True)
    assert f"/coordinator/signalen/{flag.id}" in flags_page  # the list leads to the case
    page = client.get(f"/coordinator/signalen/{flag.id}").get_data(as_text=True)
    assert REPORT_TEXT in page
    assert "Garage Noord" in page and "/coordinator/bedrijven?q=Garage+Noord" in page
    assert "Ayse Yilmaz" in page and f"/coordinator/studenten/{report.student_id}" in page
    assert "Eerder: ik kreeg geen antwoord" in page
    earlier_flag = db.session.scalar(select(Flag).where(Flag.report_id == earlier.id))
    assert f"/coordinator/signalen/{earlier_flag.id}" in page
    assert "Bij andere scholen: 1 melding over dit bedrijf." in page
    assert "Geheim van Deltion" not in page
    # The coordinator's page about the student lists the report and leads to the case.
    student_page = client.get(f"/coordinator/studenten/{report.student_id}").get_data(as_text=True)
    assert REPORT_TEXT[:60] in student_page and f"/coordinator/signalen/{flag.id}" in student_page


def test_an_older_flag_finds_its_report_by_the_subject_key(client, auth, make):
    application = _applied(make)
    report = DiscriminationReport(application_id=application.id, company_id=application.placement.company_id,
                                  school_id=application.student.school_id, student_id=application.student_id,
                                  description=REPORT_TEXT)  # fmt: skip
    db.session.add(report)
    db.session.flush()
    flag = Flag(school_id=report.school_id, kind="discrimination", subject_key=f"report:{report.id}",
                message="Een student meldt mogelijke discriminatie.", company_id=report.company_id)  # fmt: skip
    db.session.add(flag)
    db.session.commit()
    auth.login(make.coordinator())
    assert REPORT_TEXT in client.get(f"/coordinator/signalen/{flag.id}").get_data(as_text=True)
    refresh_flags(db.session.get(School, flag.school_id))
    db.session.refresh(flag)
    assert flag.report_id == report.id
    # A subject key naming another school's report shows no report.
    other = Flag(school_id=report.school_id, kind="discrimination", subject_key="report:999999",
                 message="x")  # fmt: skip
    db.session.add(other)
    db.session.commit()
    assert client.get(f"/coordinator/signalen/{other.id}").status_code == 200


def test_coordinator_takes_over_sets_priority_writes_to_the_student_and_resolves(
    client, auth, make, outbox
):
    report, flag = _report(make)
    student_user = db.session.get(Application, report.application_id).student.user
    coordinator = make.coordinator()
    colleague = make.coordinator()
    auth.login(coordinator)
    url = f"/coordinator/signalen/{flag.id}"

    assert client.post(f"{url}/neem-over").status_code == 302
    assert client.post(f"{url}/prioriteit", data={"priority": "high"}).status_code == 302
    assert (
        client.post(
            f"{url}/notitie", data={"text": "Bedrijf gebeld, terugbelafspraak."}
        ).status_code
        == 302
    )
    answer = "We hebben het bedrijf gesproken. Je hoeft daar niet meer heen."
    assert client.post(f"{url}/bericht", data={"message": answer}).status_code == 302
    assert client.post(f"{url}/eigenaar", data={"owner": colleague.id}).status_code == 302
    assert (
        client.post(f"{url}/sluiten", data={"note": "Gesprek gevoerd, SBB ingelicht."}).status_code
        == 302
    )

    db.session.expire_all()
    flag = db.session.get(Flag, flag.id)
    assert (
        flag.owner_id == colleague.id and flag.priority == "high" and flag.resolved_at is not None
    )
    assert db.session.get(DiscriminationReport, report.id).handled_at is not None
    actions = db.session.scalars(select(FlagAction).where(FlagAction.flag_id == flag.id)
                                 .order_by(FlagAction.id)).all()  # fmt: skip
    assert [a.kind for a in actions] == [
        "owner",
        "priority",
        "note",
        "message",
        "owner",
        "resolved",
    ]
    assert all(a.actor_id == coordinator.id and a.created_at for a in actions)
    assert [a.to_student for a in actions] == [False, False, False, True, False, False]
    audited = set(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == flag.id))
    )
    assert {"flag.owner", "flag.priority", "flag.note", "flag.message", "flag.resolve"} <= audited

    page = client.get(url).get_data(as_text=True)
    for text in ("Bedrijf gebeld, terugbelafspraak.", answer, "Gesprek gevoerd, SBB ingelicht.",
                 colleague.name, "hoog", "Afgehandeld"):  # fmt: skip
        assert text in page, text

    # The student is told once (a notification with a link to the answer) and reads it there.
    notification = db.session.scalar(select(Notification).where(Notification.kind == "case_answer"))
    assert notification.user_id == student_user.id
    assert notification.url == f"/student/sollicitaties#sollicitatie-{report.application_id}"
    assert [m["To"] for m in outbox()] == [student_user.email]
    auth.logout()
    auth.login(student_user)
    applications = client.get("/student/sollicitaties").get_data(as_text=True)
    assert answer in applications and REPORT_TEXT in applications and "afgehandeld" in applications
    # The internal note and the resolution note stay with the coordinators.
    assert "terugbelafspraak" not in applications and "SBB ingelicht" not in applications


def test_another_student_never_sees_the_answer(client, auth, make):
    report, flag = _report(make)
    coordinator = make.coordinator()
    auth.login(coordinator)
    client.post(f"/coordinator/signalen/{flag.id}/bericht", data={"message": "Alleen voor Liza."})
    other = make.student()
    db.session.add(
        Application(
            student=other.profile,
            placement=db.session.get(Application, report.application_id).placement,
        )
    )
    db.session.commit()
    auth.logout()
    auth.login(other)
    page = client.get("/student/sollicitaties").get_data(as_text=True)
    assert "Alleen voor Liza." not in page and REPORT_TEXT not in page


def test_reopening_a_case_opens_the_report_again(client, auth, make):
    report, flag = _report(make)
    auth.login(make.coordinator())
    url = f"/coordinator/signalen/{flag.id}"
    client.post(f"{url}/sluiten", data={"note": "Afgehandeld."})
    assert (
        client.post(
            f"{url}/heropenen", data={"reason": "De student meldt zich opnieuw."}
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Flag, flag.id).resolved_at is None
    assert db.session.get(DiscriminationReport, report.id).handled_at is None
    kinds = db.session.scalars(select(FlagAction.kind).where(FlagAction.flag_id == flag.id)
                               .order_by(FlagAction.id)).all()  # fmt: skip
    assert kinds == ["resolved", "reopened"]
    # Reopening an open case changes nothing.
    assert client.post(f"{url}/heropenen").status_code == 302
    assert db.session.scalar(select(func.count(FlagAction.id))) == 2


def test_bad_input_shows_the_form_again_with_the_text_and_a_dutch_message(
    client, auth, make, deltion
):
    _, flag = _report(make)
    coordinator = make.coordinator()
    stranger = make.coordinator(deltion)
    auth.login(coordinator)
    url = f"/coordinator/signalen/{flag.id}"
    response = client.post(f"{url}/bericht", data={"message": "ok"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Schrijf tussen 3 en 2000 tekens." in page or "minstens 3 tekens" in page
    assert "ok</textarea>" in page
    assert client.post(f"{url}/notitie", data={"text": "   "}).status_code == 422
    assert client.post(f"{url}/sluiten", data={"note": ""}).status_code == 422
    # Only coordinators of the school can own a case; not a choice → the form again.
    response = client.post(f"{url}/eigenaar", data={"owner": stranger.id})
    assert response.status_code == 422 and "Kies een van de mogelijkheden" in response.get_data(
        as_text=True
    )
    for value in ("urgent", "", "٣", "x" * 5000):
        assert client.post(f"{url}/prioriteit", data={"priority": value}).status_code == 422
    assert client.post(f"{url}/eigenaar", data={"owner": "٣"}).status_code == 422
    assert client.post(f"{url}/eigenaar", data={"owner": "99999999999999999999"}).status_code == 422
    db.session.expire_all()
    flag = db.session.get(Flag, flag.id)
    assert flag.owner_id is None and flag.priority == "normal" and flag.resolved_at is None
    assert db.session.scalar(select(func.count(FlagAction.id))) == 0


def test_a_flag_without_a_report_has_no_message_to_a_student(client, auth, make):
    coordinator = make.coordinator()
    company = make.company()
    flag = Flag(school_id=coordinator.school_id, kind="accreditation", subject_key="x", company_id=company.id,
                message="De erkenning is verlopen.")  # fmt: skip
    db.session.add(flag)
    db.session.commit()
    auth.login(coordinator)
    page = client.get(f"/coordinator/signalen/{flag.id}").get_data(as_text=True)
    assert "De erkenning is verlopen." in page and "Bericht versturen" not in page
    response = client.post(
        f"/coordinator/signalen/{flag.id}/bericht", data={"message": "Hallo student"}
    )
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(FlagAction.id))) == 0


CASE_POSTS = {
    "neem-over": {}, "prioriteit": {"priority": "high"}, "notitie": {"text": "Niet van mij."},
    "bericht": {"message": "Niet van mij."}, "eigenaar": {"owner": "0"}, "sluiten": {"note": "Niet van mij."},
    "heropenen": {},
}  # fmt: skip


def test_only_the_schools_coordinators_and_admins_see_a_case(client, auth, make, deltion):
    report, flag = _report(make)
    student_user = db.session.get(Application, report.application_id).student.user
    outsiders = [make.coordinator(deltion), student_user, make.company_user(), make.student()]
    db.session.commit()
    for user in outsiders:
        auth.login(user)
        assert client.get(f"/coordinator/signalen/{flag.id}").status_code == 404, user.role
        for step, data in CASE_POSTS.items():
            assert (
                client.post(f"/coordinator/signalen/{flag.id}/{step}", data=data).status_code == 404
            )
        auth.logout()
    assert client.get(f"/coordinator/signalen/{flag.id}").status_code == 302  # anonymous: log in
    db.session.expire_all()
    flag = db.session.get(Flag, flag.id)
    assert flag.owner_id is None and flag.resolved_at is None and flag.priority == "normal"
    assert db.session.scalar(select(func.count(FlagAction.id))) == 0
    assert client.get("/coordinator/signalen/999999").status_code in (302, 404)
    # An administrator may read and act, but only a coordinator of the school can own the case.
    admin = make.admin()
    auth.login(admin)
    assert REPORT_TEXT in client.get(f"/coordinator/signalen/{flag.id}").get_data(as_text=True)
    assert (
        client.post(
            f"/coordinator/signalen/{flag.id}/notitie", data={"text": "Gezien, beheer."}
        ).status_code
        == 302
    )
    client.post(f"/coordinator/signalen/{flag.id}/neem-over")
    db.session.expire_all()
    assert db.session.get(Flag, flag.id).owner_id is None


# --- the lists ------------------------------------------------------------------------------


def test_flags_list_filters_by_kind_state_owner_and_priority_and_exports_the_filtered_set(
    client, auth, make
):
    coordinator = make.coordinator()
    colleague = make.coordinator()
    school_id = coordinator.school_id
    for n in range(60):
        db.session.add(Flag(school_id=school_id, kind="no_contact", subject_key=f"n:{n}",
                            message=f"Geen contact {n:02d}", owner_id=coordinator.id if n < 55 else colleague.id,
                            priority="high" if n % 10 == 0 else "normal"))  # fmt: skip
    db.session.add(
        Flag(school_id=school_id, kind="accreditation", subject_key="a", message="Erkenning weg")
    )
    db.session.add(Flag(school_id=school_id, kind="accreditation", subject_key="b", message="Al geregeld",
                        resolved_at=utcnow()))  # fmt: skip
    db.session.commit()
    auth.login(coordinator)
    page = client.get("/coordinator/signalen").get_data(as_text=True)
    assert "<p>61 signalen</p>" in page and "Pagina 1 van 2" in page and "Al geregeld" not in page
    # The urgent ones first.
    assert page.index("Geen contact 00") < page.index("Geen contact 59")
    second = client.get("/coordinator/signalen?page=2").get_data(as_text=True)
    assert "Pagina 2 van 2" in second
    mine = client.get("/coordinator/signalen?van=mij").get_data(as_text=True)
    assert "<p>55 signalen</p>" in mine and "Erkenning weg" not in mine
    assert "<p>1 signaal</p>" in client.get(
        "/coordinator/signalen?van=niemand&soort=accreditation"
    ).get_data(as_text=True)
    high = client.get("/coordinator/signalen?prioriteit=high&soort=no_contact").get_data(
        as_text=True
    )
    assert (
        "<p>6 signalen</p>" in high and 'selected value="high"' in high
    )  # the form keeps its values
    done = client.get("/coordinator/signalen?toon=afgehandeld").get_data(as_text=True)
    assert "Al geregeld" in done and "Erkenning weg" not in done
    assert "<p>62 signalen</p>" in client.get("/coordinator/signalen?toon=alle").get_data(
        as_text=True
    )
    empty = client.get("/coordinator/signalen?toon=afgehandeld&soort=no_contact").get_data(
        as_text=True
    )
    assert "Geen signalen met deze filters." in empty
    rows = _csv(client.get("/coordinator/signalen?van=mij&formaat=csv"))
    assert len(rows) == 56 and rows[0][0] == "gemeld"  # all pages, one header
    assert {r[2] for r in rows[1:]} == {f"Geen contact {n:02d}" for n in range(55)}


def test_companies_list_searches_filters_and_pages_by_fifty(client, auth, make):
    coordinator = make.coordinator()
    school_id = coordinator.school_id
    # Companies with a flag of the school are on its list (as are host companies).
    for n in range(60):
        company = make.company(name=f"Bakkerij {n:02d}", town="Zwolle" if n < 5 else "Enschede")
        if n >= 50:
            company.sector = "Techniek"
        db.session.add(Flag(school_id=school_id, kind="accreditation", subject_key=f"c:{n}",
                            message="x", company_id=company.id,
                            resolved_at=None if n % 2 else utcnow()))  # fmt: skip
    host = _applied(make, company=make.company(name="Zorghuis De Linde")).id
    application_service.accept(host)
    make.company(name="Niet van ons")  # no students, no flags: not on the list
    db.session.commit()
    auth.login(coordinator)
    page = client.get("/coordinator/bedrijven").get_data(as_text=True)
    assert (
        "<p>61 leerbedrijven (" in page and "Pagina 1 van 2" in page and "Niet van ons" not in page
    )
    assert "Bakkerij 49" in page and "Bakkerij 50" not in page
    assert "Zorghuis De Linde" in client.get("/coordinator/bedrijven?page=2").get_data(as_text=True)
    zwolle = client.get("/coordinator/bedrijven?q=zwolle").get_data(as_text=True)
    assert "<p>5 leerbedrijven (" in zwolle and 'value="zwolle"' in zwolle
    assert "<p>1 leerbedrijf (" in client.get("/coordinator/bedrijven?q=bakkerij+07").get_data(
        as_text=True
    )
    tech = client.get("/coordinator/bedrijven?sector=Techniek").get_data(as_text=True)
    assert "<p>10 leerbedrijven (" in tech
    flagged = client.get("/coordinator/bedrijven?open_flags=y").get_data(as_text=True)
    assert "<p>30 leerbedrijven (" in flagged
    none = client.get("/coordinator/bedrijven?q=Kapsalon").get_data(as_text=True)
    assert "Geen bedrijven gevonden voor 'Kapsalon'." in none
    rows = _csv(client.get("/coordinator/bedrijven?sector=Techniek&open_flags=y&formaat=csv"))
    assert len(rows) == 6 and {r[0] for r in rows[1:]} == {
        f"Bakkerij {n}" for n in (51, 53, 55, 57, 59)
    }
    rows = _csv(client.get("/coordinator/bedrijven?formaat=csv"))
    assert len(rows) == 62  # every page


def test_students_list_searches_email_and_filters_place_level_and_crebo(client, auth, make):
    coordinator = make.coordinator()
    for n in range(55):
        make.student(name=f"Student {n:02d}", skills="x").email = f"leerling{n:02d}@school.nl"
    placed = make.student(name="Student Geplaatst", skills="x")
    application_service.accept(_applied(make, student=placed).id)
    level_four = db.session.scalar(select(Qualification).where(Qualification.level == 4).limit(1))
    other_level = make.student(name="Student Niveau Vier", qualification=level_four)
    db.session.commit()
    auth.login(coordinator)
    page = client.get("/coordinator/studenten").get_data(as_text=True)
    assert "<p>57 studenten</p>" in page and "Pagina 1 van 2" in page
    by_mail = client.get("/coordinator/studenten?q=leerling07@").get_data(as_text=True)
    assert (
        "<p>1 student</p>" in by_mail
        and "Student 07" in by_mail
        and 'value="leerling07@"' in by_mail
    )
    with_place = client.get("/coordinator/studenten?place=met").get_data(as_text=True)
    assert "<p>1 student</p>" in with_place and "Student Geplaatst" in with_place
    assert "<p>56 studenten</p>" in client.get("/coordinator/studenten?place=zonder").get_data(
        as_text=True
    )
    level = other_level.profile.level
    crebo = client.get(
        f"/coordinator/studenten?qualification={other_level.profile.qualification_id}"
    )
    assert "<p>1 student</p>" in crebo.get_data(as_text=True)
    assert "Student Niveau Vier" in client.get(f"/coordinator/studenten?level={level}").get_data(
        as_text=True
    )
    none = client.get("/coordinator/studenten?q=Zzyzx").get_data(as_text=True)
    assert "Geen studenten gevonden voor 'Zzyzx'." in none
    rows = _csv(client.get("/coordinator/studenten?place=zonder&formaat=csv"))
    assert len(rows) == 57 and "Student Geplaatst" not in {r[1] for r in rows}


def test_internships_list_filters_by_status_company_and_meester_and_exports(client, auth, make):
    coordinator = make.coordinator()
    garage = make.company(name="Garage Oost")
    henk = make.meester(garage, name="Henk Smit", capacity=60)
    place = make.placement(garage, henk, seats=60)
    for n in range(52):
        application = Application(
            student=make.student(name=f"Leerling {n:02d}").profile, placement=place
        )
        db.session.add(application)
        db.session.commit()
        application_service.accept(application.id)
    bakery = make.company(name="Bakkerij West")
    ended = application_service.accept(_applied(make, company=bakery).id)
    application_service.end_internship(ended, outcome="success", terminated=False)
    db.session.commit()
    auth.login(coordinator)
    page = client.get("/coordinator/stages").get_data(as_text=True)
    assert "<p>52 stages</p>" in page and "Pagina 1 van 2" in page
    assert "<p>1 stage</p>" in client.get("/coordinator/stages?status=completed").get_data(
        as_text=True
    )
    assert "<p>53 stages</p>" in client.get("/coordinator/stages?status=all").get_data(as_text=True)
    assert "<p>0 stages</p>" in client.get("/coordinator/stages?company=bakkerij").get_data(
        as_text=True
    )
    assert "<p>1 stage</p>" in client.get(
        "/coordinator/stages?company=bakkerij&status=all"
    ).get_data(as_text=True)
    henks = client.get("/coordinator/stages?meester=henk").get_data(as_text=True)
    assert "<p>52 stages</p>" in henks and 'value="henk"' in henks
    none = client.get("/coordinator/stages?meester=Kees").get_data(as_text=True)
    assert "Geen stages gevonden voor 'Kees'." in none
    rows = _csv(client.get("/coordinator/stages?meester=henk&formaat=csv"))
    assert len(rows) == 53 and rows[0][:3] == ["student", "plek", "leerbedrijf"]


HOSTILE = {
    "page": ["10" * 40, "٣", "１", "-1", "2147483648", "1e9"],
    "q": ["%", "_", "'; drop table user; --", "ü" * 99, "x" * 5000, "\u202e", "٣"],
    "sector": ["Geen sector", "x" * 500],
    "open_flags": ["ja", "٣"],
    "toon": ["<script>", "alle"],
    "soort": ["../../etc", "discrimination"],
    "van": ["jij", "٣"],
    "prioriteit": ["urgent", "x" * 300],
    "status": ["weg", "x" * 300],
    "company": ["%", "x" * 5000],
    "meester": ["_", "٣"],
    "place": ["misschien"],
    "level": ["٣", "99"],
    "qualification": ["٣", "99999999999999999999", "-1"],
}
LISTS = [
    "/coordinator/bedrijven",
    "/coordinator/studenten",
    "/coordinator/stages",
    "/coordinator/signalen",
]


@pytest.mark.parametrize("url", LISTS)
def test_hostile_query_values_never_give_a_500(client, auth, make, url):
    _report(make)
    auth.login(make.coordinator())
    for name, values in HOSTILE.items():
        for value in values:
            for fmt in (None, "csv"):
                query = {name: value, **({"formaat": fmt} if fmt else {})}
                response = client.get(url, query_string=query)
                assert response.status_code == 200, (url, name, value, fmt)


def test_page_past_the_end_shows_the_last_page(client, auth, make):
    coordinator = make.coordinator()
    for n in range(3):
        db.session.add(
            Flag(
                school_id=coordinator.school_id,
                kind="no_contact",
                subject_key=f"{n}",
                message=f"F{n}",
            )
        )
    db.session.commit()
    auth.login(coordinator)
    page = client.get("/coordinator/signalen?page=99999").get_data(as_text=True)
    assert "F0" in page and "F2" in page


def test_export_of_a_large_filtered_list_becomes_a_job_with_the_same_filter(
    app, client, auth, make, monkeypatch
):
    coordinator = make.coordinator()
    for n in range(6):
        db.session.add(Flag(school_id=coordinator.school_id, kind="no_contact", subject_key=f"{n}",
                            message=f"F{n}", priority="high" if n < 4 else "normal"))  # fmt: skip
    db.session.commit()
    auth.login(coordinator)
    monkeypatch.setitem(app.config, "EXPORT_JOB_ROWS", 3)
    response = client.get("/coordinator/signalen?prioriteit=high&formaat=csv")
    assert response.status_code == 303 and "/taken/" in response.headers["Location"]
    job_page = client.get(response.headers["Location"])
    assert job_page.status_code == 200
    with client.get(response.headers["Location"] + "/bestand") as download:
        rows = _csv(download)
    assert len(rows) == 5 and {r[2] for r in rows[1:]} == {"F0", "F1", "F2", "F3"}


def test_flags_list_still_resolves_from_the_list_with_a_history_entry(client, auth, make):
    report, flag = _report(make)
    coordinator = make.coordinator()
    auth.login(coordinator)
    client.post(f"/coordinator/signalen/{flag.id}/afhandelen", data={"note": "Gebeld."})
    action = db.session.scalar(select(FlagAction).where(FlagAction.flag_id == flag.id))
    assert (
        action.kind == "resolved" and action.actor_id == coordinator.id and action.note == "Gebeld."
    )
    assert today() - timedelta(days=1) <= action.created_at.date() <= today() + timedelta(days=1)


def test_the_student_is_told_once_in_their_language_with_a_link_to_the_answer(
    app, client, auth, make, outbox
):
    from stagematch.services import cases
    from tests.test_notifications import check_sent

    report, flag = _report(make)
    student_user = db.session.get(Application, report.application_id).student.user
    student_user.locale = "en"
    coordinator = make.coordinator()
    auth.login(coordinator)
    client.post(
        f"/coordinator/signalen/{flag.id}/bericht", data={"message": "We bellen je morgen."}
    )
    client.post("/account/uitloggen")
    action = db.session.scalar(select(FlagAction).where(FlagAction.to_student.is_(True)))
    notification = check_sent(app, client, outbox, student_user, "case_answer",
                              repeat=lambda: cases._tell_student(cases.case_view(flag), action))  # fmt: skip
    assert notification.subject_key == f"flagaction:{action.id}"
    auth.login(student_user)
    assert "We bellen je morgen." in client.get(notification.url.split("#")[0]).text
