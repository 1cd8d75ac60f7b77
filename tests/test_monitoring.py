"""The monitoring report (issue 19, item 4): exposure and outcomes per group of students (level,
leerweg, age band, region, school) per model version and school; disparity ratios with the
four-fifths rule; the administrator's page (Dutch and English, CSV); the nightly check that tells
the administrators once."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import Application, Interaction, Internship, ModelVersion, Notification
from stagematch.models.enums import Leerweg
from stagematch.ranking.review import age_band
from stagematch.services import monitoring
from stagematch.timeutil import today, utcnow
from tests.test_notifications import check_sent


def _version(active: bool = False) -> ModelVersion:
    version = ModelVersion(family="x", n_examples=1, date_from="2025-01-01", date_to="2025-01-02",
                           features="[]", metrics="[]", importances="{}", artifact="x.joblib",
                           active=active)  # fmt: skip
    db.session.add(version)
    db.session.flush()
    return version


@pytest.fixture
def world(make):
    """50 students: 25 BOL in Hengelo at ROC van Twente (shown places, applying, invited),
    25 BBL in Utrecht at Deltion (most shown nothing, rarely invited). Every row made is kept
    in plain Python as well, for recomputing the report."""
    version, other = _version(active=True), _version()
    q = make.qualification()
    company = make.company(qualifications=[q])
    meester = make.meester(company, capacity=50)
    places = [make.placement(company, meester, seats=50) for _ in range(3)]
    twente, deltion = make.school("ROC van Twente"), make.school("Deltion College")
    on = today()
    students, lists, applications, internships = [], [], [], []
    for i in range(50):
        bol = i < 25
        birth = date(on.year - (17 if i % 3 == 0 else 19 if i % 3 == 1 else 23), 1, 1)
        user = make.student(
            town="Hengelo" if bol else "Utrecht", leerweg=Leerweg.BOL if bol else Leerweg.BBL,
            school=twente if bol else deltion, birth_date=birth,
        )  # fmt: skip
        p = user.profile
        students.append(dict(id=p.id, leerweg=p.leerweg, birth=birth, level=p.level,
                             province=geo.find_town(p.city).province, school=p.school_id))  # fmt: skip

        def log(shown, offset=0, version_id=version.id, old=False, student_id=p.id):
            ids = [pl.id for pl in places][:shown]
            payload = {"source": "home", "places": ids}
            if not old:
                payload.update(candidates=[[x, 0.5] for x in ids], offset=offset, shown=shown)
            db.session.add(Interaction(kind="list_shown", student_id=student_id, payload=payload,
                                       model_version_id=version_id))  # fmt: skip
            lists.append(dict(student=student_id, shown=shown, offset=offset, version=version_id))

        if bol:
            log(3)
            log(2, offset=10 if i % 2 else 0)
            if i % 5 == 0:
                log(2, old=True)  # a row from before the ranking log: no `shown`
        elif i < 35:
            log(1)
        else:
            log(0)
        if i % 7 == 0:
            log(3, version_id=other.id)  # another version's list
        for n, place in enumerate(places[: 2 if bol else 1]):
            shortlisted = bol and n == 0 and i % 4 != 3 or (not bol and i % 10 == 0)
            offered = shortlisted and (bol or i == 40) and i % 2 == 0
            accepted = offered and i % 3 != 2
            status = "accepted" if accepted else "offered" if offered else (
                "shortlisted" if shortlisted else "submitted")  # fmt: skip
            db.session.add(Application(
                student_id=p.id, placement_id=place.id, status=status,
                shortlisted_at=utcnow() if shortlisted else None,
                offered_at=utcnow() if offered else None,
            ))  # fmt: skip
            applications.append(dict(student=p.id, shortlisted=shortlisted, offered=offered,
                                     accepted=accepted))  # fmt: skip
        if i % 4 == 0:
            ended = i % 8 == 0
            outcome = ("success" if i % 3 else "dropped_out") if ended else None
            db.session.add(Internship(
                student_id=p.id, placement_id=places[0].id, school_id=p.school_id,
                meester_id=meester.id, start_date=on - timedelta(days=200),
                end_date=on - timedelta(days=10), status="completed" if ended else "active",
                outcome=outcome, ended_at=on - timedelta(days=10) if ended else None,
            ))  # fmt: skip
            internships.append(dict(student=p.id, finished=ended, success=outcome == "success"))
    # A list of students for a company (no student_id): not a student's exposure.
    db.session.add(Interaction(kind="list_shown", student_id=None, place_id=places[0].id,
                               model_version_id=version.id,
                               payload={"source": "suggested", "students": [students[0]["id"]]}))  # fmt: skip
    db.session.commit()
    return dict(version=version, other=other, students=students, lists=lists,
                applications=applications, internships=internships, twente=twente,
                deltion=deltion, admin=make.admin())  # fmt: skip


def _recompute(world, grouping: str, *, version_id=None) -> dict:
    """The report's figures in plain Python over the rows the world made."""
    key = {
        "leerweg": lambda s: s["leerweg"],
        "region": lambda s: s["province"],
        "age_band": lambda s: age_band(s["birth"], today()),
        "school": lambda s: str(s["school"]),
    }[grouping]
    lists = [x for x in world["lists"] if version_id is None or x["version"] == version_id]
    served = {x["student"] for x in lists}
    students = [s for s in world["students"] if version_id is None or s["id"] in served]
    of = {s["id"]: key(s) for s in students}
    result = defaultdict(lambda: defaultdict(int))
    for s in students:
        result[key(s)]["students"] += 1
    for x in lists:
        if x["student"] not in of:
            continue
        g = result[of[x["student"]]]
        g["lists"] += 1
        if x["shown"]:
            g["lists_with_places"] += 1
            g["best_position_total"] += x["offset"] + 1
    for sid in {x["student"] for x in lists if x["shown"] and x["student"] in of}:
        result[of[sid]]["students_shown"] += 1
    for a in world["applications"]:
        if a["student"] in of:
            g = result[of[a["student"]]]
            g["applications"] += 1
            g["shortlisted"] += a["shortlisted"] or a["offered"]
            g["offered"] += a["offered"]
            g["accepted"] += a["accepted"]
    for t in world["internships"]:
        if t["student"] in of:
            result[of[t["student"]]]["finished"] += t["finished"]
            result[of[t["student"]]]["successes"] += t["success"]
    return result


FIELDS = ("students", "lists", "lists_with_places", "best_position_total", "students_shown",
          "applications", "shortlisted", "offered", "accepted", "finished", "successes")  # fmt: skip


@pytest.mark.parametrize("version", [False, True])
def test_the_report_is_what_the_rows_say(world, version):
    version_id = world["version"].id if version else None
    found = monitoring.report(model_version_id=version_id)
    assert set(found.groups) == {"level", "leerweg", "age_band", "region", "school"}
    for grouping in ("leerweg", "region", "age_band", "school"):
        expected = _recompute(world, grouping, version_id=version_id)
        got = {g.key: g for g in found.groups[grouping]}
        assert set(got) == set(expected), grouping
        for key, figures in expected.items():
            group = got[key]
            assert {f: getattr(group, f) for f in FIELDS} == {f: figures[f] for f in FIELDS}, (
                grouping, key)  # fmt: skip
            assert group.shortlist_rate == pytest.approx(
                (figures["shortlisted"] / figures["applications"])
                if figures["applications"]
                else None
            )
            assert group.shown_share == pytest.approx(
                figures["students_shown"] / figures["students"]
            )
    leerweg = {g.key: g for g in found.groups["leerweg"]}
    assert leerweg["BOL"].students == 25 and leerweg["BBL"].students == 25
    # All 50 students share one level: a single group whose ratios are all 1.
    [level] = found.groups["level"]
    assert level.students == 50 and set(level.ratios.values()) == {1.0}


def test_a_group_below_four_fifths_is_a_disparity(world):
    found = monitoring.report()
    expected = _recompute(world, "leerweg")
    bbl, bol = expected["BBL"], expected["BOL"]
    share = (bbl["students_shown"] / 25) / (bol["students_shown"] / 25)
    assert share < monitoring.THRESHOLD
    shown = [d for d in found.disparities() if d.grouping == "leerweg" and d.rate == "shown_share"]
    assert [(d.key, d.best_label) for d in shown] == [("BBL", "BOL")]
    assert shown[0].ratio == pytest.approx(share)
    rates = {(d.grouping, d.key, d.rate) for d in found.disparities()}
    assert ("region", "Utrecht", "shortlist_rate") in rates
    assert ("region", "Overijssel", "shown_share") not in rates  # the best group
    # Age bands hold fewer than MIN_GROUP students each: no ratio, no disparity.
    assert all(not g.ratios for g in found.groups["age_band"])
    assert not [d for d in found.disparities() if d.grouping == "age_band"]
    # How many applications a student sends is shown, never judged: more is not better.
    assert all(
        "applications_per_student" not in g.ratios for gs in found.groups.values() for g in gs
    )


def test_one_school_and_a_period(world):
    found = monitoring.report(school_id=world["deltion"].id)
    assert [g.key for g in found.groups["leerweg"]] == ["BBL"]
    assert [g.label for g in found.groups["school"]] == ["Deltion College"]
    empty = monitoring.report(since=today() + timedelta(days=1))
    [bol] = [g for g in empty.groups["leerweg"] if g.key == "BOL"]
    assert bol.students == 25 and bol.lists == bol.applications == bol.finished == 0
    assert empty.disparities() == [] or all(
        d.rate not in ("shortlist_rate", "acceptance_rate", "success_rate")
        for d in empty.disparities()
    )


def test_the_page_in_both_languages_with_csv(app, client, auth, world):
    auth.login(world["admin"])
    page = client.get(f"/beheer/monitoring?versie={world['version'].id}")
    assert page.status_code == 200
    text = page.text
    assert "Deltion College" in text and "Utrecht" in text
    assert "vier-vijfde" in text and 'class="disparity"' in text
    assert "Bezwaren" in text
    home = client.get("/beheer").text
    assert "/beheer/monitoring" in home
    export = client.get(f"/beheer/monitoring?versie={world['version'].id}&formaat=csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))  # fmt: skip
    assert rows[0][:3] == ["indeling", "groep", "studenten"]
    bbl = next(r for r in rows if r[0] == "leerweg" and r[1] == "BBL")
    assert bbl[2] == "25"


def test_the_english_page_has_no_dutch_left(app, client, auth, world):
    from tests.test_i18n import _data_values, _dutch_left

    auth.login(world["admin"])
    client.set_cookie("taal", "en")
    english = client.get(f"/beheer/monitoring?versie={world['version'].id}")
    assert english.status_code == 200 and '<html lang="en"' in english.text
    assert "four-fifths" in english.text
    assert _dutch_left(english.text, _data_values()) == []


@pytest.mark.parametrize("query", ["van=31-13-2026", "versie=abc", "school=99999", "tot=gisteren"])
def test_bad_filters_come_back_with_a_message(client, auth, world, query):
    auth.login(world["admin"])
    response = client.get(f"/beheer/monitoring?{query}")
    assert response.status_code == 422
    assert "Controleer dit nog even" in response.text


def test_only_administrators(client, auth, make, world):
    auth.login(make.coordinator())
    assert client.get("/beheer/monitoring").status_code == 403


def test_the_nightly_check_tells_the_administrators_once(app, client, outbox, make, world):
    english_admin = make.admin()
    english_admin.locale = "en"
    db.session.commit()
    made = monitoring.check()
    assert made == 2 * len(monitoring.report(model_version_id=world["version"].id).disparities())
    assert made > 0
    assert monitoring.check() == 0  # once per (version, grouping, group, rate)
    key = f"monitoring:{world['version'].id}:leerweg:BBL:shown_share"
    assert db.session.scalar(
        select(func.count(Notification.id)).where(Notification.subject_key == key)
    ) == 2  # fmt: skip
    # check_sent wants one notification and one mail each: start over with one disparity.
    first = monitoring.report(model_version_id=world["version"].id).disparities()[0]
    db.session.execute(Notification.__table__.delete())
    db.session.commit()
    import shutil
    from pathlib import Path

    shutil.rmtree(Path(app.config["MAIL_FILE_PATH"]), ignore_errors=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(monitoring.Report, "disparities", lambda self: [first])
        assert monitoring.check() == 2
        check_sent(app, client, outbox, world["admin"], "monitoring_disparity",
                   repeat=monitoring.check)  # fmt: skip
        check_sent(app, client, outbox, english_admin, "monitoring_disparity")


def test_the_cli_runs_the_check(app, world):
    result = app.test_cli_runner().invoke(args=["monitoring-check"])
    assert result.exit_code == 0, result.output
    assert "melding" in result.output
    assert db.session.scalar(select(func.count(Notification.id))) > 0
