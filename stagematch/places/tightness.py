"""Shows "kansrijk beroep" on the pages (issue 18, item 4): the template global that looks up a
qualification's tightness figure. Rendering is `templates/places/_kansrijk.html`."""

from __future__ import annotations

from stagematch.places import bp
from stagematch.services import tightness


@bp.app_template_global("tightness_of")
def tightness_of(qualification) -> tightness.Tightness | None:
    return tightness.for_qualification(qualification)
