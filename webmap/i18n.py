"""Labels of the map pages in English and French, and the choice of language per request."""

from __future__ import annotations

from collections.abc import Mapping

from geo.errors import InvalidParameter

LANGS = ("en", "fr")

STRINGS: dict[str, dict[str, str]] = {
    "overview_title": {
        "en": "Conflict and cooperation — Africa and Middle East",
        "fr": "Conflits et coopération — Afrique et Moyen-Orient",
    },
    "country_title": {"en": "Country focus: {name}", "fr": "Zoom pays : {name}"},
    "subtitle": {
        "en": "Cooperation sites, regional schools and conflict events",
        "fr": "Sites de coopération, écoles régionales et événements de conflit",
    },
    "attribution_boundaries": {
        "en": "Boundaries: Natural Earth (public domain)",
        "fr": "Frontières : Natural Earth (domaine public)",
    },
    "attribution_events": {
        "en": "Conflict events: ACLED / UCDP GED (CC BY 4.0)",
        "fr": "Événements : ACLED / UCDP GED (CC BY 4.0)",
    },
    "period": {"en": "Period", "fr": "Période"},
    "period_from": {"en": "First month", "fr": "Premier mois"},
    "period_to": {"en": "Last month", "fr": "Dernier mois"},
    "event_type": {"en": "Event type", "fr": "Type d'événement"},
    "all_types": {"en": "All types", "fr": "Tous les types"},
    "metric": {"en": "Choropleth", "fr": "Carte choroplèthe"},
    "snapshot": {"en": "Snapshot", "fr": "Capture"},
    "overview": {"en": "Overview", "fr": "Vue d'ensemble"},
    "fullscreen": {"en": "Full screen", "fr": "Plein écran"},
    "synthetic_notice": {
        "en": "Synthetic demo data — not real events",
        "fr": "Données de démonstration synthétiques (synthetic demo data) — "
        "pas des événements réels",
    },
    "synthetic": {
        "en": "synthetic demo data",
        "fr": "données de démonstration synthétiques (synthetic demo data)",
    },
    "metric_events": {"en": "Events", "fr": "Événements"},
    "metric_fatalities": {"en": "Fatalities", "fr": "Victimes"},
    "metric_change_pct": {
        "en": "Change vs previous period",
        "fr": "Évolution vs période précédente",
    },
    "metric_events_per_100k": {
        "en": "Events per 100,000 inhabitants",
        "fr": "Événements pour 100 000 habitants",
    },
    "no_data": {"en": "no data", "fr": "pas de données"},
    "events": {"en": "Events", "fr": "Événements"},
    "density_layer": {"en": "Conflict density (raster)", "fr": "Densité des conflits (raster)"},
    "events_layer": {"en": "Conflict events", "fr": "Événements de conflit"},
    "fatalities": {"en": "Fatalities", "fr": "Victimes"},
    "projects": {"en": "Active projects", "fr": "Projets actifs"},
    "schools": {"en": "ENVR schools", "fr": "Écoles (ENVR)"},
    "projects_layer": {"en": "Project sites", "fr": "Sites des projets"},
    "schools_layer": {
        "en": "ENVR regional schools",
        "fr": "Écoles nationales à vocation régionale",
    },
    "footprints": {"en": "Project footprints", "fr": "Emprise des projets"},
    "rings": {"en": "Exposure rings ({km} km)", "fr": "Zones d'exposition ({km} km)"},
    "provinces": {"en": "Provinces", "fr": "Provinces"},
    "province": {"en": "Province", "fr": "Province"},
    "provinces_ranked": {
        "en": "Provinces ranked by {metric}",
        "fr": "Provinces classées par {metric}",
    },
    "provinces_by_name": {
        "en": "Based on the admin1 (province) names written in the event data: no province "
        "boundaries are imported for this country, so these figures are not drawn on the map.",
        "fr": "D'après les noms de province (admin1) inscrits dans les données d'événements : "
        "aucune limite de province n'est importée pour ce pays, ces chiffres ne sont donc pas "
        "cartographiés.",
    },
    "provinces_none": {
        "en": "No event carries a province name in this period.",
        "fr": "Aucun événement de la période ne porte de nom de province.",
    },
    "provinces_more": {"en": "{n} more provinces", "fr": "{n} autres provinces"},
    "acronym": {"en": "Acronym", "fr": "Sigle"},
    "site": {"en": "Site", "fr": "Site"},
    "funder": {"en": "Funder", "fr": "Bailleur"},
    "implementers": {"en": "Implementers", "fr": "Opérateurs"},
    "budget": {"en": "Budget", "fr": "Budget"},
    "dates": {"en": "Dates", "fr": "Dates"},
    "status": {"en": "Status", "fr": "Statut"},
    "components": {"en": "Components", "fr": "Composantes"},
    "source": {"en": "Source", "fr": "Source"},
    "dataset": {"en": "Dataset", "fr": "Jeu de données"},
    "domain": {"en": "Domain", "fr": "Domaine"},
    "city": {"en": "City", "fr": "Ville"},
    "founded": {"en": "Founded", "fr": "Création"},
    "date": {"en": "Date", "fr": "Date"},
    "sub_type": {"en": "Sub-type", "fr": "Sous-type"},
    "actors": {"en": "Actors", "fr": "Acteurs"},
    "location": {"en": "Location", "fr": "Lieu"},
    "cell": {"en": "Events in this cell", "fr": "Événements dans cette maille"},
    "imprecise": {
        "en": "Events located only to a province or region",
        "fr": "Événements localisés à la province ou la région seulement",
    },
    "top_type": {"en": "Most frequent type", "fr": "Type le plus fréquent"},
    "generalised": {
        "en": "Location generalised to the country",
        "fr": "Localisation généralisée au pays",
    },
    "chart_title": {
        "en": "Monthly events and fatalities by event type",
        "fr": "Événements et victimes par mois et par type",
    },
    "chart_events": {"en": "Events per month", "fr": "Événements par mois"},
    "chart_fatalities": {"en": "Fatalities per month", "fr": "Victimes par mois"},
    "chart_empty": {"en": "No event in this period", "fr": "Aucun événement sur la période"},
    "chart_note": {
        "en": "Counts follow the period and event type chosen on the map.",
        "fr": "Les comptes suivent la période et le type d'événement choisis sur la carte.",
    },
}


def pick_language(params: Mapping[str, str], accept_language: object) -> str:
    """``lang`` from the query (``fr`` or ``en``), else the browser's best match, else English.

    ``accept_language`` is werkzeug's ``request.accept_languages`` (anything with ``best_match``).
    """
    lang = params.get("lang")
    if lang:
        if lang not in LANGS:
            raise InvalidParameter("lang", lang, "use fr or en")
        return lang
    best = accept_language.best_match(["fr", "en"]) if accept_language is not None else None  # type: ignore[attr-defined]
    return best or "en"


def strings(lang: str) -> dict[str, str]:
    """Every label in ``lang``."""
    return {key: texts[lang] for key, texts in STRINGS.items()}
