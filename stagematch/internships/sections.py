"""The sections of the placement page. A section module registers a function that returns the
template context of its part of the page (or None to leave it out for this side):

    @section("internships/_hours.html", order=20)
    def hours_section(internship, side):
        return {"weeks": ...}

The page renders every registered section in `order`, each template getting `internship`,
`side`, `today` and its own context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Provider = Callable[..., dict | None]


@dataclass(frozen=True)
class Section:
    template: str
    order: int
    provider: Provider


SECTIONS: list[Section] = []


def section(template: str, *, order: int) -> Callable[[Provider], Provider]:
    def register(provider: Provider) -> Provider:
        SECTIONS.append(Section(template, order, provider))
        SECTIONS.sort(key=lambda s: s.order)
        return provider

    return register


def render_context(internship, side: str) -> list[tuple[str, dict]]:
    """(template, context) for each section shown to `side`."""
    shown = []
    for s in SECTIONS:
        context = s.provider(internship, side)
        if context is not None:
            shown.append((s.template, context))
    return shown
