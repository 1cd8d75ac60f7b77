"""The administrator on a 360 px phone (issue #21, item 7): finds the fake "Bakkerij Van Dijk
<script>" by name, sees its name as text (no script runs), removes it after the confirmation page,
switches a real company off, and reads the mail log and the failed jobs; no admin page scrolls
sideways."""

from __future__ import annotations

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import Company, Job, MailLog
from stagematch.timeutil import utcnow
from tests.browser.conftest import (
    PHONE,
    assert_no_horizontal_scroll,
    flash_text,
    login,
    main,
    screenshot,
)

FAKE = "Bakkerij Van Dijk <script>alert('x')</script>"


def _press(page, name: str) -> str:
    with page.expect_navigation():
        main(page).get_by_role("button", name=name).click()
    return flash_text(page)


def test_admin_removes_a_fake_company_and_switches_a_real_one_off_on_a_phone(make, new_page):
    fake = make.company(name=FAKE, town="Hengelo")
    make.placement(fake, make.meester(fake), title="Nepstage")
    make.user("company", company=fake, name="Nep Eigenaar", email="nep@bakkerij-vandijk.nl")
    real = make.company(name="Bakkerij Jansen", town="Enschede")
    place = make.placement(real, make.meester(real), title="Broodbakker in opleiding")
    owner = make.user("company", company=real, name="Jan Jansen")
    admin = make.admin()
    long_address = "een-heel-erg-lang-adres-zonder-spaties-voor-de-test@bakkerij-jansen-enschede.nl"
    db.session.add(MailLog(recipients=long_address, subject="StageMatch: je bent uitgenodigd",
                           template="colleague_invite", status="failed", attempts=6,
                           error="SMTPRecipientsRefused({'x': (550, b'5.1.1 mailbox unavailable')})"))  # fmt: skip
    db.session.add(Job(id="e" * 32, kind="student_import", status="failed", created_at=utcnow(),
                       message="Er is niets opgeslagen: 3 regel(s) kloppen niet."))  # fmt: skip
    db.session.commit()
    fake_id, real_id, title = fake.id, real.id, place.title

    page = new_page(*PHONE)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, admin)
    page.goto("/beheer")
    assert_no_horizontal_scroll(page)
    main(page).get_by_role("link", name="Leerbedrijven").first.click()
    page.wait_for_url("**/beheer/bedrijven")
    page.get_by_label("Naam, KvK-nummer of plaats").fill("van dijk")
    _press(page, "Zoeken")
    assert_no_horizontal_scroll(page)
    main(page).get_by_role("link", name=FAKE).click()
    page.wait_for_url("**/beheer/bedrijven/*")
    assert FAKE in main(page).inner_text()  # the name as text, not as markup
    assert_no_horizontal_scroll(page)
    screenshot(page, "admin-fake-company-360")
    main(page).get_by_role("link", name="Leerbedrijf verwijderen").click()
    page.wait_for_url("**/verwijderen")
    assert "1 plek" in main(page).inner_text() and "niet ongedaan maken" in main(page).inner_text()
    assert_no_horizontal_scroll(page)
    assert "is verwijderd" in _press(page, "Leerbedrijf verwijderen")
    page.wait_for_url("**/beheer/bedrijven")
    db.session.rollback()  # read what the server committed
    assert db.session.scalar(select(Company.id).where(Company.id == fake_id)) is None
    assert dialogs == []  # no script of the fake name ever ran

    # A real company is switched off: its place leaves the search, its owner cannot log in.
    page.goto(f"/beheer/bedrijven/{real_id}")
    main(page).get_by_role("link", name="Leerbedrijf uitzetten").click()
    assert "Broodbakker in opleiding" in main(page).inner_text()  # what disappears is named
    assert "staat uit" in _press(page, "Leerbedrijf uitzetten")
    visitor = new_page(*PHONE)
    visitor.goto("/plekken/")
    assert title not in main(visitor).inner_text()
    visitor.goto("/account/inloggen")
    visitor.locator("#email").fill(owner.email)
    visitor.locator("#password").fill("goed-wachtwoord-123")
    main(visitor).get_by_role("button", name="Inloggen").click()
    assert "uitgezet" in flash_text(visitor)

    # The mail log and the failed jobs, with long addresses and errors, stay within the screen.
    for url, text in (("/beheer/mail?status=mislukt", "mislukt"), ("/beheer/taken", "3 regel(s)"),
                      ("/beheer/gebruikers?q=jansen", "Jan Jansen")):  # fmt: skip
        page.goto(url)
        assert text in main(page).inner_text(), url
        assert_no_horizontal_scroll(page)
    screenshot(page, "admin-users-360")
