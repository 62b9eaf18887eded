"""Every word shown to a user, in English and French: one table for the map pages and the snapshots.

``TEXTS`` maps a key to its English and French text. Keys starting with ``snapshot_`` are the words
of the snapshot image and its page; every other key is a word of the interactive map pages, which
receive them all at once through ``strings(lang)`` (read by ``webmap/static/*.js`` as ``st.t``).
A word used on both (``period``, ``fatalities``, ``events_layer``) has one key.
"""

from __future__ import annotations

from collections.abc import Mapping

from geo.errors import InvalidParameter

LANGS = ("en", "fr")
"""The languages of the interface, English first (the default)."""
SNAPSHOT_PREFIX = "snapshot_"
"""Keys of the snapshot words, left out of ``strings``."""

TEXTS: dict[str, dict[str, str]] = {
    # The interactive map pages (webmap.mapbuild, webmap.chart, static/*.js) and their data.
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
    "period_days": {
        "en": "Period shown: {start} – {end} (to the day; the slider moves by whole months)",
        "fr": "Période affichée : {start} – {end} (au jour près ; le curseur avance par mois entiers)",
    },
    "period_outside": {
        "en": "Period shown: {start} – {end}, beyond the months with events that the slider covers "
        "({first} – {last})",
        "fr": "Période affichée : {start} – {end}, au-delà des mois avec des événements que couvre le "
        "curseur ({first} – {last})",
    },
    "event_type": {"en": "Event type", "fr": "Type d'événement"},
    "all_types": {"en": "All types", "fr": "Tous les types"},
    "metric": {"en": "Choropleth", "fr": "Carte choroplèthe"},
    "snapshot": {"en": "Snapshot", "fr": "Capture"},
    "overview": {"en": "Overview", "fr": "Vue d'ensemble"},
    "fullscreen": {"en": "Full screen", "fr": "Plein écran"},
    "synthetic_notice": {
        "en": "Synthetic demo data — not real events",
        "fr": "Données de démonstration synthétiques (synthetic demo data) — pas des événements réels",
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
    "coverage_none": {
        "en": "no data for this period (event data loaded: {loaded})",
        "fr": "pas de données pour cette période (données d'événements chargées : {loaded})",
    },
    "coverage_nothing_loaded": {"en": "no event data loaded", "fr": "aucune donnée d'événements chargée"},
    "coverage_partial": {
        "en": "event data cover only {covered} of this period",
        "fr": "les données d'événements ne couvrent que {covered} de cette période",
    },
    "change_open_period": {
        "en": "no previous period to compare with: the period is open-ended",
        "fr": "pas de période précédente de comparaison : la période est ouverte",
    },
    "change_out_of_range": {
        "en": "no previous period to compare with: it would start before year 1",
        "fr": "pas de période précédente de comparaison : elle commencerait avant l'an 1",
    },
    "change_no_data": {
        "en": "no event data for the previous period {previous}",
        "fr": "pas de données d'événements pour la période précédente {previous}",
    },
    "change_partial": {
        "en": "event data cover only {covered} of the previous period {previous}",
        "fr": "les données d'événements ne couvrent que {covered} de la période précédente {previous}",
    },
    "change_no_events_before": {
        "en": "no events in the previous period {previous}: no percentage",
        "fr": "aucun événement pendant la période précédente {previous} : pas de pourcentage",
    },
    "exposure_row": {"en": "Events within {km} km", "fr": "Événements à moins de {km} km"},
    "exposure_no_location": {"en": "site without a location", "fr": "site sans localisation"},
    "exposure_country_level": {
        "en": "site located only to its country: distances to events are meaningless",
        "fr": "site localisé seulement au pays : les distances aux événements n'ont pas de sens",
    },
    "events": {"en": "Events", "fr": "Événements"},
    "density_layer": {"en": "Conflict density (raster)", "fr": "Densité des conflits (raster)"},
    "events_layer": {"en": "Conflict events", "fr": "Événements de conflit"},
    "fatalities": {"en": "Fatalities", "fr": "Victimes"},
    "projects": {"en": "Active projects", "fr": "Projets actifs"},
    "schools": {"en": "ENVR schools", "fr": "Écoles (ENVR)"},
    "projects_layer": {"en": "Project sites", "fr": "Sites des projets"},
    "projects_dates_unknown": {"en": "Projects, dates unknown", "fr": "Projets, dates inconnues"},
    "schools_dates_unknown": {"en": "Schools, founding year unknown", "fr": "Écoles, année de création inconnue"},
    "dates_unknown": {"en": "dates unknown", "fr": "dates inconnues"},
    "not_mapped": {
        "en": "Projects not mapped ({n}): the sources do not name their countries",
        "fr": "Projets non cartographiés ({n}) : les sources ne nomment pas leurs pays",
    },
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
    # The snapshot image (geo.render) and its page (webmap.snapshots): never sent to the map pages.
    "snapshot_title": {"en": "Conflict and cooperation", "fr": "Conflits et coopération"},
    "snapshot_metric_events": {"en": "Conflict events", "fr": "Événements de conflit"},
    "snapshot_metric_fatalities": {"en": "Fatalities", "fr": "Victimes"},
    "snapshot_metric_change_pct": {
        "en": "Change in events vs previous period (%)",
        "fr": "Évolution des événements vs période précédente (%)",
    },
    "snapshot_metric_events_per_100k": {
        "en": "Conflict events per 100,000 inhabitants",
        "fr": "Événements de conflit pour 100 000 habitants",
    },
    "snapshot_all_dates": {"en": "all dates", "fr": "toutes dates"},
    "snapshot_default_period": {
        "en": "the last 12 months of data, for every layer",
        "fr": "les 12 derniers mois de données, pour toutes les couches",
    },
    "snapshot_filters": {"en": "Filters", "fr": "Filtres"},
    "snapshot_events_points": {
        "en": "Conflict event (exact or near location)",
        "fr": "Événement de conflit (lieu exact ou proche)",
    },
    "snapshot_events_cells": {
        "en": "Conflict events, grouped by {km:g} km cell",
        "fr": "Événements de conflit, regroupés par maille de {km:g} km",
    },
    "snapshot_not_drawn": {
        "en": "{n} events located only to a province or country are counted in the choropleth, not drawn as points",
        "fr": "{n} événements localisés seulement à la province ou au pays sont comptés dans la "
        "carte choroplèthe, pas dessinés en points",
    },
    "snapshot_not_drawn_plain": {
        "en": "{n} events located only to a province or country are not drawn as points",
        "fr": "{n} événements localisés seulement à la province ou au pays ne sont pas dessinés en points",
    },
    "snapshot_legend_projects": {
        "en": "Cooperation project site",
        "fr": "Site de projet de coopération",
    },
    "snapshot_legend_envr": {
        "en": "ENVR regional school",
        "fr": "École nationale à vocation régionale (ENVR)",
    },
    "snapshot_legend_project-countries": {"en": "Project footprint", "fr": "Emprise des projets"},
    "snapshot_legend_provinces": {"en": "Province boundary", "fr": "Limite de province"},
    "snapshot_sources": {"en": "Sources", "fr": "Sources"},
    "snapshot_data_version": {
        "en": "data version {version}, updated {date}",
        "fr": "version des données {version}, mise à jour {date}",
    },
    "snapshot_projection": {
        "en": "Lambert azimuthal equal-area projection centred on {lon:.1f}°, {lat:.1f}°",
        "fr": "Projection azimutale équivalente de Lambert centrée sur {lon:.1f}°, {lat:.1f}°",
    },
    "snapshot_synthetic": {
        "en": "Synthetic demo data: not real events",
        "fr": "Données de démonstration synthétiques (synthetic demo data) : pas des événements réels",
    },
    "snapshot_scale_note": {"en": "scale true at the centre", "fr": "échelle exacte au centre"},
    "snapshot_north": {"en": "N", "fr": "N"},
    "snapshot_page_title": {"en": "Map snapshot", "fr": "Instantané de carte"},
    "snapshot_downloads": {"en": "Download", "fr": "Télécharger"},
    "snapshot_permalink": {"en": "Permalink (PNG)", "fr": "Lien permanent (PNG)"},
    "snapshot_embed": {
        "en": "Embed in a page or a note",
        "fr": "Intégrer dans une page ou une note",
    },
    # The briefing packs (geo.render.briefpdf, geo.render.briefpptx, webmap.briefs).
    "brief_title": {"en": "Country brief: {name}", "fr": "Note pays : {name}"},
    "brief_link": {"en": "Brief this country", "fr": "Note sur ce pays"},
    "brief_page_title": {"en": "Briefing pack", "fr": "Dossier de briefing"},
    "brief_data_version": {"en": "Data version {version}", "fr": "Version des données {version}"},
    "brief_generated": {
        "en": "Every figure is reproduced by the API addresses listed under Sources.",
        "fr": "Chaque chiffre est reproduit par les adresses de l'API listées dans Sources.",
    },
    "brief_map": {"en": "Map", "fr": "Carte"},
    "brief_key_figures": {"en": "Key figures", "fr": "Chiffres clés"},
    "brief_figure": {"en": "Figure", "fr": "Indicateur"},
    "brief_value": {"en": "Value", "fr": "Valeur"},
    "brief_note": {"en": "Note", "fr": "Remarque"},
    "brief_budget": {"en": "Budget of the active projects (EUR)", "fr": "Budget des projets actifs (EUR)"},
    "brief_monthly": {
        "en": "Events and fatalities per month, by event type",
        "fr": "Événements et victimes par mois, par type d'événement",
    },
    "brief_provinces": {"en": "Provinces ranked by events", "fr": "Provinces classées par nombre d'événements"},
    "brief_provinces_polygon": {
        "en": "On the imported province polygons.",
        "fr": "Sur les polygones de provinces importés.",
    },
    "brief_projects": {
        "en": "Cooperation projects active in the period",
        "fr": "Projets de coopération actifs sur la période",
    },
    "brief_projects_none": {"en": "No project active in the period.", "fr": "Aucun projet actif sur la période."},
    "brief_title_col": {"en": "Title", "fr": "Intitulé"},
    "brief_name": {"en": "Name", "fr": "Nom"},
    "brief_schools": {"en": "ENVR regional schools", "fr": "Écoles nationales à vocation régionale (ENVR)"},
    "brief_schools_none": {"en": "No ENVR school in the period.", "fr": "Aucune ENVR sur la période."},
    "brief_exposure": {
        "en": "Exposure: events within {km} km of each site over the period",
        "fr": "Exposition : événements à moins de {km} km de chaque site sur la période",
    },
    "brief_exposure_withheld": {
        "en": "Project sites are shown at their country to this role: their exposure is not given.",
        "fr": "Les sites des projets sont ramenés à leur pays pour ce rôle : leur exposition n'est pas donnée.",
    },
    "brief_exposure_none": {"en": "No site to measure in the period.", "fr": "Aucun site à mesurer sur la période."},
    "brief_layer": {"en": "Layer", "fr": "Couche"},
    "brief_nearest_km": {"en": "Nearest event (km)", "fr": "Événement le plus proche (km)"},
    "brief_na": {"en": "n/a", "fr": "n.d."},
    "brief_sources": {"en": "Sources, licences and API addresses", "fr": "Sources, licences et adresses de l'API"},
    "brief_licence": {"en": "licence", "fr": "licence"},
    "brief_api": {"en": "Reproduce the figures", "fr": "Reproduire les chiffres"},
    "brief_more_rows": {"en": "{n} more rows in the API", "fr": "{n} lignes de plus dans l'API"},
    "brief_filters": {"en": "Filters", "fr": "Filtres"},
    "brief_page": {"en": "Page {n}", "fr": "Page {n}"},
    "brief_preview": {"en": "Preview of page 1", "fr": "Aperçu de la page 1"},
    # regional briefs and the /brief page (layers.brief, webmap.briefs)
    "brief_title_region": {"en": "Regional brief: {name}", "fr": "Note régionale : {name}"},
    "brief_countries": {"en": "Countries", "fr": "Pays"},
    "brief_preview_alt": {
        "en": "Page 1 of the brief: {title}, its period and its key figures",
        "fr": "Page 1 de la note : {title}, sa période et ses chiffres clés",
    },
    "brief_choose": {"en": "Brief another area", "fr": "Une note sur une autre zone"},
    "brief_country_label": {"en": "Country (ISO3 code)", "fr": "Pays (code ISO3)"},
    "brief_view_label": {"en": "Region", "fr": "Région"},
    "brief_open": {"en": "Open the brief", "fr": "Ouvrir la note"},
    "brief_regions": {"en": "Regional briefs", "fr": "Notes régionales"},
    "brief_continued": {"en": "continued", "fr": "suite"},
    # the snapshot page's title form (accessible: labelled, hint tied to the field)
    "snapshot_title_label": {"en": "Title of the snapshot", "fr": "Titre de l'instantané"},
    "snapshot_title_hint": {
        "en": "At most {n} characters; leave empty for the default title.",
        "fr": "{n} caractères au plus ; vide pour le titre par défaut.",
    },
    "snapshot_apply": {"en": "Update the snapshot", "fr": "Mettre à jour l'instantané"},
}


def text(lang: str, key: str, **values: object) -> str:
    """The ``key`` text in ``lang`` with ``values`` filled in (``str.format`` fields).

    Examples
    --------
    >>> text("fr", "snapshot_events_cells", km=25.0)
    'Événements de conflit, regroupés par maille de 25 km'
    """
    if lang not in LANGS:
        raise InvalidParameter("lang", lang, "use fr or en")
    template = TEXTS[key][lang]
    return template.format(**values) if values else template


def strings(lang: str) -> dict[str, str]:
    """Every word of the map pages in ``lang`` (the keys outside ``SNAPSHOT_PREFIX``)."""
    if lang not in LANGS:
        raise InvalidParameter("lang", lang, "use fr or en")
    return {key: texts[lang] for key, texts in TEXTS.items() if not key.startswith(SNAPSHOT_PREFIX)}


def number(lang: str, value: float, decimals: int = 0, *, sign: bool = False, thousands: bool = True) -> str:
    """``value`` with the thousands separator and decimal mark of ``lang``.

    ``sign`` writes ``+`` before a positive value; ``thousands=False`` leaves out the separator.

    Examples
    --------
    >>> number("en", 12345.5, 1), number("fr", 12345.5, 1), number("fr", 1234.5, 1, sign=True, thousands=False)
    ('12,345.5', '12\u202f345,5', '+1234,5')
    """
    rendered = f"{value:{'+' if sign else ''}{',' if thousands else ''}.{decimals}f}"
    if lang == "fr":
        rendered = rendered.replace(",", "\u202f").replace(".", ",")
    return rendered


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
