"""The technical documentation of a model version (EU AI Act Annex IV) and the instructions for
deployers — the schools' coordinators (art. 13), built from the version's row and the code's
constants, never from hand-copied figures: features from the version's `features`, figures and
subgroups from its `metrics`, signs from `matching.features.MONOTONE`, thresholds from the gate
and the review, the log's period from the configuration. A version without metrics still gets its
pages: they say what is missing.

Both return a list of `Section`s (a title and blocks: paragraphs, lists and tables) in the reader's
language; the pages render them as they come."""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.i18n import translate
from stagematch.matching import evaluation
from stagematch.matching.features import MONOTONE
from stagematch.matching.model import CANDIDATES, OFFER_WEIGHTS, RULE_WEIGHTS, SUCCESS_WEIGHTS
from stagematch.matching.text import N_, Phrase
from stagematch.models import ModelVersion
from stagematch.ranking import gate as gate_module
from stagematch.ranking import review as review_module
from stagematch.services import list_order, model_review, ranking_log
from stagematch.templating import format_number

# What each feature means, in the users' words (msgids; the code's own comments are in English).
MEANINGS = {
    "distance_km": N_("afstand in km tussen woonplaats en plek"),
    "distance_ratio": N_("afstand gedeeld door hoe ver de student wil reizen"),
    "same_crebo": N_("de plek is voor de eigen opleiding (crebo) en niet voor een verwante"),
    "text_fit": N_("hoe goed de woorden van het profiel passen bij de taken van de plek"),
    "skill_overlap": N_("deel van de gevraagde vaardigheden dat de student noemt"),
    "pay_ratio": N_("vergoeding of loon vergeleken met het midden van de sector"),
    "bbl_days_gap": N_("verschil tussen gewenste en aangeboden werkdagen (BBL)"),
    "sqi": N_("begeleidingskwaliteit (SQI, 0–100)"),
    "sqi_structure": N_("SQI: opzet van de begeleiding"),
    "sqi_outcome": N_("SQI: eerdere uitkomsten"),
    "sqi_load": N_("SQI: ruimte van de meester"),
    "meester_load_ratio": N_("leerlingen van de meester gedeeld door zijn capaciteit"),
    "company_completion": N_("goed afgeronde stages bij het bedrijf"),
    "has_gezel": N_("een gezel naast de leerling"),
    "time_per_learner": N_("begeleidingsuren van de meester per leerling"),
    "meester_trained": N_("de meester is opgeleid als praktijkopleider"),
    "rating": N_("beoordeling van de meester door studenten"),
    "meester_completion": N_("goed afgeronde stages bij de meester"),
    "low_level": N_("hoe laag het niveau is (1 bij Entree, 0 bij niveau 4)"),
    "low_level_x_time": N_("begeleidingstijd, zwaarder bij niveau 1 en 2"),
    "low_level_x_gezel": N_("een gezel, zwaarder bij niveau 1 en 2"),
    "interest_overlap": N_("deel van de interesses van de student dat de plek vraagt"),
    "low_level_x_distance": N_("afstand, zwaarder bij niveau 1 en 2"),
    "bbl_x_pay": N_("loon op BBL-plekken"),
    "answer_rate": N_("hoe vaak het bedrijf op tijd op sollicitaties reageert"),
    "competition": N_("open sollicitaties per vrije plaats"),
}
PROTECTED = N_("naam, geslacht, leeftijd, nationaliteit, afkomst, toegankelijkheidswensen en foto")
GROUP_LABELS = {"level": N_("niveau"), "leerweg": N_("leerweg"), "school": N_("school")}
KNOWN_LIMITS = (
    N_("De kwaliteit van een meester die alleen studenten merken, ziet het model alleen via "
       "beoordelingen en afgeronde stages."),
    N_("De smaak van een student en de interesses van studenten met een leeg profiel kent het "
       "model niet."),
    N_("Regio wordt voor studenten niet opgeslagen; per regio is niet getoetst."),
    N_("Eerdere reserveringen van plekken zijn niet terug te halen: een plek telt als "
       "beschikbaar vanaf publicatie tot de start, zolang er een plaats vrij is."),
    N_("Bij weinig gegevens (een nieuwe school, een nieuw bedrijf) leunen beoordelingen en "
       "afgeronde stages op het gemiddelde: het model weet dan weinig meer dan de regel."),
    N_("In de demo komen alle cijfers uit een nagebootste markt, niet uit echte stages; ze "
       "zeggen hoe het model werkt, niet hoe goed het in een school zal werken."),
)  # fmt: skip


@dataclass
class Table:
    head: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    key: str
    title: str
    blocks: list = field(default_factory=list)  # str (a paragraph), list[str] (a list), Table

    def say(self, text: str) -> None:
        self.blocks.append(text)


def _n(value, digits: int = 3, signed: bool = False) -> str:
    return format_number(value, digits, fixed=True, signed=signed)


def _interval(value, lo, hi, signed: bool = False) -> str:
    return f"{_n(value, signed=signed)} [{_n(lo, signed=signed)}, {_n(hi, signed=signed)}]"


def _load(text: str | None, default):
    try:
        value = json.loads(text or "")
    except (TypeError, ValueError):
        return default
    return value if isinstance(value, type(default)) else default


@dataclass
class _Facts:
    """A version's JSON, read once; every part may be missing."""

    version: ModelVersion
    features: list = field(default_factory=list)
    metrics: list = field(default_factory=list)
    importances: dict = field(default_factory=dict)

    @classmethod
    def of(cls, version: ModelVersion) -> _Facts:
        metrics = [m for m in _load(version.metrics, []) if isinstance(m, dict)]
        return cls(version, _load(version.features, []), metrics, _load(version.importances, {}))

    def kind(self, kind: str) -> list[dict]:
        return [m for m in self.metrics if m.get("kind") == kind]

    @property
    def model(self) -> dict | None:
        return next(iter(self.kind("model")), None)

    @property
    def summary(self) -> dict:
        return next(iter(self.kind("summary")), {})

    @property
    def gate(self) -> dict | None:
        return gate_module.gate_of(self.metrics)

    def baseline(self, name: str) -> dict | None:
        return next((m for m in self.kind("baseline") if m.get("name") == name), None)


def _ranker_name(row: dict) -> str:
    if row.get("kind") == "model":
        return _("het model")
    return translate(Phrase(row.get("name", "")))


def _previous(version: ModelVersion) -> ModelVersion | None:
    return db.session.scalars(
        select(ModelVersion).where(ModelVersion.id < version.id).order_by(ModelVersion.id.desc())
    ).first()


def _log_days() -> int:
    return int(current_app.config["RANKING_LOG_DAYS"])


def _rule_text() -> str:
    terms = {"distance_ratio": _("afstand"), "text_fit": _("passend werk (woorden)"),
             "skill_overlap": _("passend werk (vaardigheden)"), "sqi": _("begeleiding (SQI)"),
             "pay_ratio": _("vergoeding")}  # fmt: skip
    parts = [f"{terms.get(name, name)} {format_number(abs(w) * 100)} %"
             for name, w in RULE_WEIGHTS.items()]  # fmt: skip
    return _("De regel zonder model telt mee: %(parts)s.", parts=", ".join(parts))


# --- the technical documentation ----------------------------------------------------------------


def technical_documentation(version: ModelVersion) -> list[Section]:
    facts = _Facts.of(version)
    return [
        _purpose(),
        _data(facts),
        _features(facts),
        _training(facts),
        _evaluation(facts),
        _limits(facts),
        _oversight(),
        _logs(),
        _changes(facts),
    ]


def _purpose() -> Section:
    s = Section("doel", _("Doel en bedoeld gebruik"))
    s.say(_("Het model zet de plekken die de regels een student toestaan in een volgorde: de "
            "plekken met de grootste kans op een goed afgeronde stage eerst. Dezelfde volgorde "
            "gebruiken de voorstellen op de startpagina, zoeken op relevantie, de API, de "
            "voorgestelde studenten voor een bedrijf en de startvolgorde van een verdeelronde."))  # fmt: skip
    s.say(_("Wie een plek mag zien, beslissen de regels (opleiding, niveau, leerweg, erkenning, "
            "capaciteit, loon, werktijden, afstand), niet het model. Wie solliciteert, wie wordt "
            "gekozen en wie een plek krijgt, beslissen mensen."))  # fmt: skip
    s.say(_("Het rangschikken van kandidaten voor beroepsonderwijs en werk is hoog risico volgens "
            "de AI-verordening (bijlage III, punten 3(a) en 4(a)). Scholen zetten het in; hun "
            "coördinatoren houden toezicht."))  # fmt: skip
    s.say(_("Niet gebruiken voor:"))
    s.blocks.append([
        _("studenten afwijzen, beoordelen of een cijfer geven;"),
        _("beslissen over toelating tot een opleiding of over een stage zonder dat een mens kijkt;"),
        _("bedrijven of meesters beoordelen buiten het zoeken naar een stage;"),
        _("situaties buiten het Nederlandse mbo, waarvoor het niet is getraind."),
    ])  # fmt: skip
    return s


def _data(facts: _Facts) -> Section:
    v, summary = facts.version, facts.summary
    s = Section("gegevens", _("Gegevens"))
    s.say(_("Bronnen: de gegevens van de site zelf — plekken en hun meesters, sollicitaties, "
            "shortlists, aanbiedingen, stages en hoe ze afliepen, en beoordelingen door "
            "studenten. Elk kenmerk is berekend zoals het op de dag van de student was."))  # fmt: skip
    s.say(_("Deze versie is getraind op %(n)s studenten die solliciteerden tussen %(date_from)s en "
            "%(date_to)s.", n=v.n_examples, date_from=v.date_from or "?", date_to=v.date_to or "?"))  # fmt: skip
    if summary:
        s.say(_("In totaal %(students)s studenten: %(fit)s om te trainen, %(choose)s om te kiezen, "
                "%(report)s om te meten (vanaf %(day)s); %(good)s met een goed afgeronde stage.",
                students=summary.get("students", "?"), fit=summary.get("fit", "?"),
                choose=summary.get("choose", "?"), report=summary.get("report", "?"),
                day=summary.get("report_from", "?"), good=summary.get("good", "?")))  # fmt: skip
    else:
        s.say(
            _(
                "De verdeling van de studenten over trainen, kiezen en meten ontbreekt bij deze versie."
            )
        )
    s.say(_("Alleen afgeronde gevallen tellen: de stage is voorbij, of er begon geen en %(days)s "
            "dagen zijn verstreken.", days=evaluation.SETTLE_DAYS))  # fmt: skip
    s.say(_("Niet gebruikt: %(attributes)s. Een test verandert elk van deze gegevens bij een "
            "student en controleert dat geen enkele score verandert.", attributes=_(PROTECTED)))  # fmt: skip
    return s


def _sign(feature: str) -> str:
    sign = MONOTONE.get(feature)
    if sign == 1:
        return _("hoger is nooit slechter")
    if sign == -1:
        return _("hoger is nooit beter")
    if sign == 0:
        return _("vrij")
    return _("onbekend in deze code")


def _features(facts: _Facts) -> Section:
    s = Section("kenmerken", _("Kenmerken"))
    if not facts.features:
        s.say(_("De lijst met kenmerken ontbreekt bij deze versie."))
        return s
    s.say(_("%(n)s kenmerken per student en plek. De richting ligt vast in de bouw van het "
            "model; tests veranderen één ding aan een plek en controleren dat de score de goede "
            "kant op gaat.", n=len(facts.features)))  # fmt: skip
    rows = []
    for name in facts.features:
        meaning = _(MEANINGS[name]) if name in MEANINGS else _("betekenis ontbreekt")
        importance = facts.importances.get(name)
        rows.append([name, meaning, _sign(name),
                     _n(importance, 4) if importance is not None else "–"])  # fmt: skip
    s.blocks.append(Table([_("Kenmerk"), _("Betekenis"), _("Richting"), _("Belang")], rows))
    s.say(
        _(
            "Belang: hoeveel de NDCG@10 per student daalt als het kenmerk willekeurig wordt gehusseld."
        )
    )
    return s


def _training(facts: _Facts) -> Section:
    fractions = inspect.signature(evaluation.split_by_time).parameters["fractions"].default
    fit, choose = (round(f * 100) for f in fractions)
    s = Section("training", _("Training"))
    s.say(_("Geprobeerde families: %(families)s; elk alleen of met een deel voor de kans op goed "
            "afronden (gewichten %(success)s) en een deel voor de kans op een aanbod (gewichten "
            "%(offer)s).", families=", ".join(c.name for c in CANDIDATES),
            success=", ".join(format_number(w, 2) for w in SUCCESS_WEIGHTS),
            offer=", ".join(format_number(w, 2) for w in OFFER_WEIGHTS)))  # fmt: skip
    s.say(_("Op tijd gesplitst: de oudste %(fit)s %% om te trainen, de %(choose)s %% daarna om te "
            "kiezen op de gemiddelde NDCG@10 per student, de nieuwste %(report)s %% om te meten. "
            "De gekozen versie is opnieuw getraind op de oudste %(refit)s %% en geijkt op de kans "
            "op een goed afgeronde stage.", fit=fit, choose=choose, report=100 - fit - choose,
            refit=fit + choose))  # fmt: skip
    s.say(_("Gekozen: %(family)s.", family=facts.version.family))
    tried = facts.kind("selection")
    if tried:
        s.say(_("%(n)s combinaties geprobeerd; de beste haalde %(best)s NDCG@10 bij het kiezen.",
                n=len(tried), best=_n(max(r.get("ndcg10", 0) for r in tried))))  # fmt: skip
    return s


def _evaluation(facts: _Facts) -> Section:
    s = Section("meting", _("Meting, ook per groep"))
    ranked = [facts.model, *facts.kind("baseline")] if facts.model else []
    if not ranked or "ndcg10" not in ranked[0]:
        s.say(_("De meting ontbreekt bij deze versie: er zijn geen cijfers opgeslagen."))
    else:
        s.say(_("Op %(n)s studenten die het model niet zag bij het trainen; tussen haakjes het "
                "95 %%-interval (bootstrap over studenten).", n=ranked[0].get("n", "?")))  # fmt: skip
        rows = []
        for r in ranked:
            ndcg = (_interval(r["ndcg10"], r["ndcg10_lo"], r["ndcg10_hi"]) if "ndcg10_lo" in r
                    else _n(r.get("ndcg10")))  # fmt: skip
            lead = (_interval(r["diff"], r["diff_lo"], r["diff_hi"], signed=True) if "diff" in r
                    else "")  # fmt: skip
            rows.append([_ranker_name(r), ndcg, lead])
        s.blocks.append(Table([_("Volgorde"), "NDCG@10", _("Voorsprong van het model")], rows))
    outcome = facts.gate
    if outcome is None:
        s.say(
            _("De toets ontbreekt bij deze versie: ze is nooit getoetst en kan niet actief worden.")
        )
        return s
    margin = outcome.get("margin", gate_module.MARGIN)
    min_group = outcome.get("min_group", gate_module.MIN_GROUP)
    s.say(_("Per groep (niveau, leerweg, school; groepen van minstens %(n)s studenten) mag het "
            "model hooguit %(margin)s NDCG@10 slechter zijn dan de regel.", n=min_group,
            margin=format_number(margin, 3)))  # fmt: skip
    groups = [c for c in outcome.get("checks", []) if c.get("check") == "subgroup"]
    if groups:
        rows = [[f"{_(GROUP_LABELS.get(c['group'], c['group']))} {c['value']}",
                 _("%(n)s studenten", n=c["n"]), _n(c["model"]), _n(c["rule"]),
                 _n(c["diff"], signed=True), _("geslaagd") if c["passed"] else _("niet geslaagd")]
                for c in groups]  # fmt: skip
        s.blocks.append(Table([_("Groep"), _("Aantal"), _("Model"), _("De regel zonder model"), _("Verschil"),
                               _("Uitslag")], rows))  # fmt: skip
    else:
        s.say(_("Geen groep was groot genoeg om te toetsen."))
    structure = [c for c in outcome.get("checks", []) if c.get("check") == "metamorphic"]
    if structure:
        failures = sum(c.get("failures", 0) for c in structure)
        cases = sum(c.get("cases", 0) for c in structure)
        s.say(_("Structuurtests: %(failures)s fout van %(cases)s gevallen.", failures=failures,
                cases=cases))  # fmt: skip
    s.say(_("Uitslag van de toets: geslaagd.") if outcome.get("passed")
          else _("Uitslag van de toets: niet geslaagd."))  # fmt: skip
    return s


def _limits(facts: _Facts) -> Section:
    s = Section("grenzen", _("Grenzen"))
    found = []
    for r in facts.kind("baseline"):
        if "diff_lo" in r and r["diff_lo"] <= 0:
            found.append(_("Niet zeker beter dan %(baseline)s: het interval van het verschil "
                           "(%(interval)s) bevat nul.", baseline=_ranker_name(r),
                           interval=_interval(r["diff"], r["diff_lo"], r["diff_hi"], signed=True)))  # fmt: skip
    for c in gate_module.failed_checks(facts.gate):
        if c.get("check") == "subgroup":
            found.append(_("%(group)s %(value)s: %(diff)s slechter dan de regel (%(n)s studenten).",
                           group=_(GROUP_LABELS.get(c["group"], c["group"])), value=c["value"],
                           diff=_n(-c["diff"]), n=c["n"]))  # fmt: skip
        elif c.get("check") == "metamorphic":
            found.append(_("Structuurtest %(check)s faalt in %(failures)s van %(cases)s gevallen.",
                           check=c.get("name"), failures=c.get("failures"), cases=c.get("cases")))  # fmt: skip
    if facts.gate is None or not facts.metrics:
        found.append(_("Zonder opgeslagen meting is niet bekend hoe goed deze versie rangschikt."))
    s.blocks.append(found or [_("De toets vond bij deze versie geen zwakke plek.")])
    s.say(_("Ook bekend:"))
    s.blocks.append([_(text) for text in KNOWN_LIMITS])
    s.say(_("Zonder actieve versie (bij de start, of als geen versie door de toets komt) "
            "sorteert de regel en zegt de site dat. %(rule)s", rule=_rule_text()))  # fmt: skip
    return s


def _oversight() -> Section:
    s = Section("toezicht", _("Menselijk toezicht"))
    s.blocks.append([
        _("Iedere student en coördinator kan de volgorde zonder model kiezen (%(orders)s); de "
          "site onthoudt die keuze.", orders=", ".join(_order_names())),
        _("Bij elk voorstel staat waarom; een student of bedrijf kan bezwaar maken. Het bezwaar "
          "komt bij een coördinator van de school met een naam, die antwoordt."),
        _("Een coördinator kan een verdeelronde starten zonder de volgorde van het model "
          "(dichtstbij eerst)."),
        _("Een versie wordt pas actief na de toets en een vastgelegd besluit van een beheerder, "
          "met een toelichting van minstens %(n)s tekens, na een vergelijking per groep op "
          "%(sample)s studenten.", n=model_review.NOTE_MIN, sample=review_module.SAMPLE),
    ])  # fmt: skip
    return s


def _order_names() -> list[str]:
    names = {list_order.DISTANCE: _("afstand"), list_order.START: _("startdatum")}
    return [names[o] for o in list_order.ORDERS if o in names]


def _logs() -> Section:
    s = Section("logboek", _("Logboek van ranglijsten"))
    s.say(_("Elke ranglijst die de site toont, wordt vastgelegd: wie vroeg, wanneer, welke "
            "modelversie (of de regel), alle kandidaten met score en plaats, en welke getoond "
            "zijn. Bronnen: %(sources)s.", sources=", ".join(ranking_log.SOURCES)))  # fmt: skip
    s.say(_("De site bewaart dit %(days)s dagen en verwijdert het daarna.", days=_log_days()))
    s.say(_("Een beheerder ziet het logboek in de site en haalt het per school op met %(command)s.",
            command="flask export-ranking-log --school NAAM --since DATUM --out BESTAND"))  # fmt: skip
    return s


def _changes(facts: _Facts) -> Section:
    s = Section("wijzigingen", _("Wijzigingen"))
    previous = _previous(facts.version)
    if previous is None:
        s.say(_("Dit is de eerste versie: er is niets om mee te vergelijken."))
        return s
    before = _Facts.of(previous)
    s.say(_("Vergeleken met versie %(id)s (%(family)s, %(n)s studenten):", id=previous.id,
            family=previous.family, n=previous.n_examples))  # fmt: skip
    items = []
    if before.version.family != facts.version.family:
        items.append(_("familie: %(old)s → %(new)s", old=previous.family, new=facts.version.family))
    added = [f for f in facts.features if f not in before.features]
    removed = [f for f in before.features if f not in facts.features]
    if added:
        items.append(_("kenmerken erbij: %(names)s", names=", ".join(added)))
    if removed:
        items.append(_("kenmerken eraf: %(names)s", names=", ".join(removed)))
    if facts.model and before.model and "ndcg10" in facts.model and "ndcg10" in before.model:
        items.append(_("NDCG@10 van het model: %(old)s → %(new)s (%(diff)s)",
                       old=_n(before.model["ndcg10"]), new=_n(facts.model["ndcg10"]),
                       diff=_n(facts.model["ndcg10"] - before.model["ndcg10"], signed=True)))  # fmt: skip
    rule_now, rule_then = facts.baseline(evaluation.RULE), before.baseline(evaluation.RULE)
    if rule_now and rule_then and "diff" in rule_now and "diff" in rule_then:
        items.append(_("voorsprong op de regel: %(old)s → %(new)s", old=_n(rule_then["diff"], signed=True),
                       new=_n(rule_now["diff"], signed=True)))  # fmt: skip
    s.blocks.append(items or [_("geen verschil in familie, kenmerken of cijfers")])
    return s


# --- the instructions for deployers --------------------------------------------------------------


def deployer_instructions(version: ModelVersion | None) -> list[Section]:
    """What a school's coordinator needs to use the ranking well (art. 13): for the active
    version, or the rule when none is active."""
    what = Section("wat", _("Wat de site voor je school doet"))
    what.say(_("StageMatch zet de plekken die de regels een student toestaan in een volgorde. "
               "Het kiest niemand en wijst niemand af: studenten solliciteren, bedrijven kiezen, "
               "jij houdt toezicht."))  # fmt: skip
    facts = _Facts.of(version) if version is not None else None
    if facts is None:
        what.say(_("Er is nu geen actieve modelversie: de site sorteert op een eenvoudige regel "
                   "en zegt dat ook. %(rule)s", rule=_rule_text()))  # fmt: skip
    else:
        what.say(_("Nu sorteert versie %(id)s (%(family)s), getraind op %(n)s studenten tussen "
                   "%(date_from)s en %(date_to)s.", id=version.id, family=version.family,
                   n=version.n_examples, date_from=version.date_from, date_to=version.date_to))  # fmt: skip
    accuracy = Section("nauwkeurigheid", _("Hoe goed het is"))
    if facts is not None and facts.model and "ndcg10" in facts.model:
        accuracy.say(_("Het model haalt %(ndcg)s NDCG@10 (1 = de plekken waar studenten het "
                       "beste terechtkwamen staan bovenaan).", ndcg=_n(facts.model["ndcg10"])))  # fmt: skip
        rows = [[_ranker_name(r), _interval(r["diff"], r["diff_lo"], r["diff_hi"], signed=True)]
                for r in facts.kind("baseline") if "diff_lo" in r]  # fmt: skip
        if rows:
            accuracy.blocks.append(
                Table([_("Vergeleken met"), _("Voorsprong van het model")], rows)
            )
        accuracy.say(_("Een voorsprong waarvan het interval nul bevat, is niet zeker."))
    elif facts is not None:
        accuracy.say(_("De meting ontbreekt bij deze versie."))
    else:
        accuracy.say(_("De regel is niet getraind en heeft dus geen gemeten voorsprong; hij is "
                       "uitlegbaar en voor iedereen gelijk."))  # fmt: skip
    accuracy.say(_("Het getal bij een plek is de kans op een goed afgeronde stage zoals het model "
                   "die inschat, geen oordeel over de student."))  # fmt: skip
    duties = Section("taken", _("Wat we van je vragen"))
    duties.blocks.append([
        _("Gebruik de volgorde als hulp, niet als besluit. Kijk zelf naar de student en de plek; "
          "een plek lager in de lijst kan de beste zijn."),
        _("Twijfel je aan de volgorde? Kies de volgorde zonder model (%(orders)s), ook voor een "
          "verdeelronde.", orders=", ".join(_order_names())),
        _("Beantwoord bezwaren van studenten en bedrijven die bij jou terechtkomen (Bezwaren "
          "tegen voorstellen). Wie bezwaar maakt, ziet je antwoord."),
        _("Houd de gegevens van je studenten juist: opleiding (crebo), niveau, leerweg, "
          "woonplaats en reisafstand bepalen welke plekken ze zien."),
        _("Zie je iets vreemds, bijvoorbeeld dezelfde groep steeds onderaan? Meld het aan de "
          "beheerder; die kan een versie terugdraaien."),
    ])  # fmt: skip
    limits = Section("grenzen", _("Waar het model zwak is"))
    limits.blocks.append([_(text) for text in KNOWN_LIMITS])
    logs = Section("logboek", _("Logboek"))
    logs.say(_("Elke ranglijst die je studenten zien, wordt vastgelegd en %(days)s dagen bewaard. "
               "Je school kan een uittreksel vragen aan de beheerder.", days=_log_days()))  # fmt: skip
    privacy = Section("nooit", _("Wat het model nooit gebruikt"))
    privacy.say(_("Niet gebruikt: %(attributes)s.", attributes=_(PROTECTED)))
    return [what, accuracy, duties, limits, logs, privacy]
