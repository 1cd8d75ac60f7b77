"""A whole placement in the browser (issue 17, "Done when", line 1): a minor accepts a company's
offer, signs the praktijkovereenkomst, a guardian signs through the mailed link without an account,
then the leerbedrijf and the school; a week of hours is logged and approved; the three meetings are
planned and written up; the school amends the end date and everyone signs again (the guardian via
a new link); the meester submits the final assessment and the school records "voldaan".

Setup that is not part of the journey goes through the factory and services: the company, place,
student, the application up to the company's offer, and moving the placement's dates into the past
(before anyone signed) so that a week has gone by and the final assessment is open."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import Application, Internship
from stagematch.services import agreements
from stagematch.services import applications as application_service
from stagematch.timeutil import today
from tests.browser.conftest import (
    LAPTOP,
    PHONE,
    assert_no_horizontal_scroll,
    flash_text,
    login,
    main,
    screenshot,
)
from tests.conftest import mailed_link

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")  # fmt: skip
GUARDIAN_EMAIL = "ouder.hendriks@example.nl"


def _nl(day: date) -> str:
    """A date as the pages write it: "24 november 2026"."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _site_path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def _guardian_links(outbox) -> list[str]:
    return [
        _site_path(mailed_link(m, "/overeenkomst/ouder/"))
        for m in outbox()
        if GUARDIAN_EMAIL in m["To"]
    ]


def _sign(page, name: str | None = None) -> None:
    """On the placement page: open the agreement, (type the name,) tick and sign."""
    main(page).get_by_role("link", name="Lezen en tekenen").click()
    page.wait_for_url("**/overeenkomst/*")
    if name is not None:
        page.get_by_label("Je volledige naam").fill(name)
    page.get_by_label("Ik heb de overeenkomst gelezen en ga ermee akkoord.").check()
    main(page).get_by_role("button", name="Tekenen").click()
    page.wait_for_url("**/stage/*#overeenkomst")
    assert "Je handtekening staat erop." in flash_text(page)


def _guardian_signs(page, link: str, expected_version: int) -> None:
    page.goto(link)
    text = main(page).inner_text()
    assert f"Versie {expected_version}" in text
    assert "Sanne Hendriks gaat stage lopen bij Bakkerij De Korenbloem" in text
    assert page.get_by_label("Je volledige naam").input_value() == "Ellen Hendriks"
    page.get_by_label("Ik heb de overeenkomst gelezen en ga ermee akkoord.").check()
    assert_no_horizontal_scroll(page)
    main(page).get_by_role("button", name="Tekenen").click()
    assert "Dank je wel: je handtekening staat erop." in main(page).inner_text()


def _words_broken_across_lines(page, selector: str) -> list[str]:
    """Words (between spaces and hyphens) inside `selector` that the browser split over two
    lines: what `overflow-wrap: anywhere` does to a squeezed table cell ("goe" / "d")."""
    return page.evaluate(
        """(selector) => {
            const broken = [];
            for (const cell of document.querySelectorAll(selector)) {
                const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    for (const m of node.data.matchAll(/[^\\s-]+/g)) {
                        const range = document.createRange();
                        range.setStart(node, m.index);
                        range.setEnd(node, m.index + m[0].length);
                        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                        if (lines.size > 1) broken.push(m[0]);
                    }
                }
            }
            return broken;
        }""",
        selector,
    )


def test_a_minor_s_placement_from_offer_to_final_assessment(make, new_page, outbox):
    # --- setup: a place, a 16-year-old student, and the company's offer ---------------------
    verkoop = make.qualification("25154")  # Verkoopadviseur: its work processes are shipped
    company = make.company(name="Bakkerij De Korenbloem", town="Hengelo", qualifications=[verkoop])
    owner = make.company_user(company)
    meester = make.meester(company, capacity=2, name="Jan Meester", email="jan@korenbloem.nl")
    place = make.placement(company, meester, title="Verkoper in de bakkerswinkel", duration_weeks=4,
                           hours_per_week=32)  # fmt: skip
    sixteen = today().replace(year=today().year - 16) - timedelta(days=1)  # 16 until 2028
    student = make.student(name="Sanne Hendriks", qualification=verkoop, birth_date=sixteen)
    coordinator = make.coordinator(student.school)
    db.session.commit()
    application = application_service.apply(
        student=student.profile, placement=place, motivation="Ik bak thuis elk weekend brood."
    )
    application_service.shortlist(application)
    application_service.make_offer(application.id, respond_by=today() + timedelta(days=7))
    application_id = application.id

    # --- 1. the student accepts the offer (phone) -------------------------------------------
    student_page = new_page(*PHONE)
    login(student_page, student)
    student_page.goto("/student/sollicitaties")
    offer = main(student_page).locator(f"#sollicitatie-{application_id}")
    offer_text = offer.inner_text()
    assert "Bakkerij De Korenbloem biedt je deze plek aan" in offer_text
    assert "Je bent jonger dan 18" in offer_text
    offer.get_by_text("Aanbod aannemen…").click()
    offer.get_by_role("button", name="Ja, aannemen").click()
    student_page.wait_for_url("**/student/sollicitaties")
    assert "Gefeliciteerd" in flash_text(student_page)

    # Setup, not the journey: the placement began three weeks ago (nobody signed yet, so version
    # 1 is drawn up again from the moved dates), ending a week from now.
    db.session.expire_all()
    internship = db.session.scalar(
        select(Internship).where(Internship.application_id == application_id)
    )
    assert db.session.get(Application, application_id).status == "accepted"
    start = today() - timedelta(days=today().weekday()) - timedelta(weeks=3)  # a Monday
    end = start + timedelta(weeks=4)
    internship.start_date, internship.end_date = start, end
    [version] = internship.agreement_versions
    version.content = agreements.build_content(internship)
    version.content_hash = agreements.content_hash(version.content)
    db.session.commit()
    internship_id = internship.id
    stage = f"/stage/{internship_id}"

    # --- 2. "Mijn stage": the guardian's details, then the student signs ---------------------
    menu = student_page.get_by_role("navigation", name="Hoofdmenu")
    menu.get_by_role("link", name="Mijn stage").click()
    card = main(student_page).locator("article.placement-card")
    assert "Overeenkomst nog niet rond" in card.inner_text()
    assert f"{_nl(start)} – {_nl(end)}" in card.inner_text()
    card.get_by_role("button", name="Naar je stage: overeenkomst, uren, gesprekken").click()
    student_page.wait_for_url(f"**{stage}")
    text = main(student_page).inner_text()
    assert "Je stage bij Bakkerij De Korenbloem" in text
    assert "wacht op jouw handtekening" in text
    assert "Je bent op de begindatum nog geen 18" in text
    assert "Lezen en tekenen" in text
    assert_no_horizontal_scroll(student_page)
    main(student_page).get_by_role("link", name="Gegevens van ouder/verzorger").click()
    student_page.get_by_label("Naam van je ouder of verzorger").fill("Ellen Hendriks")
    student_page.get_by_label("E-mailadres van je ouder of verzorger").fill(GUARDIAN_EMAIL)
    assert_no_horizontal_scroll(student_page)
    main(student_page).get_by_role("button", name="Opslaan").click()
    student_page.wait_for_url(f"**{stage}#overeenkomst")
    assert (
        f"Je ouder of verzorger (Ellen Hendriks, {GUARDIAN_EMAIL}) tekent na jou."
        in main(student_page).inner_text()
    )
    assert _guardian_links(outbox) == []  # the link goes out after the student signed
    main(student_page).get_by_role("link", name="Lezen en tekenen").click()
    student_page.wait_for_url("**/overeenkomst/1")
    assert "Ellen Hendriks" in main(student_page).inner_text()
    assert_no_horizontal_scroll(student_page)
    screenshot(student_page, "lifecycle-student-signs")
    student_page.get_by_label("Je volledige naam").fill("Sanne Hendriks")
    student_page.get_by_label("Ik heb de overeenkomst gelezen en ga ermee akkoord.").check()
    main(student_page).get_by_role("button", name="Tekenen").click()
    student_page.wait_for_url(f"**{stage}#overeenkomst")
    text = main(student_page).inner_text()
    assert "wacht op ouder/verzorger" in text
    assert f"We hebben {GUARDIAN_EMAIL} een link gemaild om te tekenen." in text

    # --- 3. the guardian signs through the mailed link, without an account (phone) ----------
    [link] = _guardian_links(outbox)
    guardian_page = new_page(*PHONE)
    _guardian_signs(guardian_page, link, expected_version=1)
    screenshot(guardian_page, "lifecycle-guardian-signed")
    guardian_page.goto(link)  # the link has been used
    assert "al getekend" in main(guardian_page).inner_text()

    # --- 4. the leerbedrijf, then the school; the PDF ----------------------------------------
    company_page = new_page(*LAPTOP)
    login(company_page, owner)
    company_page.goto(stage)
    assert "wacht op jouw handtekening" in main(company_page).inner_text()
    _sign(company_page, "Karin de Bakker")
    assert "wacht op school" in main(company_page).inner_text()
    school_page = new_page(*LAPTOP)
    login(school_page, coordinator)
    school_page.goto(stage)
    _sign(school_page)
    signed_on = f"getekend op {_nl(today())}"
    assert signed_on in main(school_page).inner_text()
    student_page.goto(stage)
    assert signed_on in main(student_page).inner_text()
    pdf_href = main(student_page).get_by_role("link", name="PDF").first.get_attribute("href")
    pdf = student_page.request.get(pdf_href)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # --- 5. hours: the student logs the first week, the meester approves ---------------------
    assert "Uren invullen" in main(student_page).inner_text()
    student_page.get_by_label("Week", exact=True).select_option(start.isoformat())
    student_page.get_by_label("Gewerkte uren").fill("32")
    student_page.get_by_label("Toelichting").fill("Vooral deeg kneden en de oven.")
    assert_no_horizontal_scroll(student_page)
    main(student_page).get_by_role("button", name="Uren opslaan").click()
    student_page.wait_for_url(f"**{stage}#uren")
    week_number = start.isocalendar().week
    assert f"Uren van week {week_number}" in flash_text(student_page)
    company_page.goto(stage)
    waiting = main(company_page).locator(f"#week-{start.isoformat()}")
    assert "32 uur" in waiting.inner_text() and "deeg kneden" in waiting.inner_text()
    waiting.get_by_role("button", name="Goedkeuren").click()
    company_page.wait_for_url(f"**{stage}#uren")
    assert f"Uren van week {week_number}" in flash_text(company_page)
    assert "goedgekeurd" in flash_text(company_page)
    student_page.goto(stage)
    hours = student_page.locator("#uren")
    facts = hours.locator("dl").inner_text()
    assert "Goedgekeurd\n32 uur" in facts or "Goedgekeurd 32 uur" in " ".join(facts.split())
    assert_no_horizontal_scroll(student_page)
    screenshot(student_page, "lifecycle-hours-approved")

    # --- 6. meetings: the school plans all three, then writes them up ------------------------
    school_page.goto(stage)
    for label in ("Startgesprek", "Tussengesprek", "Eindgesprek"):
        meeting = main(school_page).locator("li.meeting").filter(has_text=label)
        meeting.get_by_role("link", name="Plannen").click()
        school_page.get_by_label("Datum").fill(today().isoformat())
        assert school_page.get_by_label("De student").is_checked()
        school_page.get_by_label("Verder aanwezig").fill("Ellen Hendriks (moeder)")
        main(school_page).get_by_role("button", name="Opslaan en de anderen laten weten").click()
        school_page.wait_for_url(f"**{stage}#gesprekken")
        assert "Gesprek gepland" in flash_text(school_page)
        meeting = main(school_page).locator("li.meeting").filter(has_text=label)
        assert f"Gepland op {_nl(today())}" in meeting.inner_text()
    for label in ("Startgesprek", "Tussengesprek", "Eindgesprek"):
        meeting = main(school_page).locator("li.meeting").filter(has_text=label)
        meeting.get_by_role("link", name="Verslag schrijven").click()
        school_page.get_by_label("Gehouden op").fill(today().isoformat())
        school_page.get_by_label("Wat is er besproken?").fill(f"{label}: het gaat goed met Sanne.")
        main(school_page).get_by_role("button", name="Verslag opslaan").click()
        school_page.wait_for_url(f"**{stage}#gesprekken")
        assert "Verslag van het gesprek opgeslagen." in flash_text(school_page)
    student_page.goto(stage)
    meetings = student_page.locator("#gesprekken").inner_text()
    assert meetings.count(f"Gehouden op {_nl(today())}") == 3
    assert "Eindgesprek: het gaat goed met Sanne." in meetings
    assert "Gemist" not in meetings and "Nog niet gepland" not in meetings
    assert_no_horizontal_scroll(student_page)

    # --- 7. an amendment: a week longer, 28 hours a week; everyone signs again ---------------
    new_end = end + timedelta(weeks=1)
    main(school_page).get_by_role("link", name="Wijziging voorstellen").click()
    school_page.get_by_label("Einddatum").fill(new_end.isoformat())
    school_page.get_by_label("Uren per week").fill("28")
    school_page.get_by_label("Reden van de wijziging").fill(
        "Een week langer om ziekte in te halen."
    )
    main(school_page).get_by_role("button", name="Nieuwe versie maken").click()
    school_page.wait_for_url(f"**{stage}#overeenkomst")
    assert "Versie 2 is gemaakt" in flash_text(school_page)
    assert "wijziging wacht op de student" in main(school_page).inner_text()

    student_page.goto(stage)
    assert "wijziging wacht op jouw handtekening" in main(student_page).inner_text()
    _sign(student_page)
    [_first, link2] = _guardian_links(outbox)
    assert link2 != link
    _guardian_signs(guardian_page, link2, expected_version=2)
    company_page.goto(stage)
    _sign(company_page, "Karin de Bakker")
    school_page.goto(stage)
    _sign(school_page)
    text = main(school_page).inner_text()
    assert signed_on in text and "wijziging" not in text.split("Versies")[0]
    assert f"{_nl(start)} – {_nl(new_end)}" in text
    versions = main(school_page).locator(".agreement-versions").inner_text()
    assert "Versie 2" in versions and "Een week langer om ziekte in te halen." in versions
    assert "Versie 1 · vervangen" in " ".join(versions.split())
    # Asked afresh: Chromium keeps a 410 without Cache-Control and would show "al getekend".
    used = guardian_page.request.get(link)
    assert used.status == 410 and "Deze link werkt niet (meer)" in used.text()
    school_page.goto(f"{stage}/overeenkomst/1")  # the earlier version stays readable
    text = main(school_page).inner_text()
    assert "Deze versie is vervangen door een latere versie." in text
    assert "Karin de Bakker" in text and "Ellen Hendriks" in text
    screenshot(school_page, "lifecycle-version-1")
    old_pdf = school_page.request.get(f"{stage}/overeenkomst/1.pdf")
    assert old_pdf.ok and old_pdf.body().startswith(b"%PDF")
    student_page.goto(stage)
    summary = main(student_page).locator("dl.facts").first.inner_text()
    assert f"{_nl(start)} – {_nl(new_end)} · 28 uur per week" in summary

    # --- 8. the final assessment: the meester, the school's "voldaan", the student reads it --
    company_page.goto(stage)
    main(company_page).get_by_role("link", name="Beoordeling invullen").click()
    processes = main(company_page).locator("fieldset.score")
    assert processes.count() == 9  # the dossier's work processes, B1-K1-W1 … B1-K2-W5
    assert "B1-K1-W2 Verzorgt de winkelpresentatie" in processes.nth(1).inner_text()
    for i in range(processes.count()):
        processes.nth(i).get_by_label("goed", exact=True).check()
    company_page.get_by_label("Toelichting").fill("Sanne werkt netjes en leert snel.")
    main(company_page).get_by_role("button", name="Versturen").click()
    assert "Beoordeling verstuurd." in flash_text(company_page)
    assert "Sanne werkt netjes en leert snel." in main(company_page).inner_text()
    school_page.goto(stage)
    assert "Leg het besluit van de school vast." in main(school_page).inner_text()
    main(school_page).get_by_role("link", name="Besluit vastleggen").click()
    school_page.get_by_label("voldaan", exact=True).check()
    main(school_page).get_by_role("button", name="Besluit vastleggen").click()
    school_page.wait_for_url(f"**{stage}")
    assert "Besluit vastgelegd" in flash_text(school_page)
    student_page.goto(stage)
    assert "Besluit van de school: voldaan." in student_page.locator("#beoordeling").inner_text()
    main(student_page).get_by_role("link", name="Beoordeling bekijken").click()
    text = main(student_page).inner_text()
    assert "Sanne werkt netjes en leert snel." in text and "voldaan" in text
    judgements = main(student_page).locator("table tbody tr")
    assert judgements.count() == 9
    assert "Verzorgt de winkelpresentatie\tgoed" in judgements.nth(1).inner_text()
    assert_no_horizontal_scroll(student_page)
    assert _words_broken_across_lines(student_page, "main table") == []
    screenshot(student_page, "lifecycle-assessment")
