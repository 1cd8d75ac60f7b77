"""Leerbedrijf networks (issue 18, item 1): firms that share a meester. Membership needs both
sides; a meester of a member supervises at another member; capacity is counted once per meester
across firms (also under a PostgreSQL race); a learner rotates between firms on a schedule; the
place and placement pages show the chain; the SQI gives a solo firm's place the partner's gezel."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import Application, AuditEvent, Mentor, Placement
from stagematch.models.enums import MentorRole, PlacementStatus
from stagematch.models.network import INVITED, LEFT, NetworkMember, PlaceRotation
from stagematch.services import DomainError
from stagematch.services import applications as application_service
from stagematch.services import networks as service
from stagematch.services import placements as placement_service
from stagematch.services.capacity import mentor_load, place_rooms
from stagematch.services.eligibility import may_supervise, supervisors_for
from stagematch.timeutil import today
from tests.conftest import OK, REFUSED, run_together
from tests.test_companies import _place_form


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _network(make, *, members: int = 2, capacity: int = 1):
    """A smithy (with the meester) and partner firms, all members of one network."""
    q = make.qualification()
    smithy = make.company(name="Smederij Het Vuur", qualifications=[q])
    partners = [
        make.company(name=f"Meubelmakerij {i}", qualifications=[q]) for i in range(members - 1)
    ]
    meester = make.meester(smithy, name="Henk Smid", capacity=capacity)
    user = make.company_user(smithy)
    network = service.create(company=smithy, name="Ambacht Twente", by=user)
    for partner in partners:
        service.invite(network=network, company=smithy, kvk_number=partner.kvk_number, by=user)
        service.accept(network=network, company=partner, by=make.company_user(partner))
    return network, smithy, partners, meester


def _data(company, meester, gezel=None, **changes) -> placement_service.PlacementData:
    from stagematch import geo

    values = dict(
        title="Leerling smid", description="", tasks="Meewerken in de smidse en leren smeden.",
        leerweg="BOL", qualifications=[company.accreditations[0].qualification],
        town=geo.find_town(company.city), start_date=today() + timedelta(days=30),
        duration_weeks=20, hours_per_week=32, days_per_week=None, pay_per_month=250,
        wage_age=None, seats=1, meester=meester, gezel=gezel, required_skills="",
        languages="Nederlands",
    )  # fmt: skip
    values.update(changes)
    return placement_service.PlacementData(**values)


# --- membership ----------------------------------------------------------------------------------


def test_membership_needs_both_sides_and_every_change_is_audited(make):
    q = make.qualification()
    a, b = make.company(qualifications=[q]), make.company(qualifications=[q])
    meester = make.meester(a)
    ua, ub = make.company_user(a), make.company_user(b)
    network = service.create(company=a, name="Netwerk", opleidingsbedrijf="De TechnO", by=ua)
    service.invite(network=network, company=a, kvk_number=f" {b.kvk_number} ", by=ua)
    # Invited only: not a partner, the meester may not supervise at b.
    assert service.partner_company_ids(b.id) == set()
    assert not may_supervise(meester, b.id, role=MentorRole.MEESTER)
    # The invited company cannot invite others, nor accept for someone else.
    with pytest.raises(DomainError):
        service.invite(network=network, company=b, kvk_number=a.kvk_number, by=ub)
    service.accept(network=network, company=b, by=ub)
    assert service.partner_company_ids(b.id) == {a.id}
    assert may_supervise(meester, b.id, role=MentorRole.MEESTER)
    assert not may_supervise(meester, b.id, role=MentorRole.GEZEL)
    service.leave(network=network, company=b, by=ub)
    assert service.partner_company_ids(a.id) == set()
    assert not may_supervise(meester, b.id)
    assert _actions()[-4:] == [
        "network.create",
        "network.invite",
        "network.accept",
        "network.leave",
    ]
    # Invited again after leaving: not a member until accepted again.
    service.invite(network=network, company=a, kvk_number=b.kvk_number, by=ua)
    assert (
        db.session.scalar(select(NetworkMember.status).where(NetworkMember.company_id == b.id))
        == INVITED
    )
    service.leave(network=network, company=b, by=ub)  # declining
    assert _actions()[-1] == "network.decline"


@pytest.mark.parametrize("kvk, message", [
    ("1234", "8 cijfers"), ("99999999", "geen leerbedrijf"), ("own", "eigen bedrijf"),
    ("member", "al lid"), ("invited", "al uitgenodigd"),
])  # fmt: skip
def test_invitations_that_cannot_be(make, kvk, message):
    network, smithy, (partner,), _m = _network(make)
    other = make.company()
    service.invite(network=network, company=smithy, kvk_number=other.kvk_number)
    number = {"own": smithy.kvk_number, "member": partner.kvk_number,
              "invited": other.kvk_number}.get(kvk, kvk)  # fmt: skip
    with pytest.raises(DomainError, match=message):
        service.invite(network=network, company=smithy, kvk_number=number)


def test_an_inactive_or_unrelated_mentor_may_not_supervise(make):
    network, smithy, (partner,), meester = _network(make)
    stranger = make.company()
    assert may_supervise(meester, smithy.id) and may_supervise(meester, partner.id)
    assert not may_supervise(meester, stranger.id)
    meester.active = False
    assert not may_supervise(meester, partner.id)
    assert supervisors_for(partner.id) == []
    meester.active = True
    own = make.meester(partner, name="Piet Eigen")
    assert supervisors_for(partner.id, MentorRole.MEESTER) == [own, meester]  # own firm first


# --- supervision across firms ------------------------------------------------------------------


def test_a_place_may_name_a_partners_meester_and_gezel_only_within_the_network(make):
    q = make.qualification()
    smithy, solo = make.company(qualifications=[q]), make.company(qualifications=[q])
    meester = make.meester(smithy, capacity=3)
    gezel = Mentor(company=smithy, role=MentorRole.GEZEL, name="Gijs Gezel", meester=meester)
    db.session.add(gezel)
    db.session.commit()
    with pytest.raises(placement_service.PublishRefused) as refused:
        placement_service.save_placement(
            company=solo, data=_data(solo, meester, gezel), publish=True
        )
    assert {p.field for p in refused.value.problems} == {"meester", "gezel"}
    assert db.session.scalar(select(Placement.id)) is None
    network = service.create(company=smithy, name="Smeden")
    service.invite(network=network, company=smithy, kvk_number=solo.kvk_number)
    service.accept(network=network, company=solo)
    place = placement_service.save_placement(
        company=solo, data=_data(solo, meester, gezel), publish=True
    )
    assert (place.status, place.company_id, place.meester_id, place.gezel_id) == (
        PlacementStatus.OPEN,
        solo.id,
        meester.id,
        gezel.id,
    )


def test_accreditation_stays_with_the_places_own_firm(make):
    q, other_q = make.qualification(), make.qualification("25180")
    network, smithy, (partner,), meester = _network(make, capacity=3)
    smithy.accreditations[0].qualification = other_q  # only the partner is accredited for q
    db.session.commit()
    with pytest.raises(placement_service.PublishRefused, match="geen geldige erkenning"):
        placement_service.save_placement(
            company=smithy, data=_data(smithy, meester, qualifications=[q]), publish=True
        )
    place = placement_service.save_placement(
        company=partner, data=_data(partner, meester, qualifications=[q]), publish=True
    )
    assert place.status == PlacementStatus.OPEN


def test_leaving_is_refused_while_a_place_depends_on_the_partners_meester(make):
    network, smithy, (partner,), meester = _network(make)
    place = make.placement(partner, meester)
    db.session.commit()
    assert [p.id for p in service.leave_problems(network, partner)] == [place.id]
    with pytest.raises(DomainError, match="Eerst aanpassen"):
        service.leave(network=network, company=smithy)
    assert service.partner_company_ids(partner.id) == {smithy.id}
    placement_service.close(place)
    service.leave(network=network, company=smithy)
    assert service.membership(db.session.get(type(network), network.id), smithy.id).status == LEFT


def test_an_agreement_amendment_may_name_a_partners_meester(make):
    from stagematch.services.agreements import TEXT_FIELDS, Changes, _check_changes, meester_choices

    network, smithy, (partner,), meester = _network(make, capacity=3)
    own = make.meester(partner, name="Piet Eigen", capacity=3)
    place = make.placement(partner, own)
    application = Application(student=make.student().profile, placement=place)
    db.session.add(application)
    db.session.commit()
    internship = application_service.accept(application.id)
    assert meester_choices(internship) == [own, meester]
    content = {"start_date": internship.start_date.isoformat(), "end_date": internship.end_date.isoformat(),
               "hours_per_week": 32, "schedule": "ma–do", "meester": {"id": meester.id},
               **dict.fromkeys(TEXT_FIELDS, "Zoals afgesproken.")}  # fmt: skip
    assert _check_changes(internship, Changes.from_content(content)) == meester
    service.leave(network=network, company=smithy)
    assert meester_choices(internship) == [own]
    with pytest.raises(DomainError, match="uit zijn netwerk"):
        _check_changes(internship, Changes.from_content(content))


def test_the_place_import_finds_a_partners_meester(client, make, auth):
    from tests.test_imports import _import_places, _place_row, _places

    network, smithy, (partner,), meester = _network(make, capacity=3)
    auth.login(make.company_user(partner))
    page = _import_places(client, _places(_place_row(partner, 1, meester="Henk Smid")))
    assert page.status_code == 200
    place = db.session.scalar(select(Placement).where(Placement.company_id == partner.id))
    assert place is not None and place.meester_id == meester.id


# --- capacity counted once per meester across firms -----------------------------------------------


def test_a_meester_with_capacity_one_takes_one_learner_across_two_firms(make):
    network, smithy, (partner,), meester = _network(make, capacity=1)
    at_smithy = make.placement(smithy, meester, seats=1)
    application = Application(student=make.student().profile, placement=at_smithy)
    db.session.add(application)
    db.session.commit()
    application_service.accept(application.id)
    # Publishing a second place at the partner: the meester's one seat is taken at the smithy.
    with pytest.raises(placement_service.PublishRefused, match="Henk Smid kan nog 0 leerling"):
        placement_service.save_placement(
            company=partner, data=_data(partner, meester), publish=True
        )
    assert db.session.scalar(select(Placement.id).where(Placement.company_id == partner.id)) is None
    # A place at the partner that is open anyway (put online before the hire) shows no room,
    # and nobody can apply to it, get an offer there or be hired.
    at_partner = make.placement(partner, meester, seats=1)
    db.session.commit()
    assert mentor_load(meester.id, start=at_partner.start_date, end=at_partner.end_date).active == 1
    assert place_rooms([at_partner.id])[at_partner.id].meester_room < 0
    student = make.student()
    db.session.commit()
    with pytest.raises(DomainError):
        application_service.apply(student=student.profile, placement=at_partner, motivation="")
    late = Application(student=make.student().profile, placement=at_partner)
    db.session.add(late)
    db.session.commit()
    with pytest.raises(DomainError):
        application_service.make_offer(late.id, respond_by=today() + timedelta(days=7))
    with pytest.raises(DomainError):
        application_service.accept(late.id)


def test_a_meesters_learners_at_a_partner_count_on_their_own_firms_page(client, make, auth):
    network, smithy, (partner,), meester = _network(make, capacity=2)
    place = make.placement(partner, meester, seats=1)
    application = Application(student=make.student().profile, placement=place)
    db.session.add(application)
    db.session.commit()
    application_service.accept(application.id)
    auth.login(make.company_user(smithy))
    page = client.get("/leerbedrijf/begeleiders").get_data(as_text=True)
    assert "1 bezig + 0 gereserveerd / 2" in page


def test_allocation_round_capacity_counts_the_partners_learners(make):
    from stagematch.services.capacity import round_capacity

    network, smithy, (partner,), meester = _network(make, capacity=1)
    place = make.placement(partner, meester, seats=1)
    application = Application(student=make.student().profile, placement=place)
    db.session.add(application)
    db.session.commit()
    application_service.accept(application.id)
    at_smithy = make.placement(smithy, meester, seats=1, status=PlacementStatus.DRAFT)
    seats, meester_room = round_capacity([at_smithy])
    assert meester_room[meester.id] == 0


@pytest.fixture
def postgres(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent writers with row locks; set TEST_DATABASE_URL")


def test_two_firms_publishing_for_one_meester_at_once_get_one_seat(app, make, postgres):
    """Capacity 1, a draft at the smithy and one at the partner, published at the same moment:
    exactly one goes online, repeated so that an unserialised check would show."""
    for _round in range(5):
        network, smithy, (partner,), meester = _network(make, capacity=1)
        drafts = [make.placement(c, meester, seats=1, status=PlacementStatus.DRAFT).id
                  for c in (smithy, partner)]  # fmt: skip
        db.session.commit()
        jobs = [lambda pid=pid: placement_service.publish(db.session.get(Placement, pid))
                for pid in drafts]  # fmt: skip
        outcomes = run_together(app, jobs)
        db.session.expire_all()
        assert sorted(outcomes) == [OK, REFUSED], outcomes
        open_ = db.session.scalars(
            select(Placement.id).where(
                Placement.id.in_(drafts), Placement.status == PlacementStatus.OPEN
            )
        ).all()
        assert len(open_) == 1


# --- rotation and the chain on the pages ---------------------------------------------------------


def test_rotation_only_between_the_own_firm_and_partners(make):
    network, smithy, (partner,), meester = _network(make, capacity=2)
    place = make.placement(smithy, meester)
    stranger = make.company()
    db.session.commit()
    rows = [service.RotationInput(smithy.id, ["ma", "di", "wo"], ""),
            service.RotationInput(partner.id, ["do"], "")]  # fmt: skip
    with pytest.raises(DomainError, match="netwerk"):
        service.set_rotation(
            placement=place, rows=[*rows, service.RotationInput(stranger.id, ["vr"], "")]
        )
    with pytest.raises(DomainError, match="dagen"):
        service.set_rotation(placement=place, rows=[service.RotationInput(partner.id, [], " ")])
    assert db.session.scalar(select(PlaceRotation.id)) is None
    service.set_rotation(placement=place, rows=rows)
    chain = service.chain(place)
    assert [(s.company.name, s.days) for s in chain.stops] == [
        ("Smederij Het Vuur", "maandag–woensdag"),
        ("Meubelmakerij 0", "donderdag"),
    ]
    assert chain.shared and _actions()[-1] == "placement.rotation"


def test_networks_pages_create_invite_accept_and_leave(client, make, auth):
    q = make.qualification()
    smithy, partner = make.company(qualifications=[q]), make.company(qualifications=[q])
    smith, carpenter = make.company_user(smithy), make.company_user(partner)
    auth.login(smith)
    assert client.post("/leerbedrijf/netwerken", data={"net-name": ""}).status_code == 422
    response = client.post("/leerbedrijf/netwerken", data={"net-name": "Ambacht Twente"})
    assert response.status_code == 302
    url = response.headers["Location"]
    bad = client.post(url, data={"inv-kvk_number": "12"})
    assert bad.status_code == 422 and "8 cijfers" in bad.get_data(as_text=True)
    assert client.post(url, data={"inv-kvk_number": partner.kvk_number}).status_code == 302
    auth.logout()
    auth.login(carpenter)
    page = client.get("/leerbedrijf/netwerken").get_data(as_text=True)
    assert "Ambacht Twente" in page and "nog niet geaccepteerd" in page
    assert client.post(url, data={"inv-kvk_number": smithy.kvk_number}).status_code == 403
    network_id = int(url.rstrip("/").rsplit("/", 1)[1])
    assert client.post(f"/leerbedrijf/netwerken/{network_id}/accepteren").status_code == 302
    assert service.partner_company_ids(partner.id) == {smithy.id}
    confirm = client.get(f"/leerbedrijf/netwerken/{network_id}/verlaten")
    assert confirm.status_code == 200 and "Ja, uit het netwerk stappen" in confirm.get_data(
        as_text=True
    )
    # A POST without the confirmation leaves nothing.
    client.post(f"/leerbedrijf/netwerken/{network_id}/verlaten")
    assert service.partner_company_ids(partner.id) == {smithy.id}
    client.post(f"/leerbedrijf/netwerken/{network_id}/verlaten", data={"bevestigd": "ja"})
    assert service.partner_company_ids(partner.id) == set()
    # Someone else's network: not found.
    auth.logout()
    auth.login(make.company_user())
    assert client.get(url).status_code == 404


def test_the_place_form_offers_and_saves_a_partners_meester(client, make, auth):
    network, smithy, (partner,), meester = _network(make, capacity=2)
    auth.login(make.company_user(partner))
    form = client.get("/leerbedrijf/plekken/nieuw").get_data(as_text=True)
    assert "Henk Smid (Smederij Het Vuur)" in form
    response = client.post("/leerbedrijf/plekken/nieuw", data=_place_form(partner, meester))
    assert response.status_code == 302, response.get_data(as_text=True)
    place = db.session.scalar(select(Placement).where(Placement.company_id == partner.id))
    assert place.meester_id == meester.id and place.status == PlacementStatus.OPEN


def test_place_and_placement_pages_show_the_whole_chain(client, make, auth):
    network, smithy, (partner,), meester = _network(make, capacity=2)
    gezel = Mentor(company=smithy, role=MentorRole.GEZEL, name="Gijs Gezel", meester=meester)
    db.session.add(gezel)
    place = make.placement(partner, meester, gezel=gezel)
    db.session.commit()
    owner = make.company_user(partner)
    auth.login(owner)
    form = {"csrf_token": "", "rows-0-company": str(smithy.id), "rows-0-weekdays": ["ma", "di", "wo"],
            "rows-1-company": str(partner.id), "rows-1-weekdays": ["do"], "rows-1-period": ""}  # fmt: skip
    assert client.post(f"/leerbedrijf/plekken/{place.id}/rooster", data=form).status_code == 302
    stranger = {"rows-0-company": str(make.company().id), "rows-0-weekdays": ["vr"]}
    db.session.commit()
    refused = client.post(f"/leerbedrijf/plekken/{place.id}/rooster", data=stranger)
    assert refused.status_code == 422
    auth.logout()
    page = client.get(f"/plekken/{place.id}").get_data(as_text=True)
    assert "maandag–woensdag" in page and "donderdag" in page and "Smederij Het Vuur" in page
    student = make.student()
    application = Application(student=student.profile, placement=place)
    db.session.add(application)
    db.session.commit()
    internship = application_service.accept(application.id)
    auth.login(student)
    page = client.get(f"/stage/{internship.id}").get_data(as_text=True)
    assert "Waar je werkt en wie je begeleidt" in page and "maandag–woensdag" in page
    assert "Gijs Gezel, Smederij Het Vuur" in page
    auth.logout()
    auth.login(owner)
    assert "maandag–woensdag" in client.get(f"/stage/{internship.id}").get_data(as_text=True)


def test_the_sqi_gives_a_solo_firms_place_the_partners_gezel(make):
    from stagematch.matching import sqi
    from stagematch.services.eligibility import place_data_for

    network, smithy, (solo,), meester = _network(make, capacity=2)
    gezel = Mentor(company=smithy, role=MentorRole.GEZEL, name="Gijs Gezel", meester=meester)
    db.session.add(gezel)
    with_gezel = make.placement(solo, meester, gezel=gezel)
    without = make.placement(solo, meester)
    db.session.commit()
    shared, alone = place_data_for(with_gezel), place_data_for(without)
    assert shared.gezel and shared.meester.has_gezel and not alone.meester.has_gezel
    assert sqi.structure(shared.meester) - sqi.structure(alone.meester) == pytest.approx(20)
    assert shared.meester_id == meester.id


def test_the_places_firm_ranks_the_students_for_a_partners_meester_in_a_round(client, make, auth):
    """Reported with cross-firm supervision: the partner firm's round page listed the smithy's
    meester's queue, but saving its order was refused (403: not the firm's own mentor)."""
    from stagematch.services import allocation_rounds as rounds

    network, smithy, (partner,), meester = _network(make, capacity=2)
    place = make.placement(partner, meester, seats=1)
    students = [make.student(), make.student()]
    school = students[0].profile.school
    coordinator = make.coordinator(school)
    db.session.commit()
    round_ = rounds.open_round(
        school=school, name="Ronde", closes_on=today() + timedelta(days=7), max_choices=2,
        cohort=rounds.Cohort(qualification_id=students[0].profile.qualification_id),
        created_by=coordinator,
    )  # fmt: skip
    for student in students:
        rounds.save_student_choices(round_, student.profile, {place.id: 1})
    auth.login(make.company_user(partner))
    page = client.get(f"/leerbedrijf/verdeelrondes/{round_.id}")
    assert page.status_code == 200 and "Henk Smid" in page.text
    first, second = (s.profile.id for s in students)
    response = client.post(f"/leerbedrijf/verdeelrondes/{round_.id}",
                           data={"meester": meester.id, f"rang-{second}": "1", f"rang-{first}": "2"})  # fmt: skip
    assert response.status_code == 302
    [queue] = rounds.meester_queues(round_, partner.id)
    assert [a.student_id for a in queue.applicants] == [second, first] and queue.saved
    # Another firm still cannot rank for this meester.
    auth.logout()
    auth.login(make.company_user(make.company()))
    assert client.post(f"/leerbedrijf/verdeelrondes/{round_.id}",
                       data={"meester": meester.id, f"rang-{first}": "1"}).status_code in (403, 404)  # fmt: skip


# --- demo ------------------------------------------------------------------------------------------


def test_the_demo_has_networks_of_solo_firms_sharing_a_meester_within_the_rules(app):
    from stagematch.demo import generate
    from stagematch.models import LeerbedrijfNetwork

    summary = generate(students=200, companies=90, seed=18)
    db.session.expire_all()
    assert summary.counts["leerbedrijfnetwerken"] >= 2
    assert any(login[2].startswith("netwerk") for login in summary.logins)
    shared = [p for p in db.session.scalars(select(Placement))
              if p.meester.company_id != p.company_id]  # fmt: skip
    assert len(shared) == summary.counts["leerbedrijfnetwerken"]
    for place in shared:
        assert may_supervise(place.meester, place.company_id, role=MentorRole.MEESTER)
        assert place.company.size_band == "1" and place.meester.company.size_band == "1"
        assert all(
            place.company.accredited_for(q.id, place.start_date) for q in place.qualifications
        )
        room = place_rooms([place.id])[place.id]
        assert room.meester_room >= 0 and room.seats_free == 1
        assert len(service.chain(place).stops) == 2
    assert len(db.session.scalars(select(LeerbedrijfNetwork)).all()) == len(shared)


def test_an_open_invitation_shows_on_the_invited_firms_home(client, make, auth):
    """Issue 18 audit gap 4: a banner on the home page while the invitation is open."""
    q = make.qualification()
    smithy, joiner = make.company(qualifications=[q]), make.company(qualifications=[q])
    inviter, invited = make.company_user(smithy), make.company_user(joiner)
    network = service.create(company=smithy, name="Ambacht Twente", by=inviter)
    service.invite(network=network, company=smithy, kvk_number=joiner.kvk_number, by=inviter)
    auth.login(invited)
    page = client.get("/leerbedrijf/").text
    assert "Ambacht Twente" in page and f"/leerbedrijf/netwerken/{network.id}" in page
    service.accept(network=network, company=joiner, by=invited)
    assert "uitnodiging" not in client.get("/leerbedrijf/").text.lower()
    auth.login(inviter)  # the inviting firm has no banner
    assert "Ambacht Twente" not in client.get("/leerbedrijf/").text


def _onboarding(page: str) -> str:
    return page.split('class="onboarding"', 1)[1].split("</article>", 1)[0]


def test_a_firm_without_a_meester_is_offered_a_network_in_onboarding(client, make, auth):
    """Issue 18 audit gap 5: a one-person firm need not have its own meester."""
    from stagematch.models.enums import SizeBand

    solo = make.company(qualifications=[make.qualification()])
    solo.size_band = SizeBand.SOLO
    db.session.commit()
    auth.login(make.company_user(solo))
    steps = _onboarding(client.get("/leerbedrijf/").text)
    assert "Een meester toevoegen" in steps and "/leerbedrijf/begeleiders/nieuw" in steps
    assert "samen opleiden in een netwerk" in steps and 'href="/leerbedrijf/netwerken"' in steps


def test_a_partners_meester_counts_as_the_firms_meester_in_onboarding(client, make, auth):
    network, smithy, (partner,), meester = _network(make, capacity=2)
    user = make.company_user(partner)
    db.session.commit()
    auth.login(user)
    steps = _onboarding(client.get("/leerbedrijf/").text)
    assert "Een meester toevoegen" not in steps and "samen opleiden" not in steps
    assert "Henk Smid" in steps and "Smederij Het Vuur" in steps  # done, through the network
    service.leave(network=network, company=partner, by=user)
    assert "Een meester toevoegen" in _onboarding(client.get("/leerbedrijf/").text)


def test_the_welcome_flash_mentions_a_network(client, make):
    from stagematch.services.accounts import confirmation_token

    user = make.company_user()
    user.is_active_account, user.last_login_at = False, None
    db.session.commit()
    response = client.post(f"/account/bevestigen/{confirmation_token(user)}", follow_redirects=True)
    [welcome] = re.findall(r'class="flash flash-success"[^>]*>([^<]*)<', response.text)
    assert "meester" in welcome and "netwerk" in welcome
