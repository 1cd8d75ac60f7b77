"""The praktijkovereenkomst (issue 17): version 1 from the accepted offer, signing in turn with the
content's hash, a parent or guardian for a minor through a mailed link, amendments that all
parties sign again, the PDF with every field, and who may do what."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import (
    AgreementSignature,
    AgreementVersion,
    Application,
    AuditEvent,
    Internship,
)
from stagematch.services import agreements
from stagematch.services import applications as application_service
from stagematch.services.internships import phase
from tests.conftest import OK, REFUSED, mailed_link, run_together
from tests.test_notifications import check_sent

CONTENT_KEYS = {
    "student", "guardian", "school", "company", "qualification", "leerweg", "placement",
    "start_date", "end_date", "hours_per_week", "days_per_week", "schedule", "total_hours",
    "pay_per_month", "meester", "gezel", "work_processes", "assessment", "insurance",
    "early_ending",
}  # fmt: skip


def _years_before(day: date, years: int) -> date:
    return day.replace(year=day.year - years)


@pytest.fixture
def world(make):
    company = make.company(name="Bakkerij Bol")
    owner = make.company_user(company)
    colleague = make.company_user(company)
    meester = make.meester(company, capacity=3, name="Jan Meester", email="jan@bol.nl")
    place = make.placement(company, meester, seats=2, title="Stage bakkerij",
                           tasks="Brood bakken en de winkel helpen.")  # fmt: skip
    student = make.student(name="Zoë Hendriks", student_number="123456",
                           birth_date=date(2000, 5, 1))  # fmt: skip
    coordinator = make.coordinator(student.school)
    db.session.commit()
    return dict(company=company, owner=owner, colleague=colleague, meester=meester, place=place,
                student=student, coordinator=coordinator)  # fmt: skip


def _accept(world, student=None) -> Internship:
    student = student or world["student"]
    application = Application(
        student=student.profile, placement=world["place"], motivation="Graag."
    )
    db.session.add(application)
    db.session.commit()
    return application_service.accept(application.id)


def _login(client, user) -> None:
    client.post("/account/uitloggen")
    db.session.commit()
    response = client.post(
        "/account/inloggen", data={"email": user.email, "password": "goed-wachtwoord-123"}
    )
    assert response.status_code == 302


def _version(internship_id: int, number: int = 1) -> AgreementVersion:
    db.session.expire_all()
    return db.session.scalar(
        select(AgreementVersion).where(AgreementVersion.internship_id == internship_id,
                                       AgreementVersion.number == number)
    )  # fmt: skip


def _sign(client, internship, number=1, *, name="Iemand", seen=None, confirm=True):
    seen = seen or _version(internship.id, number).content_hash
    data = {"typed_name": name, "content_hash": seen, **({"confirm": "y"} if confirm else {})}
    return client.post(f"/stage/{internship.id}/overeenkomst/{number}/tekenen", data=data)


def _sign_all(client, world, internship, number=1, parties=("student", "owner", "coordinator")):
    for who in parties:
        _login(client, world[who])
        response = _sign(client, internship, number, name=world[who].name)
        assert response.status_code == 302, response.text


def _change_data(version: AgreementVersion, **overrides) -> dict:
    c = version.content
    data = {
        "start_date": c["start_date"], "end_date": c["end_date"],
        "hours_per_week": str(c["hours_per_week"]), "days_per_week": c["days_per_week"] or "",
        "schedule": c["schedule"], "meester": str(c["meester"]["id"]),
        "work_processes": c["work_processes"], "assessment": c["assessment"],
        "insurance": c["insurance"], "early_ending": c["early_ending"], "reason": "",
    }  # fmt: skip
    data.update(overrides)
    return data


# --- version 1 ------------------------------------------------------------------------------------


def test_accepting_creates_version_1_with_every_field_and_its_hash(world):
    internship = _accept(world)
    [version] = internship.agreement_versions
    c = version.content
    assert set(c) == CONTENT_KEYS
    assert version.number == 1 and version.status == "pending" and version.signed_at is None
    assert version.content_hash == agreements.content_hash(c)
    assert c["student"] == {"name": "Zoë Hendriks", "email": world["student"].email,
                            "birth_date": "2000-05-01", "student_number": "123456",
                            "minor_at_start": False}  # fmt: skip
    assert c["guardian"] is None
    assert set(c["school"]) == {"id", "name", "brin", "city"}
    assert set(c["company"]) == {"id", "name", "kvk_number", "sbb_id", "address", "city"}
    assert set(c["qualification"]) == {"crebo", "name", "level", "dossier_crebo"}
    assert c["meester"] == {"id": world["meester"].id, "name": "Jan Meester",
                            "function": "eigenaar", "email": "jan@bol.nl"}  # fmt: skip
    assert c["start_date"] == internship.start_date.isoformat()
    assert c["hours_per_week"] == 32 and c["total_hours"] == 32 * 20
    assert "Brood bakken" in c["work_processes"]
    assert "de school stelt het eindoordeel vast" in c["assessment"]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "agreement.create"))
    assert phase(internship) == "unsigned" and not agreements.is_signed(internship)


# --- signing in turn ------------------------------------------------------------------------------


def test_parties_sign_in_turn_and_the_placement_may_start_only_when_all_signed(client, world):
    internship = _accept(world)
    _login(client, world["owner"])
    early = _sign(client, internship, name="Olaf Owner")
    assert early.status_code == 422 and "nog niet aan de beurt" in early.text
    assert "wacht op de student" in client.get(f"/stage/{internship.id}").text
    _login(client, world["student"])
    page = client.get(f"/stage/{internship.id}").text
    assert "wacht op jouw handtekening" in page and "Lezen en tekenen" in page
    form = client.get(f"/stage/{internship.id}/overeenkomst/1")
    assert form.status_code == 200 and "Brood bakken" in form.text
    unconfirmed = _sign(client, internship, name="Zoë Hendriks", confirm=False)
    assert unconfirmed.status_code == 422 and "Zet een vinkje" in unconfirmed.text
    assert _sign(client, internship, name="Zoë Hendriks").status_code == 302
    again = _sign(client, internship, name="Zoë Hendriks")
    assert again.status_code == 422
    assert "wacht op het leerbedrijf" in client.get(f"/stage/{internship.id}").text
    _login(client, world["coordinator"])
    assert _sign(client, internship, name="C").status_code == 422  # the company first
    _login(client, world["colleague"])  # any account of the company signs for it
    assert _sign(client, internship, name="Cor Collega").status_code == 302
    _login(client, world["coordinator"])
    assert "wacht op jouw handtekening" in client.get(f"/stage/{internship.id}").text
    assert phase(db.session.get(Internship, internship.id)) == "unsigned"
    assert _sign(client, internship, name="Carla Coördinator").status_code == 302
    version = _version(internship.id)
    assert version.status == "signed" and version.signed_at is not None
    signatures = {s.party: s for s in version.signatures}
    assert set(signatures) == {"student", "company", "school"}
    assert signatures["company"].user_id == world["colleague"].id
    assert signatures["school"].typed_name == "Carla Coördinator"
    assert all(s.content_hash == version.content_hash for s in signatures.values())
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "agreement.sign")
        )
        == 3
    )
    internship = db.session.get(Internship, internship.id)
    assert agreements.is_signed(internship) and phase(internship) == "coming"
    assert "getekend op" in client.get(f"/stage/{internship.id}").text


def test_a_signature_on_content_that_changed_meanwhile_is_refused(client, world):
    internship = _accept(world)
    seen = _version(internship.id).content_hash
    _login(client, world["coordinator"])  # the school changes the draft while the student reads
    data = _change_data(_version(internship.id), schedule="Maandag tot en met donderdag.")
    assert (
        client.post(f"/stage/{internship.id}/overeenkomst/wijzigen", data=data).status_code == 302
    )
    assert _version(internship.id).content_hash != seen
    _login(client, world["student"])
    response = _sign(client, internship, name="Zoë Hendriks", seen=seen)
    assert response.status_code == 422 and "gewijzigd nadat je hem opende" in response.text
    assert "Maandag tot en met donderdag." in response.text  # the new text, to read first
    assert _version(internship.id).signatures == []
    assert _sign(client, internship, name="Zoë Hendriks").status_code == 302


def test_two_people_signing_for_the_company_at_once_one_wins(app, make, world):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (concurrent writers); set TEST_DATABASE_URL")
    internship = _accept(world)
    version = _version(internship.id)
    agreements.sign(internship, number=1, party="student", typed_name="Zoë Hendriks",
                    confirmed=True, seen_hash=version.content_hash, user=world["student"])  # fmt: skip
    iid, digest = internship.id, version.content_hash
    owner_id, colleague_id = world["owner"].id, world["colleague"].id

    def company_signs(user_id):
        def job():
            from stagematch.models import User

            agreements.sign(db.session.get(Internship, iid), number=1, party="company",
                            typed_name="X Y", confirmed=True, seen_hash=digest,
                            user=db.session.get(User, user_id))  # fmt: skip

        return job

    outcomes = run_together(app, [company_signs(owner_id), company_signs(colleague_id)])
    assert sorted(outcomes) == [OK, REFUSED], outcomes
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count(AgreementSignature.id)).where(AgreementSignature.party == "company")
        )
        == 1
    )


# --- the parent or guardian -----------------------------------------------------------------------


def test_a_guardian_signs_only_when_the_student_is_under_18_on_the_start_date(make, world):
    start = world["place"].start_date
    eighteen_on_start = make.student(birth_date=_years_before(start, 18))
    seventeen_on_start = make.student(birth_date=_years_before(start, 18) + timedelta(days=1))
    db.session.commit()
    adult = _accept(world, eighteen_on_start).agreement_versions[0]
    minor = _accept(world, seventeen_on_start).agreement_versions[0]
    assert adult.content["student"]["minor_at_start"] is False and adult.content["guardian"] is None
    assert agreements.parties(adult) == ["student", "company", "school"]
    assert minor.content["student"]["minor_at_start"] is True
    assert agreements.parties(minor) == ["student", "guardian", "company", "school"]


def test_the_guardian_signs_through_a_mailed_link_once(app, client, make, world, outbox,
                                                      monkeypatch):  # fmt: skip
    start = world["place"].start_date
    minor = make.student(name="Sem Jansen", birth_date=_years_before(start, 16))
    db.session.commit()
    internship = _accept(world, minor)
    _login(client, minor)
    assert "nog geen 18" in client.get(f"/stage/{internship.id}").text
    no_guardian = _sign(client, internship, name="Sem Jansen")
    assert no_guardian.status_code == 422 and "ouder of verzorger" in no_guardian.text
    bad = client.post(f"/stage/{internship.id}/overeenkomst/ouder",
                      data={"name": "Els Jansen", "email": "geen-adres"})  # fmt: skip
    assert bad.status_code == 422 and 'value="Els Jansen"' in bad.text
    saved = client.post(f"/stage/{internship.id}/overeenkomst/ouder",
                        data={"name": "Els Jansen", "email": "els@thuis.nl"})  # fmt: skip
    assert saved.status_code == 302
    version = _version(internship.id)
    assert version.content["guardian"] == {"name": "Els Jansen", "email": "els@thuis.nl"}
    assert version.content_hash == agreements.content_hash(version.content)
    assert _sign(client, internship, name="Sem Jansen").status_code == 302
    [mail] = [m for m in outbox() if "els@thuis.nl" in m["To"]]
    link = mailed_link(mail, "/stage/overeenkomst/ouder/")
    path = "/" + link.split("/", 3)[3]
    assert "wacht op ouder/verzorger" in client.get(f"/stage/{internship.id}").text
    # The student sends the link again.
    assert client.post(f"/stage/{internship.id}/overeenkomst/ouder/opnieuw").status_code == 302
    assert len([m for m in outbox() if "els@thuis.nl" in m["To"]]) == 2
    client.post("/account/uitloggen")
    # No account needed; forged or expired links show nothing.
    page = client.get(path)
    assert page.status_code == 200 and "Sem Jansen" in page.text and "Tekenen" in page.text
    forged = client.get(path[:-3] + "xyz")
    assert forged.status_code == 410 and "werkt niet" in forged.text
    monkeypatch.setattr(agreements, "GUARDIAN_LINK_DAYS", -1)
    assert client.get(path).status_code == 410
    monkeypatch.undo()
    signed = client.post(path, data={"typed_name": "Els Jansen", "confirm": "y",
                                     "content_hash": _version(internship.id).content_hash})  # fmt: skip
    assert signed.status_code == 200 and "je handtekening staat erop" in signed.text
    version = _version(internship.id)
    [guardian] = [s for s in version.signatures if s.party == "guardian"]
    assert guardian.user_id is None and guardian.email == "els@thuis.nl"
    used = client.get(path)
    assert used.status_code == 410 and "al getekend" in used.text
    again = client.post(path, data={"typed_name": "Els Jansen", "confirm": "y",
                                    "content_hash": version.content_hash})  # fmt: skip
    assert again.status_code == 410
    assert len([s for s in _version(internship.id).signatures if s.party == "guardian"]) == 1
    # Now the leerbedrijf's turn: its accounts are told, with a link to the placement.
    check_sent(app, client, outbox, world["owner"], "agreement_turn",
               repeat=lambda: agreements._tell_turn(_version(internship.id)))  # fmt: skip


def test_a_student_whose_birth_date_is_unknown_gives_it_before_signing(client, make, world):
    start = world["place"].start_date
    unknown = make.student(name="Jip Jong", birth_date=None)
    db.session.commit()
    internship = _accept(world, unknown)
    iid = internship.id
    assert _version(iid).content["student"]["birth_date"] is None
    _login(client, unknown)
    assert "Vul eerst je geboortedatum in" in client.get(f"/stage/{iid}").text
    refused = _sign(client, internship, name="Jip Jong")
    assert refused.status_code == 422 and "geboortedatum" in refused.text
    assert _version(iid).signatures == []
    form = client.get(f"/stage/{iid}/overeenkomst/geboortedatum")
    assert form.status_code == 200 and "Je geboortedatum" in form.text
    for bad, message in (("31-02-2010", "geldige datum"),
                         ((date.today() + timedelta(days=3)).isoformat(), "in het verleden"),
                         ("", "Vul je geboortedatum in")):  # fmt: skip
        response = client.post(f"/stage/{iid}/overeenkomst/geboortedatum",
                               data={"birth_date": bad})  # fmt: skip
        assert response.status_code == 422 and message in response.text, (bad, response.text)
        if bad:
            assert f'value="{bad}"' in response.text
    assert _version(iid).content["student"]["birth_date"] is None
    birth = _years_before(start, 16)
    saved = client.post(f"/stage/{iid}/overeenkomst/geboortedatum",
                        data={"birth_date": birth.strftime("%d-%m-%Y")})  # fmt: skip
    assert saved.status_code == 302
    version = _version(iid)
    assert version.content["student"]["birth_date"] == birth.isoformat()
    assert version.content["student"]["minor_at_start"] is True
    assert version.content_hash == agreements.content_hash(version.content)
    assert agreements.parties(version) == ["student", "guardian", "company", "school"]
    assert db.session.get(Internship, iid).student.birth_date == birth
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "agreement.birth_date"))
    assert "nog geen 18" in client.get(f"/stage/{iid}").text  # the guardian step follows
    # Known now: no second go, and the student still needs the guardian before signing.
    assert client.get(f"/stage/{iid}/overeenkomst/geboortedatum").status_code == 302
    assert _sign(client, internship, name="Jip Jong").status_code == 422
    _login(client, world["owner"])
    assert client.get(f"/stage/{iid}/overeenkomst/geboortedatum").status_code == 403


def test_an_adult_who_gives_the_birth_date_signs_without_a_guardian(client, make, world):
    unknown = make.student(name="Ada Ouder", birth_date=None)
    db.session.commit()
    internship = _accept(world, unknown)
    _login(client, unknown)
    birth = _years_before(world["place"].start_date, 30)
    assert client.post(f"/stage/{internship.id}/overeenkomst/geboortedatum",
                       data={"birth_date": birth.isoformat()}).status_code == 302  # fmt: skip
    assert agreements.parties(_version(internship.id)) == ["student", "company", "school"]
    assert _sign(client, internship, name="Ada Ouder").status_code == 302


def test_a_guardian_link_stops_working_when_the_agreement_changes(client, make, world):
    start = world["place"].start_date
    minor = make.student(birth_date=_years_before(start, 16))
    db.session.commit()
    internship = _accept(world, minor)
    agreements.set_guardian(internship, by=minor, name="Els Jansen", email="els@thuis.nl")
    version = _version(internship.id)
    agreements.sign(internship, number=1, party="student", typed_name="Sem", confirmed=True,
                    seen_hash=version.content_hash, user=minor)  # fmt: skip
    token = agreements.guardian_token(_version(internship.id))
    assert client.get(f"/stage/overeenkomst/ouder/{token}").status_code == 200
    _login(client, world["coordinator"])
    data = _change_data(_version(internship.id), schedule="Alleen op dinsdag en woensdag.",
                        reason="Rooster aangepast")  # fmt: skip
    assert (
        client.post(f"/stage/{internship.id}/overeenkomst/wijzigen", data=data).status_code == 302
    )
    client.post("/account/uitloggen")
    assert client.get(f"/stage/overeenkomst/ouder/{token}").status_code == 410


# --- amendments -----------------------------------------------------------------------------------


def test_an_amendment_is_a_new_version_signed_again_and_then_applied(client, world):
    internship = _accept(world)
    _sign_all(client, world, internship)
    old_end = db.session.get(Internship, internship.id).end_date
    new_end = old_end + timedelta(weeks=2)
    _login(client, world["coordinator"])
    form = client.get(f"/stage/{internship.id}/overeenkomst/wijzigen")
    assert form.status_code == 200 and "Reden van de wijziging" in form.text
    data = _change_data(_version(internship.id), end_date=new_end.isoformat())
    without_reason = client.post(f"/stage/{internship.id}/overeenkomst/wijzigen", data=data)
    assert without_reason.status_code == 422 and "schrijf waarom" in without_reason.text
    assert new_end.isoformat() in without_reason.text  # the input comes back
    data["reason"] = "Twee weken langer door ziekte"
    assert (
        client.post(f"/stage/{internship.id}/overeenkomst/wijzigen", data=data).status_code == 302
    )
    v1, v2 = _version(internship.id, 1), _version(internship.id, 2)
    assert v1.status == "signed" and v2.status == "pending" and v2.signatures == []
    assert (
        v2.reason == "Twee weken langer door ziekte"
        and v2.content["end_date"] == new_end.isoformat()
    )
    assert v2.content["total_hours"] == 32 * 22
    assert v1.content["end_date"] == old_end.isoformat()  # the old version reads as it did
    internship = db.session.get(Internship, internship.id)
    assert internship.end_date == old_end and phase(internship) == "coming"  # v1 still in force
    page = client.get(f"/stage/{internship.id}").text
    assert "Versie 2" in page and "Versie 1" in page and "wijziging wacht op de student" in page
    assert client.get(f"/stage/{internship.id}/overeenkomst/1").status_code == 200
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "agreement.amend"))
    _sign_all(client, world, internship, number=2)
    v1, v2 = _version(internship.id, 1), _version(internship.id, 2)
    assert v1.status == "superseded" and v2.status == "signed"
    assert db.session.get(Internship, internship.id).end_date == new_end
    old = client.get(f"/stage/{internship.id}/overeenkomst/1")
    assert old.status_code == 200 and "vervangen door een latere versie" in old.text


def test_the_placement_page_shows_the_hours_of_the_agreement_in_force(client, world):
    """Seen in the browser walk: after an amendment to 28 hours a week the page still said the
    place's 32; until the amendment is signed by all, the signed version's hours stand."""
    internship = _accept(world)
    _sign_all(client, world, internship)
    _login(client, world["coordinator"])
    data = _change_data(_version(internship.id), hours_per_week="28,5", reason="Minder uren")
    assert (
        client.post(f"/stage/{internship.id}/overeenkomst/wijzigen", data=data).status_code == 302
    )
    page = client.get(f"/stage/{internship.id}").text
    assert "32 uur per week" in page and "28,5 uur per week" not in page  # v2 not signed yet
    _sign_all(client, world, internship, number=2)
    for who in ("student", "owner", "coordinator"):
        _login(client, world[who])
        page = client.get(f"/stage/{internship.id}").text
        assert "28,5 uur per week" in page and "32 uur per week" not in page, who


def test_a_new_meester_needs_room_in_the_capacity_module(client, make, world):
    internship = _accept(world)
    _sign_all(client, world, internship)
    full = make.meester(world["company"], name="Piet Vol", capacity=0)
    free = make.meester(world["company"], name="Ria Ruimte", capacity=2)
    db.session.commit()
    _login(client, world["coordinator"])
    data = _change_data(_version(internship.id), meester=str(full.id), reason="Jan vertrekt")
    refused = client.post(f"/stage/{internship.id}/overeenkomst/wijzigen", data=data)
    assert refused.status_code == 422 and "geen ruimte meer" in refused.text
    assert _version(internship.id, 2) is None
    data["meester"] = str(free.id)
    assert (
        client.post(f"/stage/{internship.id}/overeenkomst/wijzigen", data=data).status_code == 302
    )
    assert _version(internship.id, 2).content["meester"]["name"] == "Ria Ruimte"
    # Her room is gone before everyone signed: the last signature is refused.
    free.capacity = 0
    db.session.commit()
    _sign_all(client, world, internship, number=2, parties=("student", "owner"))
    _login(client, world["coordinator"])
    last = _sign(client, internship, 2, name="Carla")
    assert last.status_code == 422 and "geen ruimte meer" in last.text
    assert _version(internship.id, 2).status == "pending"
    assert db.session.get(Internship, internship.id).meester_id == world["meester"].id
    free.capacity = 2
    db.session.commit()
    assert _sign(client, internship, 2, name="Carla").status_code == 302
    assert db.session.get(Internship, internship.id).meester_id == free.id


def test_old_placements_without_an_agreement_get_one_from_the_school(app, client, world, outbox):
    internship = _accept(world)
    db.session.delete(internship.agreement_versions[0])
    db.session.commit()
    _login(client, world["student"])
    assert "Overeenkomst opstellen" not in client.get(f"/stage/{internship.id}").text
    assert client.post(f"/stage/{internship.id}/overeenkomst/opstellen").status_code == 403
    _login(client, world["coordinator"])
    assert "Overeenkomst opstellen" in client.get(f"/stage/{internship.id}").text
    assert client.post(f"/stage/{internship.id}/overeenkomst/opstellen").status_code == 302
    assert _version(internship.id).status == "pending"
    assert client.post(f"/stage/{internship.id}/overeenkomst/opstellen").status_code == 302
    assert len(db.session.get(Internship, internship.id).agreement_versions) == 1
    client.post("/account/uitloggen")
    check_sent(app, client, outbox, world["student"], "agreement_turn",
               repeat=lambda: agreements._tell_turn(_version(internship.id)))  # fmt: skip


# --- the PDF --------------------------------------------------------------------------------------


def test_the_company_proposes_an_amendment_that_all_parties_sign_again(client, world, outbox):
    internship = _accept(world)
    _sign_all(client, world, internship)
    old_end = db.session.get(Internship, internship.id).end_date
    new_end = old_end + timedelta(weeks=1)
    _login(client, world["owner"])
    assert "Wijziging voorstellen" in client.get(f"/stage/{internship.id}").text
    form = client.get(f"/stage/{internship.id}/overeenkomst/wijzigen")
    assert form.status_code == 200 and "Reden van de wijziging" in form.text
    data = _change_data(_version(internship.id), end_date=new_end.isoformat())
    without_reason = client.post(f"/stage/{internship.id}/overeenkomst/wijzigen", data=data)
    assert without_reason.status_code == 422 and "schrijf waarom" in without_reason.text
    data["reason"] = "Een week extra voor het examenwerk"
    response = client.post(f"/stage/{internship.id}/overeenkomst/wijzigen", data=data)
    assert response.status_code == 302
    v1, v2 = _version(internship.id, 1), _version(internship.id, 2)
    assert v1.status == "signed" and v2.status == "pending" and v2.signatures == []
    assert v2.created_by_id == world["owner"].id and v2.content["end_date"] == new_end.isoformat()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "agreement.amend"))
    assert event is not None and event.actor_id == world["owner"].id
    assert any(world["student"].email in m["To"] for m in outbox())  # the student signs first
    _sign_all(client, world, internship, number=2)
    assert _version(internship.id, 2).status == "signed"
    assert db.session.get(Internship, internship.id).end_date == new_end


def test_the_company_cannot_rewrite_an_unsigned_draft_in_place(client, world):
    internship = _accept(world)
    _login(client, world["owner"])
    data = _change_data(_version(internship.id), hours_per_week="24", reason="")
    refused = client.post(f"/stage/{internship.id}/overeenkomst/wijzigen", data=data)
    assert refused.status_code == 422 and "schrijf waarom" in refused.text
    assert _version(internship.id, 2) is None
    data["reason"] = "Vier dagen van zes uur"
    assert (
        client.post(f"/stage/{internship.id}/overeenkomst/wijzigen", data=data).status_code == 302
    )
    v1, v2 = _version(internship.id, 1), _version(internship.id, 2)
    assert v1.status == "superseded" and v1.content["hours_per_week"] == 32
    assert v2.status == "pending" and v2.content["hours_per_week"] == 24


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif value is not None:
        yield value


def test_the_pdf_contains_every_field(client, make, world):
    world["company"].address = "Kerkstraat 1"
    world["company"].sbb_id = "100012345"
    gezel = make.meester(world["company"], name="Gerrit Gezel", function="bakker")
    gezel.role = "gezel"
    world["place"].gezel_id = gezel.id
    start = world["place"].start_date
    minor = make.student(name="Zoë Hendriks", student_number="777",
                         birth_date=_years_before(start, 17))  # fmt: skip
    db.session.commit()
    internship = _accept(world, minor)
    agreements.set_guardian(internship, by=minor, name="Noël Hendriks", email="noel@thuis.nl")
    _login(client, minor)
    response = client.get(f"/stage/{internship.id}/overeenkomst/1.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = _pdf_text(response.data)
    content = _version(internship.id).content
    assert content["gezel"]["name"] == "Gerrit Gezel"
    for value in _leaves(content):
        if isinstance(value, bool):
            continue
        shown = str(value)
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            shown = date.fromisoformat(value).strftime("%d-%m-%Y")
        assert " ".join(shown.split()) in text, shown
    for label in ("Minderjarig bij de start", "Ouder of verzorger", "SBB leerbedrijf-ID",
                  "Totaal aantal BPV-uren", "Eerder beëindigen", "Zoë", "Noël"):  # fmt: skip
        assert label in text, label
    assert "Student: nog niet getekend" in text or "nog niet getekend" in text


def test_the_pdf_prints_polish_ukrainian_and_arabic_names_in_an_embedded_font(client, make, world):
    """Bitstream Vera has Latin-1 only: ś and Cyrillic came out as black boxes, while the text
    layer still read right. So the fonts of the PDF must cover every character too."""
    import unicodedata

    from pypdf import PdfReader
    from reportlab.pdfbase import pdfmetrics

    world["meester"].name = "محمد العلي"
    student = make.student(name="Олена Wiśniewska", birth_date=date(2000, 1, 1))
    db.session.commit()
    internship = _accept(world, student)
    _login(client, student)
    response = client.get(f"/stage/{internship.id}/overeenkomst/1.pdf")
    assert response.status_code == 200
    text = unicodedata.normalize("NFKC", _pdf_text(response.data))
    for name in ("Wiśniewska", "Олена", "محمد العلي"):
        assert name in text, (name, text)
    reader = PdfReader(io.BytesIO(response.data))
    embedded = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert "Vera" not in font["/BaseFont"]
            if font["/Subtype"] == "/TrueType":  # reportlab embeds 256-glyph subsets
                assert "/FontFile2" in font["/FontDescriptor"].get_object()
                embedded.add(str(font["/BaseFont"]).split("+")[-1])
    assert embedded and all(name.startswith("DejaVuSans") for name in embedded), embedded
    for font_name in agreements._fonts():
        face = pdfmetrics.getFont(font_name).face
        shaped = agreements._visual("محمد العلي")
        for char in "Wiśniewska Олена" + shaped:
            assert ord(char) in face.charToGlyph, (font_name, char)


# --- who may do what ------------------------------------------------------------------------------


def test_each_side_sees_its_part_and_others_get_nothing(client, make, world):
    internship = _accept(world)
    other_company_user = make.company_user()
    other_student = make.student()
    db.session.commit()
    iid = internship.id
    for user in (other_company_user, other_student):
        _login(client, user)
        assert client.get(f"/stage/{iid}/overeenkomst/1").status_code == 403
        assert client.get(f"/stage/{iid}/overeenkomst/1.pdf").status_code == 403
        assert _sign(client, internship, name="Indringer").status_code == 403
    _login(client, world["student"])
    assert client.get(f"/stage/{iid}/overeenkomst/wijzigen").status_code == 403
    assert client.get(f"/stage/{iid}/overeenkomst/2").status_code == 404
    _login(client, world["owner"])
    assert client.get(f"/stage/{iid}/overeenkomst/ouder").status_code == 403
    assert client.get(f"/stage/{iid}/overeenkomst").status_code == 302
    _login(client, other_company_user)
    assert client.get(f"/stage/{iid}/overeenkomst/wijzigen").status_code == 403
    _login(client, world["coordinator"])
    assert "Overeenkomst aanpassen" in client.get(f"/stage/{iid}").text
    client.post("/account/uitloggen")
    anonymous = client.get(f"/stage/{iid}/overeenkomst/1")
    assert anonymous.status_code == 302 and "/account/inloggen" in anonymous.headers["Location"]
    assert db.session.scalar(select(func.count(AgreementSignature.id))) == 0


def test_bad_input_gives_the_change_form_back_and_changes_nothing(client, world):
    internship = _accept(world)
    before = _version(internship.id).content_hash
    _login(client, world["coordinator"])
    version = _version(internship.id)
    for bad, message in (
        ({"end_date": version.content["start_date"]}, "na de begindatum"),
        ({"hours_per_week": "99"}, "tussen 1 en 60"),
        ({"start_date": "31-02-2027"}, "geldige datum"),
        ({"meester": "999999"}, "Kies een van de mogelijkheden"),
        ({"insurance": "  "}, "mag niet leeg"),
    ):
        response = client.post(f"/stage/{internship.id}/overeenkomst/wijzigen",
                               data=_change_data(version, **bad))  # fmt: skip
        assert response.status_code == 422 and message in response.text, (
            bad,
            response.text[-2000:],
        )
    assert _version(internship.id).content_hash == before


def test_the_guardians_page_is_rate_limited(client, world, rate_limits):
    from stagematch.internships.agreement import GUARDIAN_PAGE_LIMIT

    allowed = int(GUARDIAN_PAGE_LIMIT.split()[0])
    statuses = [
        client.get("/stage/overeenkomst/ouder/geraden").status_code for _ in range(allowed + 1)
    ]
    assert statuses[:allowed] == [410] * allowed and statuses[-1] == 429
