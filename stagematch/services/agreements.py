"""The praktijkovereenkomst (POK) of a placement: versions, signatures, the PDF (issue 17).

STUB written before the helper's work; the helper owns this module and replaces the bodies.
Interface other modules rely on:
- `is_signed(internship) -> bool`: the placement has a fully signed version (it may start).
- `current_version(internship) -> AgreementVersion | None`: the version in force, or the first
  one waiting for signatures when none is signed yet.
- `status_label_key(internship) -> str`: e.g. "wacht op school" (see the module once built).
- `render_pdf(version) -> bytes`: the version as a PDF document.
"""

from __future__ import annotations

from stagematch.models import AgreementStatus, AgreementVersion, Internship


def current_version(internship: Internship) -> AgreementVersion | None:
    versions = internship.agreement_versions
    signed = [v for v in versions if v.status == AgreementStatus.SIGNED]
    if signed:
        return signed[-1]
    return versions[0] if versions else None


def is_signed(internship: Internship) -> bool:
    return any(v.status == AgreementStatus.SIGNED for v in internship.agreement_versions)
