"""Importing a school's students from CSV: every row checked, a report per row, an invitation link
for each new student. A refused row writes nothing; accepted rows are committed one by one."""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from stagematch import geo
from stagematch.extensions import db
from stagematch.importing import ImportReport, ImportRow
from stagematch.models import Qualification, School, StudentProfile, User
from stagematch.models.enums import Role
from stagematch.services.accounts import email_taken, normalise_email, password_token
from stagematch.services.audit import record

IMPORT_COLUMNS = [
    ("studentnummer", _l("Studentnummer bij jullie school"), True),
    ("naam", _l("Volledige naam"), True),
    ("email", _l("E-mailadres van de student"), True),
    ("crebo", _l("Crebo-nummer van de opleiding"), True),
    ("niveau", _l("Niveau 1-4 (moet bij de crebo passen)"), False),
    ("leerweg", _l("BOL of BBL"), True),
    ("woonplaats", _l("Woonplaats"), False),
    ("geplande_start", _l("Geplande start van de stage, 2027-02-01 of 01-02-2027"), False),
]
MAX_ROWS = 20_000


def _date(text: str):
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def import_students(school: School, raw: bytes) -> ImportReport:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    headers = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c, _what, needed in IMPORT_COLUMNS if needed and c not in headers]
    if missing:
        return ImportReport(
            [],
            _(
                "De kolom(men) %(columns)s ontbreken. Gebruik de kolommen uit de uitleg.",
                columns=", ".join(missing),
            ),
        )
    quals = {q.crebo: q for q in db.session.scalars(select(Qualification))}
    numbers = set(
        db.session.scalars(
            select(StudentProfile.student_number).where(StudentProfile.school_id == school.id)
        )
    )
    report = ImportReport([])
    seen_emails: set[str] = set()
    for line, raw_row in enumerate(reader, start=2):
        if line > MAX_ROWS + 1:
            report.rows.append(
                ImportRow(
                    line,
                    False,
                    _("Meer dan %(count)s regels; de rest is niet gelezen.", count=MAX_ROWS),
                )
            )
            break
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw_row.items() if k}
        if not any(row.values()):
            continue
        problems = []
        number, name, email = (
            row.get("studentnummer", ""),
            row.get("naam", ""),
            row.get("email", ""),
        )
        if not re.fullmatch(r"[A-Za-z0-9-]{1,20}", number):
            problems.append(_("studentnummer ontbreekt of heeft vreemde tekens"))
        elif number in numbers:
            problems.append(_("studentnummer %(number)s staat al in StageMatch", number=number))
        if not name or len(name) > 120:
            problems.append(_("naam ontbreekt of is te lang"))
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            problems.append(_("e-mailadres '%(email)s' is niet geldig", email=email))
        else:
            if email_taken(email) or normalise_email(email) in seen_emails:
                problems.append(_("er is al een account met %(email)s", email=email))
        q = quals.get(row.get("crebo", ""))
        if q is None:
            problems.append(_("crebo '%(crebo)s' bestaat niet", crebo=row.get("crebo", "")))
        leerweg = row.get("leerweg", "").upper()
        if leerweg not in ("BOL", "BBL"):
            problems.append(_("leerweg moet BOL of BBL zijn"))
        elif q is not None and not q.offers(leerweg):
            problems.append(
                _("%(name)s bestaat niet in de %(leerweg)s", name=q.name, leerweg=leerweg)
            )
        level = row.get("niveau", "")
        if level and q is not None and level != str(q.level):
            problems.append(
                _(
                    "niveau %(level)s past niet bij crebo %(crebo)s (niveau %(expected)s)",
                    level=level,
                    crebo=q.crebo,
                    expected=q.level,
                )
            )
        town = None
        if row.get("woonplaats"):
            town = geo.find_town(row["woonplaats"])
            if town is None:
                hint = geo.suggest_towns(row["woonplaats"])
                if hint:
                    options = hint[0]
                    for other in hint[1:]:
                        options = _("%(first)s of %(second)s", first=options, second=other)
                    problems.append(
                        _(
                            "woonplaats '%(town)s' kennen we niet (bedoel je %(options)s?)",
                            town=row["woonplaats"],
                            options=options,
                        )
                    )
                else:
                    problems.append(
                        _("woonplaats '%(town)s' kennen we niet", town=row["woonplaats"])
                    )
        planned = None
        if row.get("geplande_start"):
            planned = _date(row["geplande_start"])
            if planned is None:
                problems.append(
                    _("geplande start '%(value)s' is geen datum", value=row["geplande_start"])
                )
        if problems:
            report.rows.append(ImportRow(line, False, "; ".join(problems)))
            continue
        user = User(email=normalise_email(email), name=name, role=Role.STUDENT, school=school)
        user.set_password(secrets.token_urlsafe(24))
        user.profile = StudentProfile(
            school=school, qualification=q, level=q.level, leerweg=leerweg, student_number=number,
            city=town.name if town else None, lat=town.lat if town else None, lon=town.lon if town else None,
            planned_start=planned,
        )  # fmt: skip
        db.session.add(user)
        db.session.flush()
        record("student.import", user.profile, line=line)
        db.session.commit()
        numbers.add(number)
        seen_emails.add(user.email)
        link = url_for("auth.set_password", token=password_token(user), _external=True)
        report.rows.append(
            ImportRow(line, True, _("%(name)s toegevoegd", name=name), user=user, link=link)
        )
    if not report.rows:
        report.error = _("Het bestand heeft geen regels met studenten.")
    return report
