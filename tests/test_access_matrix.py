"""Every route of the site, requested as every kind of visitor, with the expected answer.

A new route without an entry in ROUTES fails `test_every_route_has_an_entry`, so access rules are
decided on purpose. Object-level checks are included: another company's place, another school's
student, another student's CV, application, evaluation and saved search."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import (
    ActingConsent,
    AdCheck,
    AllocationRound,
    Application,
    CompanyInvitation,
    Flag,
    Job,
    Notification,
    Objection,
    RoundPlace,
    RoundStudent,
    SavedSearch,
    School,
    SchoolContact,
)
from stagematch.services import applications as application_service
from stagematch.services.accounts import password_token
from stagematch.services.alerts import unsubscribe_token
from stagematch.services.companies import invitation_token
from stagematch.services.flags import refresh_flags
from stagematch.services.students import store_cv
from stagematch.services.tokens import create_token
from stagematch.timeutil import today
from tests.conftest import PASSWORD

ROLES = [
    "anon",
    "student",
    "student2",
    "company",
    "company2",
    "coordinator",
    "coordinator2",
    "admin",
    "jobcoach",  # issue 18: the student gave this job coach a consent
    "jobcoach2",
]
OK, DENY, LOGIN, TOKEN = "ok", "deny", "login", "token"
HIDDEN = "hidden"  # someone else's job: 404, so its id tells nothing


@dataclass
class World:
    users: dict
    ids: dict


def build_world(make) -> World:
    roc = make.school()
    deltion = db.session.scalar(select(School).where(School.name == "Deltion College"))
    student = make.student(school=roc)
    student2 = make.student(school=deltion)
    company = make.company()
    company2 = make.company()
    meester = make.meester(company, capacity=8)
    meester2 = make.meester(company2)
    place = make.placement(company, meester, seats=3)
    place_running = make.placement(company, meester, seats=3)
    place2 = make.placement(company2, meester2)
    # The student's running internship (for evaluations) and an open application elsewhere.
    running = Application(student=make.student(school=roc).profile, placement=place_running)
    db.session.add(running)
    db.session.commit()
    internship = application_service.accept(running.id)
    internship.start_date = today() - timedelta(days=90)
    for e in internship.evaluations:
        e.due_date = today() + timedelta(days=2)
    application = Application(student=student.profile, placement=place, motivation="Graag.")
    db.session.add(application)
    saved = SavedSearch(user=student, name="Mijn zoektocht", query_string="crebo=25180")
    db.session.add(saved)
    db.session.commit()
    suggested = make.student(school=roc, discoverable=True, skills="koken")
    # An allocation round of the student's school with one of the company's places, and an offer
    # at a third company (an offer reveals the student to that company only).
    place_round = make.placement(company, meester, seats=1)
    company3 = make.company()
    place_offer = make.placement(company3, make.meester(company3), seats=1)
    round_ = AllocationRound(school_id=roc.id, name="Ronde", closes_on=today() + timedelta(days=7))
    round_.students.append(RoundStudent(student_id=student.profile.id))
    round_.places.append(RoundPlace(placement_id=place_round.id))
    round_.places.append(RoundPlace(placement_id=place_offer.id))
    db.session.add(round_)
    db.session.flush()
    offer = Application(student=student.profile, placement=place_offer, status="offered",
                        round_id=round_.id, anonymous=False)  # fmt: skip
    db.session.add(offer)
    store_cv(student.profile, io.BytesIO(b"%PDF-1.4 test cv"))
    refresh_flags(roc)
    token, _ = create_token(student, "koppeling")
    invitation = CompanyInvitation(
        company_id=company.id, email="nieuw@bedrijf.nl", name="Nieuwe Collega"
    )
    db.session.add(invitation)
    flag = db.session.scalar(select(Flag).where(Flag.school_id == roc.id))
    coordinator = make.coordinator(roc)
    job = Job(id="a" * 32, kind="student_import", owner_id=coordinator.id, status="done")
    db.session.add(job)
    notification = Notification(user=student, kind="application_shortlisted", subject_key="t",
                                message_data={"text": "Test"}, url="/student/sollicitaties")  # fmt: skip
    db.session.add(notification)
    users = {
        "student": student, "student2": student2,
        "company": make.company_user(company), "company2": make.company_user(company2),
        "coordinator": coordinator, "coordinator2": make.coordinator(deltion), "admin": make.admin(),
        "jobcoach": make.user("job_coach", organisation="UWV"),
        "jobcoach2": make.user("job_coach", organisation="Gemeente Hengelo"),
    }  # fmt: skip
    db.session.commit()
    objection = Objection(school_id=roc.id, role="student", student_id=student.profile.id,
                          raised_by_id=student.id, assigned_to_id=coordinator.id,
                          placement_id=place.id, text="Deze plek past niet bij mij.")  # fmt: skip
    db.session.add(objection)
    # A text of the company's place under review: the student's school (a host) reviews it.
    ad_check = AdCheck(placement_id=place.id, company_id=company.id, outcome="review",
                       hits=[{"term": "jong team", "category": "leeftijd", "field": "tasks",
                              "excerpt": "jong team", "severity": "review", "rule": "x"}])  # fmt: skip
    db.session.add(ad_check)
    contact = SchoolContact(school=roc, name="Petra Contact", email="petra@roc.nl")  # issue 18
    db.session.add(contact)
    from stagematch.models import LeerbedrijfNetwork, NetworkMember  # issue 18: company's network

    network = LeerbedrijfNetwork(
        name="Netwerk", members=[NetworkMember(company_id=company.id, status="member")]
    )
    db.session.add(network)
    # The student lets the coordinator apply for them (issue 18, item 5).
    consent = ActingConsent(student=student.profile, coordinator=coordinator,
                            expires_on=today() + timedelta(days=30))  # fmt: skip
    db.session.add(consent)
    db.session.add(ActingConsent(student=student.profile, helper=users["jobcoach"],
                                 expires_on=today() + timedelta(days=30)))  # fmt: skip
    db.session.commit()
    evaluation_student = next(e for e in internship.evaluations if e.author_role == "student")
    evaluation_meester = next(e for e in internship.evaluations if e.author_role == "meester")
    ids = dict(
        place=place.id, place2=place2.id, application=application.id, mentor=meester.id,
        accreditation=company.accreditations[0].id, internship=internship.id, profile=student.profile.id,
        internship_student=internship.student_id, flag=flag.id, saved=saved.id, alert_token=unsubscribe_token(saved),
        evaluation_student=evaluation_student.id, evaluation_meester=evaluation_meester.id,
        internship_user=internship.student.user.id, token=password_token(student), token_id=token.id, suggested=suggested.profile.id,
        round=round_.id, offer=offer.id, company=company.id,
        invitation=invitation.id, invitation_token=invitation_token(invitation), job=job.id,
        notification=notification.id, objection=objection.id, ad_check=ad_check.id,
        contact=contact.id, consent=consent.id, network=network.id,
    )  # fmt: skip
    return World(users, ids)


def everyone(expectation: str) -> dict:
    return dict.fromkeys(ROLES, expectation)


def only(*roles: str, anon: str = LOGIN) -> dict:
    result = {role: (OK if role in roles else DENY) for role in ROLES}
    result["anon"] = anon
    return result


# Pages about your own things: every user of the role may open them (and sees only their own).
STUDENTS, COMPANIES, COORDINATORS = (
    only("student", "student2"),
    only("company", "company2"),
    only("coordinator", "coordinator2"),
)
# Pages about one object: only its owner; the other user of the same role gets 403.
STUDENT, COMPANY, COORDINATOR, ADMIN = (
    only("student"),
    only("company"),
    only("coordinator"),
    only("admin"),
)
LOGGED_IN = {**everyone(OK), "anon": LOGIN}
# The placement page: its student, its leerbedrijf and the student's school.
PLACEMENT_PARTIES = {**everyone(DENY), "anon": LOGIN, "internship_student": OK, "company": OK,
                     "coordinator": OK}  # fmt: skip
CASE = {**everyone(HIDDEN), "anon": LOGIN, "coordinator": OK, "admin": OK}

# endpoint: (method, url template, expectations, form data)
ROUTES: dict[str, tuple[str, str, dict, dict | None]] = {
    "static": ("GET", "/static/css/app.css", everyone(OK), None),
    "main.index": ("GET", "/", everyone(OK), None),
    "healthz": ("GET", "/healthz", everyone(OK), None),
    "main.statistics": ("GET", "/statistieken", everyone(OK), None),
    "auth.tokens": ("GET", "/account/sleutels", LOGGED_IN, None),
    "auth.revoke_token": ("POST", "/account/sleutels/{token_id}/intrekken", STUDENT, None),
    # The API answers to tokens, not to the site's session cookie (tested with tokens in test_api).
    "api.places": ("GET", "/api/v1/places", everyone(TOKEN), None),
    "api.place": ("GET", "/api/v1/places/{place}", everyone(TOKEN), None),
    "api.student_matches": ("GET", "/api/v1/students/{profile}/matches", everyone(TOKEN), None),
    "api.company_places": ("GET", "/api/v1/company/places", everyone(TOKEN), None),
    "api.company_applicants": ("GET", "/api/v1/company/applicants", everyone(TOKEN), None),
    "api.school_internships": ("GET", "/api/v1/school/internships", everyone(TOKEN), None),
    "api.school_flags": ("GET", "/api/v1/school/flags", everyone(TOKEN), None),
    "api.internship": ("GET", "/api/v1/internships/{internship}", everyone(TOKEN), None),
    "api.internship_agreement_pdf": ("GET", "/api/v1/internships/{internship}/agreement.pdf", everyone(TOKEN), None),
    "api.export_json": ("GET", "/api/v1/export/places.json", everyone(OK), None),
    "api.export_csv": ("GET", "/api/v1/export/places.csv", everyone(OK), None),
    "api.statistics": ("GET", "/api/v1/statistics", everyone(OK), None),
    "api.openapi": ("GET", "/api/v1/openapi.json", everyone(OK), None),
    "api.docs": ("GET", "/api/v1/docs", everyone(OK), None),
    "main.home": ("GET", "/home", LOGGED_IN, None),
    "main.admin_home": ("GET", "/beheer", ADMIN, None),
    "main.audit_log": ("GET", "/beheer/logboek", ADMIN, None),
    "main.model_card": ("GET", "/beheer/model", ADMIN, None),
    # No model version in this world: the administrator gets 404, everyone else no further.
    "main.model_review": ("GET", "/beheer/model/999999/beoordelen", {**ADMIN, "admin": HIDDEN}, None),
    "main.model_documentation": ("GET", "/beheer/model/999999/documentatie", {**ADMIN, "admin": HIDDEN}, None),
    # The instructions for deployers: the schools' coordinators (and administrators).
    "main.deployer_instructions": ("GET", "/coordinator/uitleg", only("coordinator", "coordinator2", "admin"), None),
    "main.job": ("GET", "/taken/{job}", {**everyone(HIDDEN), "anon": LOGIN, "coordinator": OK, "admin": OK}, None),
    "main.job_file": ("GET", "/taken/{job}/bestand", {**everyone(HIDDEN), "anon": LOGIN, "coordinator": OK}, None),
    "main.sbb_register": ("GET", "/beheer/sbb-register", ADMIN, None),
    "admin.users": ("GET", "/beheer/gebruikers", ADMIN, None),
    "admin.user": ("GET", "/beheer/gebruikers/{internship_user}", ADMIN, None),
    # Actions: the GET is the confirmation page (the POST needs bevestigd=ja; test_admin).
    "admin.user_action": ("GET", "/beheer/gebruikers/{internship_user}/uitzetten", ADMIN, None),
    "admin.companies": ("GET", "/beheer/bedrijven", ADMIN, None),
    "admin.company": ("GET", "/beheer/bedrijven/{company}", ADMIN, None),
    "admin.company_action": ("GET", "/beheer/bedrijven/{company}/uitzetten", ADMIN, None),
    "admin.resend_invitation": ("GET", "/beheer/uitnodigingen/{invitation}/opnieuw", ADMIN, None),
    "admin.mail_log": ("GET", "/beheer/mail", ADMIN, None),
    "admin.jobs": ("GET", "/beheer/taken", ADMIN, None),
    "admin.ranking_log": ("GET", "/beheer/ranglijsten", ADMIN, None),
    "admin.monitoring": ("GET", "/beheer/monitoring", ADMIN, None),
    "main.privacy": ("GET", "/privacy", everyone(OK), None),
    "main.set_language": ("POST", "/taal", everyone(OK), {"taal": "en", "next": "/"}),
    "students.privacy": ("GET", "/student/privacy", STUDENTS, None),
    "students.export_data": ("GET", "/student/mijn-gegevens.zip", STUDENTS, None),
    "auth.login": ("GET", "/account/inloggen", everyone(OK), None),
    "auth.logout": ("POST", "/account/uitloggen", LOGGED_IN, None),
    "auth.register": ("GET", "/account/registreren", everyone(OK), None),
    "auth.register_student": ("GET", "/account/registreren/student", everyone(OK), None),
    "auth.register_company": ("GET", "/account/registreren/leerbedrijf", everyone(OK), None),
    "auth.forgot_password": ("GET", "/account/wachtwoord-vergeten", everyone(OK), None),
    "auth.set_password": ("GET", "/account/wachtwoord/{token}", everyone(OK), None),
    "auth.account": ("GET", "/account/", LOGGED_IN, None),
    "auth.logout_everywhere": ("POST", "/account/overal-uitloggen", LOGGED_IN, None),
    "auth.check_mail": ("GET", "/account/kijk-in-je-mail", everyone(OK), None),
    "auth.confirm_email": ("GET", "/account/bevestigen/geen-geldige-link", everyone(OK), None),
    "places.search_page": ("GET", "/plekken/", everyone(OK), None),
    "places.detail": ("GET", "/plekken/{place}", everyone(OK), None),
    "places.suggestions": ("GET", "/plekken/suggesties?veld=plaats&q=zwo", everyone(OK), None),
    "places.apply": ("GET", "/plekken/{place2}/solliciteren", STUDENTS, None),
    "students.home": ("GET", "/student/", STUDENTS, None),
    "students.profile": ("GET", "/student/profiel", STUDENTS, None),
    "students.own_cv": ("GET", "/student/cv", STUDENTS, None),  # student2 has no CV: 404
    "students.delete_cv": ("POST", "/student/cv/verwijderen", STUDENTS, None),
    # Only the student themself: companies see a CV only after shortlisting (tested elsewhere).
    "students.cv": ("GET", "/student/{profile}/cv", {**everyone(DENY), "anon": LOGIN, "student": OK}, None),
    "students.applications": ("GET", "/student/sollicitaties", STUDENTS, None),
    "students.withdraw": ("POST", "/student/sollicitaties/{application}/intrekken", STUDENT, None),
    "students.report": ("GET", "/student/sollicitaties/{application}/melden", STUDENT, None),
    "students.saved_searches": ("GET", "/student/zoekopdrachten", STUDENTS, None),
    "students.delete_saved_search": ("POST", "/student/zoekopdrachten/{saved}/verwijderen", STUDENT, None),
    "students.toggle_alert": ("POST", "/student/zoekopdrachten/{saved}/mail", STUDENT, {"alert": "0"}),
    # Public: the signed link in the alert mail is the key (no login, so it works after logging out).
    "students.unsubscribe_alert": ("GET", "/student/zoekopdrachten/uit/{alert_token}", everyone(OK), None),
    "students.favourites": ("GET", "/student/bewaard", STUDENTS, None),
    "students.save_place": ("POST", "/student/bewaard/{place}", STUDENTS, None),
    "students.remove_place": ("POST", "/student/bewaard/{place}/verwijderen", STUDENTS, None),
    "students.set_list_order": ("POST", "/student/volgorde", STUDENTS, {"order": "distance"}),
    "students.evaluation": ("GET", "/student/evaluaties/{evaluation_student}", {**STUDENT, "student": DENY, "internship_student": OK}, None),
    "companies.home": ("GET", "/leerbedrijf/", COMPANIES, None),
    "companies.profile": ("GET", "/leerbedrijf/bedrijf", COMPANIES, None),
    "companies.add_accreditation": ("POST", "/leerbedrijf/erkenningen", COMPANIES, {"acc-qualification": "25180", "acc-valid_from": "2024-01-01"}),
    "companies.remove_accreditation": ("POST", "/leerbedrijf/erkenningen/{accreditation}/verwijderen", COMPANY, None),
    "companies.add_colleague": ("POST", "/leerbedrijf/collegas", COMPANIES, {"col-name": "Nieuwe Collega", "col-email": "collega@bedrijf.nl"}),
    "companies.colleagues": ("GET", "/leerbedrijf/collegas", COMPANIES, None),
    "companies.revoke_invitation": ("POST", "/leerbedrijf/collegas/uitnodigingen/{invitation}/intrekken", COMPANY, None),
    # Public: the signed link is the key; a logged-in visitor is asked to log out first.
    "companies.accept_invitation": ("GET", "/leerbedrijf/uitnodiging/{invitation_token}", everyone(OK), None),
    "companies.mentors": ("GET", "/leerbedrijf/begeleiders", COMPANIES, None),
    "companies.new_mentor": ("GET", "/leerbedrijf/begeleiders/nieuw", COMPANIES, None),
    "companies.edit_mentor": ("GET", "/leerbedrijf/begeleiders/{mentor}", COMPANY, None),
    "companies.toggle_mentor": ("POST", "/leerbedrijf/begeleiders/{mentor}/actief", COMPANY, None),
    "companies.new_placement": ("GET", "/leerbedrijf/plekken/nieuw", COMPANIES, None),
    "companies.placement": ("GET", "/leerbedrijf/plekken/{place}", COMPANY, None),
    "companies.edit_placement": ("GET", "/leerbedrijf/plekken/{place}/bewerken", COMPANY, None),
    "companies.invite_student": ("POST", "/leerbedrijf/plekken/{place}/uitnodigen/{suggested}", COMPANY, None),
    "companies.placement_action": ("POST", "/leerbedrijf/plekken/{place}/bevestigen", COMPANY, None),
    "companies.import_placements": ("GET", "/leerbedrijf/plekken/importeren", COMPANIES, None),
    "companies.export_placements": ("GET", "/leerbedrijf/plekken/export.csv", COMPANIES, None),
    "companies.applications": ("GET", "/leerbedrijf/sollicitaties", COMPANIES, None),
    "companies.application": ("GET", "/leerbedrijf/sollicitaties/{application}", COMPANY, None),
    "companies.application_action": ("POST", "/leerbedrijf/sollicitaties/{application}/uitnodigen", COMPANY, None),
    "companies.make_offer": ("POST", "/leerbedrijf/sollicitaties/{application}/aanbod", COMPANY, None),
    "companies.export_applications": ("GET", "/leerbedrijf/sollicitaties/export.csv", COMPANIES, None),
    "companies.evaluation": ("GET", "/leerbedrijf/evaluaties/{evaluation_meester}", COMPANY, None),
    "coordinators.home": ("GET", "/coordinator/", COORDINATORS, None),
    "coordinators.students": ("GET", "/coordinator/studenten", COORDINATORS, None),
    "coordinators.student": ("GET", "/coordinator/studenten/{profile}", COORDINATOR, None),
    "coordinators.evc": ("GET", "/coordinator/studenten/{profile}/evc", COORDINATOR, None),
    "students.experience": ("GET", "/student/wat-kan-ik-al", STUDENTS, None),
    "students.choose_school": ("GET", "/student/school-kiezen", STUDENTS, None),
    "coordinators.acting_students": ("GET", "/coordinator/namens", COORDINATORS, None),
    "coordinators.acting_for": ("GET", "/coordinator/namens/{profile}", {**COORDINATOR, "coordinator2": HIDDEN}, None),
    "coordinators.apply_for": ("GET", "/coordinator/namens/{profile}/plek/{place2}", {**COORDINATOR, "coordinator2": HIDDEN}, None),
    "students.help_with_applying": ("GET", "/student/hulp", STUDENTS, None),
    # Job coaches (issue 18): a learner who gave no consent does not exist for the coach.
    "coaches.home": ("GET", "/jobcoach/", only("jobcoach", "jobcoach2"), None),
    "coaches.acting_for": ("GET", "/jobcoach/namens/{profile}", {**only("jobcoach"), "jobcoach2": HIDDEN}, None),
    "coaches.apply_for": ("GET", "/jobcoach/namens/{profile}/plek/{place2}", {**only("jobcoach"), "jobcoach2": HIDDEN}, None),
    "admin.new_job_coach": ("GET", "/beheer/gebruikers/jobcoach", ADMIN, None),
    "students.revoke_help": ("POST", "/student/hulp/{consent}/intrekken", STUDENT, None),
    "coordinators.without_place": ("GET", "/coordinator/zonder-plek", COORDINATORS, None),
    "coordinators.companies": ("GET", "/coordinator/bedrijven", COORDINATORS, None),
    "coordinators.ad_checks": ("GET", "/coordinator/advertenties", COORDINATORS, None),
    # Only a school that reviews the company (here: a host school) sees the check: else 404.
    "coordinators.ad_check": ("GET", "/coordinator/advertenties/{ad_check}",
                              {**COORDINATOR, "coordinator2": HIDDEN}, None),
    "coordinators.accreditations": ("GET", "/coordinator/erkenningen", COORDINATORS, None),
    # The company has open places, so every coordinator may check it (refusal: test_accreditations).
    "coordinators.company_accreditations": ("GET", "/coordinator/bedrijven/{company}/erkenningen", COORDINATOR, None),
    "coordinators.check_accreditation": ("POST", "/coordinator/erkenningen/{accreditation}/controleren", COORDINATOR, {"verdict": "verified"}),
    "coordinators.over_capacity": ("GET", "/coordinator/meesters-over-capaciteit", COORDINATORS, None),
    # The school's contact persons for companies (issue 18): another school's contact is 404.
    "coordinators.contacts": ("GET", "/coordinator/contactpersonen", COORDINATORS, None),
    "coordinators.new_contact": ("POST", "/coordinator/contactpersonen/nieuw", COORDINATORS, {"name": "A", "email": "a@b.nl"}),
    "coordinators.edit_contact": ("POST", "/coordinator/contactpersonen/{contact}",
                                  {**COORDINATOR, "coordinator2": HIDDEN}, {"name": "A", "email": "a@b.nl"}),
    "coordinators.delete_contact": ("POST", "/coordinator/contactpersonen/{contact}/verwijderen",
                                    {**COORDINATOR, "coordinator2": HIDDEN}, None),
    "coordinators.flags": ("GET", "/coordinator/signalen", COORDINATORS, None),
    "coordinators.resolve_flag": ("POST", "/coordinator/signalen/{flag}/afhandelen", COORDINATOR, {"note": "Gebeld."}),
    # A case: only coordinators of the flag's school and administrators; for anyone else it does not exist.
    "coordinators.case": ("GET", "/coordinator/signalen/{flag}", CASE, None),
    "coordinators.case_note": ("POST", "/coordinator/signalen/{flag}/notitie", CASE, {"text": "Gebeld met de student."}),
    "coordinators.case_owner": ("POST", "/coordinator/signalen/{flag}/eigenaar", CASE, {"owner": "0"}),
    "coordinators.case_take_over": ("POST", "/coordinator/signalen/{flag}/neem-over", CASE, None),
    "coordinators.case_priority": ("POST", "/coordinator/signalen/{flag}/prioriteit", CASE, {"priority": "high"}),
    "coordinators.case_message": ("POST", "/coordinator/signalen/{flag}/bericht", CASE, {"message": "We gaan het bespreken."}),
    "coordinators.case_resolve": ("POST", "/coordinator/signalen/{flag}/sluiten", CASE, {"note": "Gebeld."}),
    "coordinators.case_reopen": ("POST", "/coordinator/signalen/{flag}/heropenen", CASE, None),
    "coordinators.internships": ("GET", "/coordinator/stages", COORDINATORS, None),
    "coordinators.school_settings": ("GET", "/coordinator/school", COORDINATORS, None),
    "coordinators.bron_export": ("GET", "/coordinator/stages/bron", COORDINATORS, None),
    "coordinators.internship": ("GET", "/coordinator/stages/{internship}", COORDINATOR, None),
    "internships.index": ("GET", "/stage/", {**LOGGED_IN, "admin": DENY, "jobcoach": DENY, "jobcoach2": DENY}, None),
    "internships.subsidy_overview": ("GET", "/stage/subsidie", COMPANIES, None),
    "internships.page": ("GET", "/stage/{internship}", PLACEMENT_PARTIES, None),
    # Meetings: every party plans; the school or the company writes the notes. The assessment: every
    # party reads it (the student once submitted); only the school records its decision.
    "internships.meeting": ("GET", "/stage/{internship}/gesprekken/start", PLACEMENT_PARTIES, None),
    "internships.meeting_notes": ("GET", "/stage/{internship}/gesprekken/start/verslag",
                                  {**PLACEMENT_PARTIES, "internship_student": DENY}, None),
    "internships.assessment": ("GET", "/stage/{internship}/beoordeling", PLACEMENT_PARTIES, None),
    # Hours: the student (or the company for them) logs a week; only the company approves or corrects.
    "internships.hours": ("POST", "/stage/{internship}/uren", {**PLACEMENT_PARTIES, "coordinator": DENY},
                          {"week": "2026-11-16", "hours": "8"}),
    "internships.approve_hours": ("POST", "/stage/{internship}/uren/2026-11-16/goedkeuren",
                                  {**PLACEMENT_PARTIES, "internship_student": DENY, "coordinator": DENY}, {"gezien": "8"}),
    "internships.approve_all_hours": ("POST", "/stage/{internship}/uren/alles-goedkeuren",
                                      {**PLACEMENT_PARTIES, "internship_student": DENY, "coordinator": DENY},
                                      {"week": "2026-11-16=8"}),
    "internships.correct_hours": ("POST", "/stage/{internship}/uren/2026-11-16/corrigeren",
                                  {**PLACEMENT_PARTIES, "internship_student": DENY, "coordinator": DENY},
                                  {"gezien": "8", "hours": "7", "note": "Pauze eraf."}),
    "internships.assessment_decision": ("GET", "/stage/{internship}/beoordeling/besluit",
                                        {**PLACEMENT_PARTIES, "internship_student": DENY, "company": DENY}, None),
    # Ending early (any party asks, the requester withdraws, the school decides); the school's list.
    "internships.ending_request": ("GET", "/stage/{internship}/beeindigen", PLACEMENT_PARTIES, None),
    "internships.ending_withdraw": ("POST", "/stage/{internship}/beeindigen/intrekken", PLACEMENT_PARTIES, None),
    "internships.ending_decide": ("GET", "/stage/{internship}/beeindigen/besluit",
                                  {**PLACEMENT_PARTIES, "internship_student": DENY, "company": DENY}, None),
    "internships.replacement_discussed": ("POST", "/stage/{internship}/nieuwe-plek/besproken",
                                          {**PLACEMENT_PARTIES, "internship_student": DENY, "company": DENY}, None),
    "internships.ending_requests": ("GET", "/stage/beeindigen", COORDINATORS, None),
    # The agreement: every party reads and signs (in turn); the school draws it up and changes it (the
    # leerbedrijf proposes amendments too); the student gives a guardian's details; the guardian's page opens with a token (none here: 404).
    "internships.agreement": ("GET", "/stage/{internship}/overeenkomst", PLACEMENT_PARTIES, None),
    "internships.agreement_version": ("GET", "/stage/{internship}/overeenkomst/1", PLACEMENT_PARTIES, None),
    "internships.agreement_sign": ("POST", "/stage/{internship}/overeenkomst/1/tekenen", PLACEMENT_PARTIES, None),
    "internships.agreement_pdf": ("GET", "/stage/{internship}/overeenkomst/1.pdf", PLACEMENT_PARTIES, None),
    "internships.agreement_draw_up": ("POST", "/stage/{internship}/overeenkomst/opstellen",
                                      {**PLACEMENT_PARTIES, "internship_student": DENY, "company": DENY}, None),
    "internships.agreement_change": ("GET", "/stage/{internship}/overeenkomst/wijzigen",
                                     {**PLACEMENT_PARTIES, "internship_student": DENY}, None),
    "internships.agreement_guardian": ("GET", "/stage/{internship}/overeenkomst/ouder",
                                       {**PLACEMENT_PARTIES, "company": DENY, "coordinator": DENY}, None),
    "internships.agreement_birth_date": ("GET", "/stage/{internship}/overeenkomst/geboortedatum",
                                         {**PLACEMENT_PARTIES, "company": DENY, "coordinator": DENY}, None),
    "internships.agreement_resend": ("POST", "/stage/{internship}/overeenkomst/ouder/opnieuw",
                                     {**PLACEMENT_PARTIES, "company": DENY, "coordinator": DENY}, None),
    "internships.agreement_guardian_sign": ("GET", "/stage/overeenkomst/ouder/ongeldig", everyone(OK), None),
    "coordinators.import_students": ("GET", "/coordinator/studenten/importeren", COORDINATORS, None),
    "coordinators.rounds": ("GET", "/coordinator/verdeelrondes", COORDINATORS, None),
    "coordinators.new_round": ("GET", "/coordinator/verdeelrondes/nieuw", COORDINATORS, None),
    "coordinators.round_detail": ("GET", "/coordinator/verdeelrondes/{round}", COORDINATOR, None),
    "coordinators.round_compute": ("POST", "/coordinator/verdeelrondes/{round}/berekenen", COORDINATOR, None),
    "coordinators.round_reopen": ("POST", "/coordinator/verdeelrondes/{round}/heropenen", COORDINATOR, None),
    "coordinators.round_publish": ("POST", "/coordinator/verdeelrondes/{round}/publiceren", COORDINATOR, None),
    "coordinators.round_delete": ("POST", "/coordinator/verdeelrondes/{round}/verwijderen", COORDINATOR, None),
    "students.allocation_round": ("GET", "/student/verdeelronde/{round}", STUDENT, None),
    "students.accept_offer": ("POST", "/student/sollicitaties/{offer}/aanbod-aannemen", STUDENT, None),
    "students.decline_offer": ("POST", "/student/sollicitaties/{offer}/aanbod-afslaan", STUDENT, None),
    "companies.allocation_round": ("GET", "/leerbedrijf/verdeelrondes/{round}", COMPANY, None),
    # Objections to suggestions (issue 19): the explanation of an allowed suggestion; the objector's
    # own list; the school's coordinators (and administrators) handle them, for others they do not exist.
    "places.why": ("GET", "/plekken/{place}/waarom", STUDENTS, None),
    "students.objections": ("GET", "/student/bezwaren", STUDENTS, None),
    "companies.why_suggested": ("GET", "/leerbedrijf/plekken/{place}/voorgesteld/{suggested}/waarom", COMPANY, None),
    "companies.objections": ("GET", "/leerbedrijf/bezwaren", COMPANIES, None),
    # Leerbedrijf networks (issue 18): someone else's network is not found.
    "companies.networks": ("GET", "/leerbedrijf/netwerken", COMPANIES, None),
    "companies.network": ("GET", "/leerbedrijf/netwerken/{network}", {**COMPANY, "company2": HIDDEN}, None),
    "companies.accept_network": ("POST", "/leerbedrijf/netwerken/{network}/accepteren", {**COMPANY, "company2": HIDDEN}, None),
    "companies.leave_network": ("GET", "/leerbedrijf/netwerken/{network}/verlaten", {**COMPANY, "company2": HIDDEN}, None),
    "companies.place_rotation": ("GET", "/leerbedrijf/plekken/{place}/rooster", COMPANY, None),
    "coordinators.objections": ("GET", "/coordinator/bezwaren", {**COORDINATORS, "admin": OK}, None),
    "coordinators.objection": ("GET", "/coordinator/bezwaren/{objection}", {**only("coordinator", "admin"), "coordinator2": HIDDEN}, None),
    "notifications.index": ("GET", "/meldingen", LOGGED_IN, None),
    # Someone else's notification does not exist for you.
    "notifications.follow": ("GET", "/meldingen/{notification}", {**everyone(HIDDEN), "anon": LOGIN, "student": OK}, None),
    "notifications.read_all": ("POST", "/meldingen/alles-gelezen", LOGGED_IN, None),
    "auth.notification_settings": ("POST", "/account/meldingen", LOGGED_IN, {}),
}  # fmt: skip


def test_every_route_has_an_entry(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ROUTES) == set(), "new routes need an access rule in ROUTES"
    assert set(ROUTES) - endpoints == set(), "ROUTES lists routes that no longer exist"


def _as(client, user):
    client.post("/account/uitloggen")
    if user is not None:
        db.session.commit()
        response = client.post(
            "/account/inloggen", data={"email": user.email, "password": PASSWORD}
        )
        assert response.status_code == 302


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_access(app, make, endpoint):
    method, template, expected, data = ROUTES[endpoint]
    world = build_world(make)
    users = dict(world.users)
    users["internship_student"] = db.session.get(
        type(world.users["student"]), world.ids["internship_user"]
    )
    url = template.format(**world.ids)
    expected = dict(expected)
    if "internship_student" in expected:  # the evaluation belongs to another student of the school
        expected["student"] = DENY
    # Roles that are allowed go last, so a state change (withdraw, logout) does not spoil the others.
    order = sorted(expected, key=lambda role: expected[role] == OK)
    client = app.test_client()
    for role in order:
        user = None if role == "anon" else users[role]
        _as(client, user)
        response = client.open(url, method=method, data=data or {})
        status = response.status_code
        response.close()
        location = response.headers.get("Location", "")
        want = expected[role]
        label = f"{endpoint} as {role}: {method} {url} -> {status} {location}"
        if want == OK:
            assert status in (200, 302, 404, 410, 422) and "/account/inloggen" not in location, (
                label
            )
            if status == 404:
                assert (endpoint, role) == ("students.own_cv", "student2"), (
                    label
                )  # no CV: nothing there
        elif want == DENY:
            assert status == 403, label
        elif want == HIDDEN:
            assert status == 404, label
        elif want == TOKEN:
            assert status == 401 and response.is_json, label
        else:
            assert status == 302 and "/account/inloggen" in location, label
