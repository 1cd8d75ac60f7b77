"""Bad input at scale: hypothesis sends random and hostile values to every endpoint of the site
and the API (found in `app.url_map`, so a new route is fuzzed without touching this file), as each
role. The site must answer 2xx/3xx/4xx only — never a 500 — and the database must stay consistent
afterwards. A second test posts script and HTML into every text field and checks that pages show it
escaped.

Set FUZZ_EXAMPLES=20000 FUZZ_RANDOM=1 for a longer, randomised run; by default the run is the same
every time (derandomised), so a failure in CI is a failure on every machine."""

from __future__ import annotations

import inspect
import io
import os
import re
import sys
from datetime import timedelta

import pytest
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import Application, Internship, Mentor, Placement, User
from stagematch.models.enums import InternshipStatus
from stagematch.timeutil import today
from tests.conftest import PASSWORD

HOSTILE = [
    "", " ", "0", "-1", "-999999999999", "99999999999999999999", "1e309", "NaN", "3,5", "12.5",
    "' OR 1=1 --", "\"; DROP TABLE user; --", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
    "{{ 7*7 }}", "${7*7}", "../../etc/passwd", "\x00", "\u202e", "😀" * 50, "a" * 5000, "2027-02-30",
    "31-12-9999", "0000-00-00", "Enschede", "25180", "BOL", "BBL", "on", "y", "true",
]  # fmt: skip
# Digits that str.isdigit() accepts (and int() reads, some of them) but that are no 0-9.
UNICODE_DIGITS = ["²", "٣", "１", "৪", "߃", "𝟕", "٣٠", "１０", "12²", "²³", "٠١-٠١-٢٠٢٧", "½", "Ⅻ"]
# Numbers at and beyond the edges of the columns: 32 bits, 64 bits, and far beyond.
EDGES = [
    str(n) for n in (2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**40)
]
DATES = [
    "9999-12-31", "31-12-9999", "10000-01-01", "01-01-10000", "99999-12-31", "0001-01-01", "1899-12-31",
    "01-01-1900", "1900-01-01", "2027-02-29", "2028-02-29", "1-1-1", "2027-13-01", "2027-1-1",
]  # fmt: skip
HUGE = ["a" * 200_000, "9" * 200_000, "²" * 60_000, "<" * 100_000, "Enschede " * 20_000]
_values = st.one_of(
    st.sampled_from(HOSTILE + UNICODE_DIGITS + EDGES + DATES),
    st.text(max_size=60),
    st.integers(-(10**12), 10**12).map(str),
    st.integers(-(2**200), 2**200).map(str),  # beyond 64 bits
    st.integers(-3, 3).map(lambda d: str(2**31 - 1 + d)),  # around the integer column's edge
    st.tuples(st.dates(), st.booleans()).map(
        lambda t: t[0].isoformat() if t[1] else f"{t[0].day:02}-{t[0].month:02}-{t[0].year}"
    ),
)
# Now and then a huge value (up to 200 KB): not so often that the run gets slow.
values = st.integers(0, 49).flatmap(lambda n: st.sampled_from(HUGE) if n == 0 else _values)


def consistency_problems() -> list[str]:
    """Invariants the code relies on that no request may break."""
    problems = []
    for place_id, seats, running in db.session.execute(
        select(Placement.id, Placement.seats, func.count(Internship.id))
        .join(Internship, Internship.placement_id == Placement.id)
        .where(Internship.status == InternshipStatus.ACTIVE)
        .group_by(Placement.id, Placement.seats)
    ):
        if running > seats:
            problems.append(f"place {place_id}: {running} running internships for {seats} seats")
    for mentor_id, capacity, running in db.session.execute(
        select(Mentor.id, Mentor.capacity, func.count(Internship.id))
        .join(Internship, Internship.meester_id == Mentor.id)
        .where(Internship.status == InternshipStatus.ACTIVE)
        .group_by(Mentor.id, Mentor.capacity)
    ):
        if running > capacity:
            problems.append(f"meester {mentor_id}: {running} learners over capacity {capacity}")
    for internship in db.session.scalars(select(Internship)):
        if internship.application is not None and internship.application.status != "accepted":
            problems.append(f"internship {internship.id} from a non-accepted application")
    for student_id, running in db.session.execute(
        select(Internship.student_id, func.count())
        .where(Internship.status == InternshipStatus.ACTIVE)
        .group_by(Internship.student_id)
    ):
        if running > 1:
            problems.append(f"student {student_id} has {running} running internships")
    for user in db.session.scalars(select(User)):
        if user.role == "student" and user.profile is None:
            problems.append(f"student user {user.id} without a profile")
    return problems


@pytest.fixture
def world(make):
    """A student with an open application and a saved search, a second student ('intern') with
    a running internship (with evaluations due) at the same company, an allocation round with
    the student and the place in it, an administrator, and API tokens."""
    from stagematch.models import SavedSearch
    from stagematch.services import allocation_rounds
    from stagematch.services import applications as application_service
    from stagematch.services.tokens import create_token

    school = make.school()
    student = make.student(school=school, skills="koken")
    company = make.company()
    meester = make.meester(company, capacity=4)
    place = make.placement(company, meester, seats=2)
    application = Application(student=student.profile, placement=place)
    db.session.add(application)
    intern = make.student(school=school)
    running = Application(student=intern.profile, placement=place)
    db.session.add(running)
    search = SavedSearch(user=student, name="Koken", query_string="q=kok&page=2")
    db.session.add(search)
    users = {
        "student": student,
        "intern": intern,
        "company": make.company_user(company),
        "coordinator": make.coordinator(school),
        "admin": make.admin(),
    }
    db.session.commit()
    internship = application_service.accept(running.id)
    round_ = allocation_rounds.open_round(
        school=school, name="Ronde", closes_on=today() + timedelta(days=7), max_choices=3,
        cohort=allocation_rounds.Cohort(), created_by=users["coordinator"],
    )  # fmt: skip
    evaluations = {  # the first one due of each side
        e.author_role: e.id
        for e in sorted(internship.evaluations, key=lambda e: e.due_date, reverse=True)
    }
    tokens = {role: create_token(user, "fuzz")[1] for role, user in users.items()}
    db.session.commit()
    return {
        "users": users, "place": place.id, "mentor": meester.id, "application": application.id,
        "internship": internship.id, "round": round_.id, "evaluations": evaluations,
        "profile": student.profile.id, "tokens": tokens, "accreditation": company.accreditations[0].id,
        "running": running.id, "company": company.id, "search": search.id,
    }  # fmt: skip


def _form_classes() -> dict[str, type]:
    """Every form of the project by class name (views name them; some import them locally)."""
    import importlib
    import pkgutil

    import stagematch

    for module in pkgutil.walk_packages(stagematch.__path__, "stagematch."):
        if module.name.rsplit(".", 1)[-1] in ("forms", "routes", "allocation"):
            importlib.import_module(module.name)
    found, todo = {}, [FlaskForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("stagematch."):
            found[cls.__name__] = cls
    return found


FORM = re.compile(r"\b([A-Z]\w*Form)\((?:[^()]*?prefix=\"(\w+)\")?")
PARAM = re.compile(
    r"""(?:args|form)\.get\(\s*["']([\w-]+)["']|(?:arg_int|form_int)\(\s*["']([\w-]+)["']"""
)
CALL = re.compile(r"\b(_?[a-z]\w*)\(")


def _field_names(form_class: type, prefix: str | None) -> list[tuple[str, bool]]:
    """(name, is a file) of each field, as the browser posts them."""
    names = []
    for name in dir(form_class):
        field = getattr(form_class, name)
        if hasattr(field, "field_class") and name != "csrf_token":
            names.append(
                (f"{prefix}-{name}" if prefix else name, issubclass(field.field_class, FileField))
            )
    return names


def view_parameters(view, forms: dict[str, type]) -> set[tuple[str, bool]]:
    """The parameters a view reads: the fields of the forms it (or a helper in its module) builds,
    and what it reads from request.args / request.form directly."""
    found: set[tuple[str, bool]] = set()
    seen: set = set()

    def visit(func, depth: int) -> None:
        func = inspect.unwrap(func)
        if func in seen or depth > 2 or not inspect.isfunction(func):
            return
        seen.add(func)
        source = inspect.getsource(func)
        for name, prefix in FORM.findall(source):
            if name in forms:
                found.update(_field_names(forms[name], prefix or None))
        for args_name, helper_name in PARAM.findall(source):
            found.add((args_name or helper_name, False))
        module = sys.modules[func.__module__]
        for callee in set(CALL.findall(source)):
            target = getattr(module, callee, None)
            if inspect.isfunction(target) and target.__module__.startswith("stagematch"):
                visit(target, depth + 1)

    visit(view, 0)
    return found


API_ROLES = ["api-student", "api-intern", "api-company", "api-coordinator", "api-admin", "api-None"]
LOGGED_IN = ["student", "intern", "company", "coordinator", "admin"]
ROLES_BY_PREFIX = {"/student": ["student", "intern"], "/leerbedrijf": ["company"], "/coordinator": ["coordinator"],
                   "/beheer": ["admin"], "/api/": API_ROLES}  # fmt: skip
# Pages for someone who is not logged in: the shared clients of the other roles stay logged in.
ANONYMOUS_ONLY = {"auth.login", "auth.register", "auth.register_student", "auth.register_company",
                  "auth.forgot_password", "auth.set_password"}  # fmt: skip
# Not fuzzed: logging out would end the shared sessions the other examples need.
SKIPPED = {"static", "auth.logout", "auth.logout_everywhere"}
# Sent to every endpoint besides its own parameters.
GENERIC = ["page", "id", "next"]
# Run against an id that does not exist: deleting the round would leave nothing to rank in.
MISSING = 999_999
DESTROYS_THE_WORLD = {"coordinators.round_delete"}
ACTIONS = [
    "publiceren",
    "sluiten",
    "bevestigen",
    "kopieren",
    "uitnodigen",
    "afwijzen",
    "intrekken",
    "²",
    "x" * 300,
]


def _extra_parameters(world) -> dict[str, list[str]]:
    """Field names a view builds from data (one per place or student), which no form class lists."""
    rank = [f"rang-{i}" for i in (world["place"], world["profile"], 0, MISSING)]
    hostile = ["rang-²", "rang-٣", f"rang-{2**31}", "rang-99999999999999999999", "rang--1"]
    return {
        "students.allocation_round": rank + hostile,
        "companies.allocation_round": [*rank, *hostile, "meester"],
        "students.accept_offer": [f"aanbod{world['application']}-withdraw"],
    }


def _path_values(world) -> dict[str, list]:
    evaluations = list(world["evaluations"].values())
    return {
        "placement_id": [world["place"]], "profile_id": [world["profile"]],
        "application_id": [world["application"], world["running"]], "round_id": [world["round"]],
        "mentor_id": [world["mentor"]], "internship_id": [world["internship"]],
        "evaluation_id": evaluations, "accreditation_id": [world["accreditation"]],
        "company_id": [world["company"]], "search_id": [world["search"]], "flag_id": [MISSING],
        "token_id": [MISSING], "action": ACTIONS, "token": ["x" * 40, "²"], "job_id": ["0" * 32, "²"],
    }  # fmt: skip


def endpoints(app, world) -> dict[str, tuple[list, list]]:
    """Every endpoint of the app: its (role, method, rule, path values) and its parameters."""
    forms = _form_classes()
    extra = _extra_parameters(world)
    paths = _path_values(world)
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED:
            continue
        view = app.view_functions[rule.endpoint]
        params = view_parameters(view, forms)
        params |= {(name, False) for name in [*extra.get(rule.endpoint, []), *GENERIC]}
        roles = next((r for p, r in ROLES_BY_PREFIX.items() if rule.rule.startswith(p)), None)
        if rule.endpoint in ANONYMOUS_ONLY:
            roles = [None]
        elif roles is None:
            roles = [None, *LOGGED_IN]
        arguments = {
            name: [MISSING] if rule.endpoint in DESTROYS_THE_WORLD else paths.get(name, [MISSING])
            for name in rule.arguments
        }
        calls, known = found.setdefault(rule.endpoint, ([], set()))
        known |= params
        for method in sorted(rule.methods & {"GET", "POST"}):
            calls.extend((role, method, rule, arguments) for role in roles)
    return {endpoint: (calls, sorted(params)) for endpoint, (calls, params) in found.items()}


EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2400"))  # the issue asks for at least 2,000


@pytest.fixture
def clients(app, world):
    """One client per role, logged in once (and one per role with an API token)."""
    found = {}
    for role in (None, *LOGGED_IN):
        client = app.test_client()
        if role:
            response = client.post(
                "/account/inloggen",
                data={"email": world["users"][role].email, "password": PASSWORD},
            )
            assert response.status_code == 302, role
        found[role] = client
        api = app.test_client()
        if role:
            api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world['tokens'][role]}"
        found[f"api-{role}"] = api
    return found


def fuzz(endpoint: str, calls: list, params: list, clients: dict, examples: int) -> dict[int, int]:
    """Hypothesis on one endpoint: random roles, path values and parameters; statuses counted."""
    statuses: dict[int, int] = {}

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize="FUZZ_RANDOM" not in os.environ,
        database=None,
    )
    @given(st.data())
    def check(data):
        role, method, rule, arguments = data.draw(st.sampled_from(calls))
        path = rule.build({k: data.draw(st.sampled_from(v)) for k, v in arguments.items()})[1]
        payload = {}
        for name, is_file in params:
            if not data.draw(st.booleans()):
                continue
            if is_file and method == "POST":
                content = data.draw(values).encode()
                filename = data.draw(st.sampled_from(["a.csv", "a.pdf", "²"]))
                payload[name] = (io.BytesIO(content), filename)
            elif data.draw(st.integers(0, 9)) == 0:  # the same name more than once
                payload[name] = data.draw(st.lists(values, min_size=2, max_size=3))
            else:
                payload[name] = data.draw(values)
        if method == "GET":
            response = clients[role].get(path, query_string=payload)
        else:
            response = clients[role].post(path, data=payload)
        shown = {k: str(v)[:80] for k, v in payload.items()}
        assert response.status_code < 500, (endpoint, role, method, path, shown)
        if path.startswith("/api/") and response.status_code >= 400:  # the documented body
            assert response.get_json()["error"]["status"] == response.status_code, (path, shown)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        response.close()

    check()
    return statuses


def test_random_and_hostile_input_never_breaks_a_page_a_form_or_the_api(app, world, clients):
    """Every endpoint in turn (so a new one is never left out), each with a share of the examples
    that grows with its number of parameters."""
    routes = endpoints(app, world)
    weights = {e: min(10, 2 + len(params) - len(GENERIC)) for e, (_calls, params) in routes.items()}
    statuses: dict[int, int] = {}
    for endpoint, (calls, params) in sorted(routes.items()):
        examples = max(4, EXAMPLES * weights[endpoint] // sum(weights.values()) + 1)
        for status, n in fuzz(endpoint, calls, params, clients, examples).items():
            statuses[status] = statuses.get(status, 0) + n

    assert sum(statuses.values()) >= EXAMPLES
    # Mostly as a user who may use the page (a route for another role is only refused).
    assert sum(n for s, n in statuses.items() if s in (401, 403)) < EXAMPLES // 4, statuses
    for role, home in [("student", "/student/"), ("intern", "/student/"), ("company", "/leerbedrijf/"),
                       ("coordinator", "/coordinator/"), ("admin", "/beheer")]:  # fmt: skip
        assert clients[role].get(home).status_code == 200, f"{role} was logged out by the fuzzing"
    db.session.rollback()
    assert consistency_problems() == []


XSS = '<script>alert("x")</script><b onmouseover=alert(1)>vet</b>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"


def test_script_and_html_in_every_text_field_are_shown_escaped(client, auth, make):
    company = make.company()
    company.name = company.description = XSS
    meester = make.meester(company, name=XSS, function=XSS)
    place = make.placement(
        company, meester, title=XSS, tasks=XSS, description=XSS, required_skills=XSS, languages=XSS
    )
    student = make.student(
        name=XSS, skills=XSS, interests=XSS, motivation=XSS, accessibility_needs=XSS
    )
    application = Application(
        student=student.profile, placement=place, motivation=XSS, status="shortlisted"
    )
    db.session.add(application)
    coordinator = make.coordinator(school=student.profile.school)
    company_user = make.company_user(company)
    db.session.commit()
    pages = {
        None: ["/plekken/", f"/plekken/{place.id}"],
        student: ["/student/", "/student/profiel", "/student/sollicitaties", f"/plekken/{place.id}"],
        company_user: ["/leerbedrijf/", f"/leerbedrijf/plekken/{place.id}", f"/leerbedrijf/sollicitaties/{application.id}",
                       "/leerbedrijf/begeleiders", "/leerbedrijf/sollicitaties", "/leerbedrijf/bedrijf"],
        coordinator: ["/coordinator/studenten", f"/coordinator/studenten/{student.profile.id}"],
    }  # fmt: skip
    for user, urls in pages.items():
        auth.logout()
        if user is not None:
            auth.login(user)
        for url in urls:
            page = client.get(url).get_data(as_text=True)
            assert "<script>alert" not in page and "<b onmouseover" not in page, url
            assert ESCAPED in page or "&lt;script&gt;" in page, url


def test_start_date_in_the_past_cannot_be_published(client, auth, make):
    company = make.company()
    meester = make.meester(company)
    place = make.placement(company, meester, status="draft", start_date=today() - timedelta(days=3))
    auth.login(make.company_user(company))
    client.post(f"/leerbedrijf/plekken/{place.id}/publiceren")
    db.session.refresh(place)
    assert place.status == "draft"


@pytest.mark.parametrize(
    "url",
    [
        "/plekken/9223372036854775808",
        "/leerbedrijf/plekken/99999999999999999999",
        "/coordinator/stages/2147483648",
        "/student/sollicitaties/9999999999999/melden",
    ],
)
def test_huge_ids_are_not_found_not_errors(client, url):
    assert client.get(url).status_code == 404


def test_a_nul_character_is_dropped_not_stored_or_a_server_error(client, auth, make):
    """PostgreSQL refuses NUL in text; the site takes the input without it (on both databases)."""
    from stagematch.models import SavedSearch

    student = make.student()
    auth.login(student)
    response = client.post(
        "/student/zoekopdrachten", data={"name": "Bak\x00ker", "query_string": ""}
    )
    assert response.status_code in (200, 302)
    names = db.session.scalars(select(SavedSearch.name)).all()
    assert names == ["Bakker"]
    assert client.get("/plekken/", query_string={"q": "\x00bakker"}).status_code == 200
