"""Numbers from outside: one bounded parser for ids, pages and counts (ASCII digits only, within the
column's range), and the hostile values of issue #15 that gave a 500 — Unicode digits such as '²'
(which `str.isdigit()` accepts and `int()` refuses) and integers beyond the database's 32 bits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.inputs import MAX_ID, parse_int
from stagematch.models import Application, RoundChoice
from stagematch.timeutil import today

UNICODE_DIGITS = ["²", "٣", "１", "৪", "߃", "𝟕", "12²", "٣٠", "１０"]
TWENTY_NINES = "9" * 20


# --- the parser ------------------------------------------------------------------------------


@given(st.text(), st.integers(-(2**40), 2**40), st.integers(0, 2**40))
def test_parse_int_gives_an_int_within_bounds_or_none_never_an_exception(text, lo, span):
    value = parse_int(text, lo=lo, hi=lo + span)
    assert value is None or (type(value) is int and lo <= value <= lo + span)


@given(st.integers(-(2**70), 2**70))
def test_parse_int_reads_every_ascii_integer_in_range_and_refuses_the_rest(n):
    assert parse_int(str(n), lo=-(2**31), hi=2**31 - 1) == (n if -(2**31) <= n < 2**31 else None)
    assert parse_int(str(n), lo=1, hi=MAX_ID) == (n if 1 <= n <= MAX_ID else None)


@pytest.mark.parametrize(
    "text", [*UNICODE_DIGITS, "", " ", "+5", "--5", "5-", "1_000", "1e3", "0x10", "3.0", "NaN", "-", "9" * 200_000]
)  # fmt: skip
def test_parse_int_refuses_what_is_not_plain_ascii_digits(text):
    assert parse_int(text, lo=-(10**30), hi=10**30) is None


def test_parse_int_allows_a_sign_only_where_a_negative_is_in_range():
    assert parse_int("-5", lo=-10, hi=10) == -5
    assert parse_int("-5", lo=0, hi=10) is None
    assert parse_int("-0", lo=0, hi=10) is None
    assert parse_int(" 7 ", lo=1, hi=10) == 7
    assert parse_int("0007", lo=1, hi=10) == 7


# --- a world with every role -----------------------------------------------------------------


@pytest.fixture
def world(make):
    from stagematch.services import allocation_rounds

    school = make.school()
    student = make.student(school=school)
    company = make.company()
    meester = make.meester(company, capacity=4)
    place = make.placement(company, meester, seats=2)
    coordinator = make.coordinator(school)
    db.session.add(Application(student=student.profile, placement=place))
    users = {
        "student": student,
        "company": make.company_user(company),
        "coordinator": coordinator,
        "admin": make.admin(),
    }
    db.session.commit()
    round_ = allocation_rounds.open_round(
        school=school, name="Ronde", closes_on=today() + timedelta(days=7), max_choices=3,
        cohort=allocation_rounds.Cohort(), created_by=coordinator,
    )  # fmt: skip
    db.session.commit()
    return dict(users=users, place=place, meester=meester, profile=student.profile, round=round_,
                school=school)  # fmt: skip


def _as(auth, world, role):
    auth.logout()
    auth.login(world["users"][role])


# --- query parameters ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["²", "٣", TWENTY_NINES, "-3", "0"])
@pytest.mark.parametrize("url", ["/coordinator/", "/coordinator/zonder-plek"])
def test_weeks_parameter_that_is_no_plain_number_shows_the_default(client, auth, world, url, value):
    _as(auth, world, "coordinator")
    response = client.get(url, query_string={"weken": value})
    assert response.status_code == 200


COORDINATOR_LISTS = [
    "/coordinator/studenten", "/coordinator/zonder-plek", "/coordinator/bedrijven", "/coordinator/erkenningen",
    "/coordinator/signalen", "/coordinator/stages",
]  # fmt: skip


@pytest.mark.parametrize("value", ["²", "٣", "１", TWENTY_NINES, "2147483648", "-1"])
def test_a_page_that_is_no_plain_number_is_page_one(client, auth, world, value):
    _as(auth, world, "coordinator")
    for url in [*COORDINATOR_LISTS, f"/coordinator/verdeelrondes/{world['round'].id}"]:
        assert client.get(url, query_string={"page": value}).status_code == 200, url
    _as(auth, world, "admin")
    assert client.get("/beheer/logboek", query_string={"page": value}).status_code == 200
    _as(auth, world, "student")
    assert client.get("/plekken/", query_string={"page": value}).status_code in (200, 422)


@pytest.mark.parametrize("value", ["²", "٣", "3000000000", TWENTY_NINES, "-4"])
def test_company_applicants_filter_by_place_ignores_what_is_no_place_id(client, auth, world, value):
    _as(auth, world, "company")
    response = client.get("/leerbedrijf/sollicitaties", query_string={"plek": value})
    assert response.status_code == 200
    # The filter was ignored (not read as place 3): the company's applicant is listed.
    application = db.session.scalar(select(Application.id))
    assert f"/leerbedrijf/sollicitaties/{application}" in response.text


def test_company_applicants_filter_by_a_real_place_still_works(client, auth, world):
    _as(auth, world, "company")
    response = client.get("/leerbedrijf/sollicitaties", query_string={"plek": world["place"].id})
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["²", "٣", "2147483648", TWENTY_NINES])
def test_audit_log_id_filter_that_is_no_id_is_ignored(client, auth, world, value):
    _as(auth, world, "admin")
    response = client.get("/beheer/logboek", query_string={"id": value})
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["²", TWENTY_NINES, "2147483648", "abc"])
def test_activating_a_model_version_that_is_no_id_is_not_found(client, auth, world, value):
    _as(auth, world, "admin")
    assert client.post("/beheer/model", data={"version": value}).status_code == 404


@pytest.mark.parametrize(
    "params", [{"page": "٣"}, {"page": "²"}, {"per_page": "１０"}, {"page": TWENTY_NINES}, {"per_page": "+5"}]
)  # fmt: skip
def test_api_page_parameters_must_be_plain_ascii_numbers(client, world, params):
    from stagematch.services.tokens import create_token

    _token, secret = create_token(world["users"]["student"], "test")
    db.session.commit()
    response = client.get(
        "/api/v1/places", query_string=params, headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["status"] == 400


# --- allocation-round forms ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["²", "٣", "１", TWENTY_NINES, "-1"])
def test_student_ranking_with_a_rank_that_is_no_plain_number_comes_back_with_a_message(
    client, auth, world, value
):
    _as(auth, world, "student")
    round_id, place_id = world["round"].id, world["place"].id
    before = db.session.scalars(select(RoundChoice.placement_id)).all()
    response = client.post(f"/student/verdeelronde/{round_id}", data={f"rang-{place_id}": value})
    assert response.status_code == 422
    assert "Kies een nummer uit de lijst." in response.text
    db.session.expire_all()
    assert db.session.scalars(select(RoundChoice.placement_id)).all() == before


@pytest.mark.parametrize("key", ["rang-²", "rang-٣", f"rang-{TWENTY_NINES}", "rang-2147483648"])
def test_student_ranking_with_a_field_for_no_place_is_ignored(client, auth, world, key):
    _as(auth, world, "student")
    round_id, place_id = world["round"].id, world["place"].id
    response = client.post(
        f"/student/verdeelronde/{round_id}", data={key: "1", f"rang-{place_id}": "1"}
    )
    assert response.status_code == 302
    assert db.session.scalars(select(RoundChoice.placement_id)).all() == [place_id]


@pytest.mark.parametrize("meester", ["²", "٣", TWENTY_NINES, "2147483648", "-1"])
def test_company_ranking_for_a_meester_that_is_no_id_goes_back_to_the_round(
    client, auth, world, meester
):
    _as(auth, world, "company")
    url = f"/leerbedrijf/verdeelrondes/{world['round'].id}"
    response = client.post(url, data={"meester": meester, "rang-1": "1"})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "field", [("rang-²", "1"), ("rang-٣", "1"), (f"rang-{TWENTY_NINES}", "1"), ("rang-{sid}", "²"),
              ("rang-{sid}", "٣"), ("rang-{sid}", TWENTY_NINES)],
)  # fmt: skip
def test_company_ranking_with_hostile_fields_is_refused_or_ignored_never_an_error(
    client, auth, world, field
):
    _as(auth, world, "company")
    key, value = field[0].format(sid=world["profile"].id), field[1]
    url = f"/leerbedrijf/verdeelrondes/{world['round'].id}"
    response = client.post(url, data={"meester": world["meester"].id, key: value})
    assert response.status_code in (302, 422)
    if response.status_code == 422:
        assert "Kies een nummer uit de lijst." in response.text or "student" in response.text


# --- forms -----------------------------------------------------------------------------------


def _profile_form(world, **fields):
    profile = world["profile"]
    return {"school": str(world["school"].id), "qualification": profile.qualification.crebo,
            "leerweg": profile.leerweg, "town": "Hengelo", "max_travel_km": "25", **fields}  # fmt: skip


@pytest.mark.parametrize("value", ["٣٠", "１０", "²", TWENTY_NINES, "9" * 5000])
def test_profile_number_that_is_no_plain_number_is_a_field_error_with_the_input_kept(
    client, auth, world, value
):
    _as(auth, world, "student")
    before = world["profile"].max_travel_km
    response = client.post("/student/profiel", data=_profile_form(world, max_travel_km=value))
    assert response.status_code == 422
    assert "Vul een heel getal in" in response.text or "Kies tussen 1 en 300 km." in response.text
    if len(value) < 100:
        assert f'value="{value}"' in response.text
    db.session.refresh(world["profile"])
    assert world["profile"].max_travel_km == before


def test_a_choice_sent_in_other_digits_is_not_that_choice(client, auth, world):
    """'٣' is int 3 to Python; as a school id it is no choice on the form."""
    _as(auth, world, "student")
    arabic = str(world["school"].id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    response = client.post("/student/profiel", data=_profile_form(world, school=arabic))
    assert response.status_code == 422
    assert 'id="school-error">Kies je school.' in response.text


def _mentors() -> int:
    from sqlalchemy import func

    from stagematch.models import Mentor

    return db.session.scalar(select(func.count(Mentor.id)))


@pytest.mark.parametrize("value", ["٣", "２", TWENTY_NINES, "2147483648"])
def test_mentor_form_numbers_and_choices_out_of_range_are_field_errors(client, auth, world, value):
    _as(auth, world, "company")
    data = {"role": "gezel", "name": "Gerda Gezel", "years_experience": "3", "hours_per_week": "2",
            "capacity": "2", "meester_id": str(world["meester"].id)}  # fmt: skip
    before = _mentors()
    response = client.post("/leerbedrijf/begeleiders/nieuw", data={**data, "meester_id": value})
    assert response.status_code in (200, 422)
    assert "Kies een van de mogelijkheden uit de lijst." in response.text
    for name, message in [
        ("capacity", "Tussen 1 en 20 leerlingen."),
        ("years_experience", "Tussen 0 en 60 jaar."),
    ]:
        response = client.post("/leerbedrijf/begeleiders/nieuw", data={**data, name: value})
        assert response.status_code in (200, 422), name
        assert "Vul een heel getal in" in response.text or message in response.text, name
        assert f'value="{value}"' in response.text, name
    assert _mentors() == before


@pytest.mark.parametrize("value", ["3,5e9", "١٫٥", "Infinity", "NaN", "1e400", "9" * 400])
def test_decimal_fields_take_plain_numbers_only(client, auth, world, value):
    _as(auth, world, "company")
    data = {"role": "meester", "name": "Mo Meester", "years_experience": "3", "hours_per_week": value,
            "capacity": "2"}  # fmt: skip
    before = _mentors()
    response = client.post("/leerbedrijf/begeleiders/nieuw", data=data)
    assert response.status_code in (200, 422)
    assert "Vul een getal in" in response.text or "Tussen 0 en 40 uur." in response.text
    assert _mentors() == before


@pytest.mark.parametrize(
    "value", ["0001-01-01", "01-01-1899", "٠١-٠١-٢٠٢٧", "10000-01-01", "31-12-99999"]
)
def test_a_date_before_1900_beyond_9999_or_in_other_digits_is_a_field_error(
    client, auth, world, value
):
    _as(auth, world, "student")
    response = client.post("/student/profiel", data=_profile_form(world, available_from=value))
    assert response.status_code == 422
    assert "Vul een geldige datum in" in response.text
    assert client.get("/plekken/", query_string={"start_from": value}).status_code == 422


def test_audit_log_filters_as_long_as_a_book_are_no_error(client, auth, world):
    _as(auth, world, "admin")
    for name in ("wie", "actie", "soort", "id"):
        response = client.get("/beheer/logboek", query_string={name: "a" * 200_000})
        assert response.status_code == 200, name


@pytest.mark.parametrize("text", ["a" * 200_000, "Kok " * 50_000, "%_" * 60_000])
def test_a_qualification_or_town_as_long_as_a_book_is_a_field_error(client, auth, world, text):
    _as(auth, world, "student")
    response = client.post("/student/profiel", data=_profile_form(world, qualification=text))
    assert response.status_code == 422
    response = client.post("/student/profiel", data=_profile_form(world, town=text))
    assert response.status_code == 422
    assert client.get("/plekken/", query_string={"crebo": text}).status_code == 422
    assert client.get("/plekken/", query_string={"town": text}).status_code == 422
