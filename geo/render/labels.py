"""The words on a snapshot, in English and French."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Conflict and cooperation",
        "events": "Conflict events",
        "fatalities": "Fatalities",
        "change_pct": "Change in events vs previous period (%)",
        "events_per_100k": "Conflict events per 100,000 inhabitants",
        "no_data": "No data",
        "no_events": "None",
        "period": "Period",
        "all_dates": "all dates",
        "filters": "Filters",
        "events_points": "Conflict event (exact or near location)",
        "events_cells": "Conflict events, grouped by {km:g} km cell",
        "not_drawn": "{n} events located only to a province or country are counted in "
        "the choropleth, not drawn as points",
        "not_drawn_plain": "{n} events located only to a province or country are not drawn "
        "as points",
        "projects": "Cooperation project site",
        "envr": "ENVR regional school",
        "project-countries": "Project footprint",
        "provinces": "Province boundary",
        "sources": "Sources",
        "data_version": "data version {version}, updated {date}",
        "projection": "Lambert azimuthal equal-area projection centred on {lon:.1f}°, {lat:.1f}°",
        "synthetic": "Synthetic demo data: not real events",
        "scale_note": "scale true at the centre",
        "north": "N",
    },
    "fr": {
        "title": "Conflits et coopération",
        "events": "Événements de conflit",
        "fatalities": "Victimes",
        "change_pct": "Évolution des événements vs période précédente (%)",
        "events_per_100k": "Événements de conflit pour 100 000 habitants",
        "no_data": "Pas de données",
        "no_events": "Aucun",
        "period": "Période",
        "all_dates": "toutes dates",
        "filters": "Filtres",
        "events_points": "Événement de conflit (lieu exact ou proche)",
        "events_cells": "Événements de conflit, regroupés par maille de {km:g} km",
        "not_drawn": "{n} événements localisés seulement à la province ou au pays sont "
        "comptés dans la carte choroplèthe, pas dessinés en points",
        "not_drawn_plain": "{n} événements localisés seulement à la province ou au pays ne sont "
        "pas dessinés en points",
        "projects": "Site de projet de coopération",
        "envr": "École nationale à vocation régionale (ENVR)",
        "project-countries": "Emprise des projets",
        "provinces": "Limite de province",
        "sources": "Sources",
        "data_version": "version des données {version}, mise à jour {date}",
        "projection": "Projection azimutale équivalente de Lambert centrée sur "
        "{lon:.1f}°, {lat:.1f}°",
        "synthetic": "Données de démonstration synthétiques (synthetic demo data) : "
        "pas des événements réels",
        "scale_note": "échelle exacte au centre",
        "north": "N",
    },
}


def text(lang: str, key: str, **values: object) -> str:
    """The ``key`` text in ``lang`` with ``values`` filled in."""
    template = TEXTS[lang][key]
    if not values:
        return template
    return template.format(**values)


def number(lang: str, value: float, decimals: int = 0) -> str:
    """``value`` with the thousands separator and decimal mark of ``lang``.

    Examples
    --------
    >>> number("en", 12345.5, 1), number("fr", 12345.5, 1)
    ('12,345.5', '12\u202f345,5')
    """
    rendered = f"{value:,.{decimals}f}"
    if lang == "fr":
        rendered = rendered.replace(",", "\u202f").replace(".", ",")
    return rendered
