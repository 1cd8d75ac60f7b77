"""Numbers, money, dates and plurals in the reader's language (issue #21): "24,5 uur" and "€ 6,69" in
Dutch, "24.5 hours" and "€6.69" in English, "1 jaar"/"1 year", never "24.0", "(s)" or "(en)";
CSV exports keep the machine format (dot decimals, ISO dates)."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, timedelta

import pytest

from stagematch.extensions import db
from stagematch.i18n import in_locale, translate
from stagematch.matching.text import N_, Phrase, from_data, ngettext, to_data
from stagematch.models import Evaluation, Internship
from stagematch.templating import (
    format_date,
    format_datetime,
    format_euro,
    format_km,
    format_money,
    format_number,
)
from stagematch.timeutil import today
from tests.test_companies import _place_form

# --- the filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("nl", ["24", "24,5", "3,4", "1.234,6", "€ 6,69", "€ 1.250", "€ 0", "8,8 km", "22 km"]),
        ("en", ["24", "24.5", "3.4", "1,234.6", "€6.69", "€1,250", "€0", "8.8 km", "22 km"]),
    ],
)
def test_numbers_money_and_distances_in_the_readers_language(app, locale, expected):
    with in_locale(locale):
        shown = [format_number(24.0, 1), format_number(24.5, 1), format_number(3.4, 1),
                 format_number(1234.56, 1), format_money(6.69), format_euro(1249.6), format_euro(0),
                 format_km(8.81), format_km(22.4)]  # fmt: skip
    assert shown == expected


def test_whole_numbers_and_missing_values(app):
    with in_locale("nl"):
        assert format_number(1234) == "1.234"
        assert format_number(2.5) == "2"  # no decimals unless asked; rounds half to even
        assert [f(None) for f in (format_number, format_money, format_euro, format_km,
                                  format_date, format_datetime)] == ["–"] * 6  # fmt: skip


def test_dates_stay_day_month_year_in_both_languages(app):
    winter = datetime(2026, 11, 24, 13, 5, tzinfo=UTC)  # 14:05 in Amsterdam
    summer = datetime(2026, 7, 1, 22, 30)  # naive = UTC; 00:30 the next day in Amsterdam
    with in_locale("nl"):
        assert format_date(date(2026, 11, 24)) == "24 november 2026"
        assert format_datetime(winter) == "24 november 2026 14:05"
        assert format_date(summer) == "2 juli 2026"
        assert format_datetime(summer) == "2 juli 2026 00:30"
    with in_locale("en"):
        assert format_date(date(2026, 11, 24)) == "24 November 2026"
        assert format_datetime(winter) == "24 November 2026 14:05"


def test_phrases_write_their_numbers_when_shown_not_when_made(app):
    rating = Phrase(N_("%(rating)s van 5 (%(n)s beoordelingen)"), rating=3.4, n=5)
    one_year, years = (ngettext("%(num)s jaar", "%(num)s jaar", n) for n in (1, 12))
    stored = from_data(to_data(rating))  # as a flag message is stored and read back
    with in_locale("nl"):
        assert translate(rating) == translate(stored) == "3,4 van 5 (5 beoordelingen)"
        assert translate(one_year) == "1 jaar"
    with in_locale("en"):
        assert translate(stored).startswith("3.4 ")
    again = pickle.loads(pickle.dumps(years))
    assert again == years == "12 jaar" and again.plural == "%(num)s jaar"
    assert from_data(to_data(one_year)).number == 1


# --- pages ----------------------------------------------------------------------------------------


def _rate(place, ratings: list[int], make) -> None:
    for rating in ratings:
        s = make.student()
        i = Internship(student_id=s.profile.id, placement=place, school_id=s.profile.school_id,
                       meester_id=place.meester_id, start_date=today() - timedelta(days=200),
                       end_date=today() - timedelta(days=10), status="completed", outcome="success")  # fmt: skip
        db.session.add(i)
        db.session.flush()
        db.session.add(Evaluation(internship_id=i.id, author_role="student", moment="final", due_date=today(),
                                  submitted_at=i.created_at, supervision_time=rating, feedback=rating,
                                  learning_tasks=rating, safety=rating, overall=rating))  # fmt: skip


@pytest.fixture
def place(make):
    """24,5 hours a week, € 1.250 a month, a meester with 1 year of experience who sets aside 1 hour
    a week, rated 3,4 on average by five students."""
    company = make.company()
    meester = make.meester(company, years_experience=1, hours_per_week=1)
    place = make.placement(company, meester, hours_per_week=24.5, pay_per_month=1250)
    _rate(place, [3, 3, 4, 4, 3], make)
    db.session.commit()
    return place


def _page(client, url: str, locale: str) -> str:
    client.set_cookie("taal", locale)
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_place_page_in_dutch(client, place, make):
    page = _page(client, f"/plekken/{place.id}", "nl")
    for text in ("24,5 uur per week", "<td>3,4</td>", "€ 1.250 stagevergoeding per maand",
                 "1 jaar ervaring in het vak", "Maakt 1 uur per week vrij voor begeleiding"):  # fmt: skip
        assert text in page, text
    assert "24.5" not in page and "3.4" not in page
    whole = make.placement(place.company, place.meester, hours_per_week=24)
    db.session.commit()
    page = _page(client, f"/plekken/{whole.id}", "nl")
    assert "24 uur per week" in page and "24.0" not in page and "24,0" not in page


def test_place_page_in_english(client, place):
    page = _page(client, f"/plekken/{place.id}", "en")
    for text in ("24.5 hours a week", "<td>3.4</td>", "€1,250", "1 year of experience in the trade",
                 "Sets aside 1 hour a week for supervision"):  # fmt: skip
        assert text in page, text
    assert "1 years" not in page and "24,5" not in page


def test_search_card_says_one_year_not_one_years(client, place):
    assert "1 jaar ervaring" in _page(client, "/plekken/", "nl")
    page = _page(client, "/plekken/", "en")
    assert "1 year of experience" in page and "1 years" not in page


@pytest.mark.parametrize(
    ("locale", "shown"),
    [("nl", ["€ 6,69 per uur", "€ 928 per maand", "32 uur per week"]),
     ("en", ["€6.69", "€928", "32 hours"])],
)  # fmt: skip
def test_wage_message_writes_money_in_the_readers_language(
    client, make, company_user, locale, shown
):
    meester = make.meester(company_user.company)
    db.session.commit()
    data = _place_form(company_user.company, meester, leerweg="BBL", days_per_week="4", hours_per_week="32",
                       wage_age="18", pay_per_month="400")  # fmt: skip
    client.set_cookie("taal", locale)
    page = client.post("/leerbedrijf/plekken/nieuw", data=data).get_data(as_text=True)
    for text in shown:
        assert text in page, text
    assert "6.69" not in page if locale == "nl" else "6,69" not in page


def test_counts_have_real_plurals_not_brackets(client, make, auth):
    admin = make.admin()
    auth.login(admin)
    page = _page(client, "/beheer/gebruikers", "nl")
    assert "1 gebruiker gevonden" in page and "(s)" not in page
    make.company()
    db.session.commit()
    page = _page(client, "/beheer/bedrijven", "nl")
    assert "1 leerbedrijf gevonden" in page and "leerbedrijf/leerbedrijven" not in page
    make.user("admin")
    db.session.commit()
    assert "2 gebruikers gevonden" in _page(client, "/beheer/gebruikers", "nl")
    page = _page(client, "/beheer/gebruikers", "en")
    assert "2 users found" in page and "(s)" not in page


def test_csv_export_keeps_the_machine_format(client, make, company_user):
    meester = make.meester(company_user.company)
    make.placement(company_user.company, meester, hours_per_week=24.5, start_date=date(2027, 3, 1))
    db.session.commit()
    client.set_cookie("taal", "nl")
    csv = client.get("/leerbedrijf/plekken/export.csv").get_data(as_text=True)
    assert "24.5" in csv and "24,5" not in csv
    assert "2027-03-01" in csv and "maart" not in csv


@pytest.mark.parametrize(("locale", "distance"), [("nl", "(8,8 km)"), ("en", "(8.8 km)")])
def test_alert_mail_writes_distances_in_the_recipients_language(
    client, make, auth, outbox, locale, distance
):
    from stagematch.services.alerts import send_search_alerts

    student = make.student(town="Hengelo")
    student.locale = locale
    auth.login(student)
    client.post("/student/zoekopdrachten", data={"name": "Kok", "query_string": "town=Hengelo"})
    company = make.company(town="Enschede")  # 8.8 km from Hengelo
    make.placement(company, make.meester(company), title="Nieuwe kokplek")
    db.session.commit()
    assert send_search_alerts() == (1, 1)
    [message] = outbox()
    body = message.get_content()
    assert "Nieuwe kokplek" in body and distance in body


def test_metrics_keep_their_decimals_and_sign(app):
    with in_locale("nl"):
        assert format_number(0.81, 3, fixed=True) == "0,810"
        assert format_number(-0.0123, 3, fixed=True, signed=True) == "-0,012"
        assert format_number(float("nan"), 3, fixed=True) == "–"
    with in_locale("en"):
        assert format_number(0.03, 3, fixed=True, signed=True) == "+0.030"


def test_dates_in_stored_phrases_are_written_for_the_reader(app):
    """A flag's due date was stored as "22-11-2026" whatever the reader's language."""
    late = Phrase(N_("De tussenevaluatie door de student van %(name)s is te laat (was %(due)s)."),
                  name="Emma", due=date(2026, 11, 22))  # fmt: skip
    stored = from_data(to_data(late))
    assert (
        str(stored)
        == str(late)
        == "De tussenevaluatie door de student van Emma is te laat (was 22 november 2026)."
    )
    with in_locale("nl"):
        assert translate(stored).endswith("(was 22 november 2026).")
    with in_locale("en"):
        assert "22 November 2026" in translate(stored)
