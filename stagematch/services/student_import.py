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
from sqlalchemy import select

from stagematch import geo
from stagematch.extensions import db
from stagematch.importing import ImportReport, ImportRow
from stagematch.models import Qualification, School, StudentProfile, User
from stagematch.models.enums import Role
from stagematch.services.accounts import email_taken, normalise_email, password_token
from stagematch.services.audit import record

IMPORT_COLUMNS = [
    ("studentnummer", "Studentnummer bij jullie school", True),
    ("naam", "Volledige naam", True),
    ("email", "E-mailadres van de student", True),
    ("crebo", "Crebo-nummer van de opleiding", True),
    ("niveau", "Niveau 1-4 (moet bij de crebo passen)", False),
    ("leerweg", "BOL of BBL", True),
    ("woonplaats", "Woonplaats", False),
    ("geplande_start", "Geplande start van de stage, 2027-02-01 of 01-02-2027", False),
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
    missing = [c for c, _, needed in IMPORT_COLUMNS if needed and c not in headers]
    if missing:
        return ImportReport(
            [], f"De kolom(men) {', '.join(missing)} ontbreken. Gebruik de kolommen uit de uitleg."
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
                ImportRow(line, False, f"Meer dan {MAX_ROWS} regels; de rest is niet gelezen.")
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
            problems.append("studentnummer ontbreekt of heeft vreemde tekens")
        elif number in numbers:
            problems.append(f"studentnummer {number} staat al in StageMatch")
        if not name or len(name) > 120:
            problems.append("naam ontbreekt of is te lang")
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            problems.append(f"e-mailadres '{email}' is niet geldig")
        else:
            if email_taken(email) or normalise_email(email) in seen_emails:
                problems.append(f"er is al een account met {email}")
        q = quals.get(row.get("crebo", ""))
        if q is None:
            problems.append(f"crebo '{row.get('crebo', '')}' bestaat niet")
        leerweg = row.get("leerweg", "").upper()
        if leerweg not in ("BOL", "BBL"):
            problems.append("leerweg moet BOL of BBL zijn")
        elif q is not None and not q.offers(leerweg):
            problems.append(f"{q.name} bestaat niet in de {leerweg}")
        level = row.get("niveau", "")
        if level and q is not None and level != str(q.level):
            problems.append(f"niveau {level} past niet bij crebo {q.crebo} (niveau {q.level})")
        town = None
        if row.get("woonplaats"):
            town = geo.find_town(row["woonplaats"])
            if town is None:
                hint = geo.suggest_towns(row["woonplaats"])
                problems.append(
                    f"woonplaats '{row['woonplaats']}' kennen we niet"
                    + (f" (bedoel je {' of '.join(hint)}?)" if hint else "")
                )
        planned = None
        if row.get("geplande_start"):
            planned = _date(row["geplande_start"])
            if planned is None:
                problems.append(f"geplande start '{row['geplande_start']}' is geen datum")
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
        report.rows.append(ImportRow(line, True, f"{name} toegevoegd", user=user, link=link))
    if not report.rows:
        report.error = "Het bestand heeft geen regels met studenten."
    return report
