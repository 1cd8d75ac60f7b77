"""An application expires after the deadline and the student is told: the company did not answer
within APPLICATION_ANSWER_DAYS, the nightly job expires it, and the student, on a phone, sees the
notification in the top menu, opens it and lands on the application."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from stagematch.extensions import db
from stagematch.services import applications as application_service
from stagematch.tasks import nightly_application_deadlines
from stagematch.timeutil import today
from tests.browser.conftest import PHONE, assert_no_horizontal_scroll, login, main, screenshot


def test_an_unanswered_application_expires_and_the_student_is_told(make, new_page, outbox):
    company = make.company(name="Bakkerij De Korenbloem")
    make.company_user(company)
    meester = make.meester(company, capacity=3)
    place = make.placement(company, meester, title="Leerling-bakker", seats=2)
    student = make.student(name="Sanne de Vries")
    db.session.commit()
    application = application_service.apply(
        student=student.profile, placement=place, motivation="Ik wil graag bakken."
    )
    application.created_at = datetime.combine(today() - timedelta(days=15), time(10, 0))
    db.session.commit()

    nightly_application_deadlines.call_local()
    nightly_application_deadlines.call_local()  # a second run tells nobody twice
    to_student = [m for m in outbox() if student.email in m["To"]]
    assert len(to_student) == 1 and "verlopen" in to_student[0]["Subject"]

    page = new_page(*PHONE)
    login(page, student)
    menu = page.get_by_role("link", name="Meldingen, 1 ongelezen")
    menu.click()
    page.wait_for_url("**/meldingen")
    assert_no_horizontal_scroll(page)
    notice = main(page).get_by_role("link", name="Leerling-bakker", exact=False)
    assert "niet binnen 14 dagen geantwoord" in notice.inner_text()
    notice.click()
    page.wait_for_url(f"**/student/sollicitaties#sollicitatie-{application.id}")
    article = page.locator(f"#sollicitatie-{application.id}")
    assert "verlopen" in article.inner_text()
    assert_no_horizontal_scroll(page)
    # Read now: the menu shows no unread count any more.
    assert page.get_by_role("link", name="Meldingen", exact=True).is_visible()
    screenshot(page, "deadline-student-told")
