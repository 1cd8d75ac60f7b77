"""The placement page's section on shared supervision (issue 18): where the learner works on
which days and who supervises from which firm, when firms of a leerbedrijf network share it."""

from __future__ import annotations

from stagematch.internships.sections import section
from stagematch.services import networks


@section("internships/_chain.html", order=5)
def chain_section(internship, side):
    chain = networks.chain(internship.placement, internship)
    if not (chain.shared or chain.stops):
        return None
    return {"chain": chain}
