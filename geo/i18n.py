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
REGISTRY_PREFIX = "registry_"
"""Keys of the registry forms and history pages, also left out of ``strings`` (the map pages')."""

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
    # The OGC API's HTML pages (webmap.ogc_html, static/ogcmap.js): their small map and extents.
    "ogc_map_items": {"en": "Map of the features on this page", "fr": "Carte des entités de cette page"},
    "ogc_map_item": {"en": "Map of this feature", "fr": "Carte de cette entité"},
    "ogc_map_extent": {"en": "Map of the collection's extent", "fr": "Carte de l'emprise de la collection"},
    "ogc_map_help": {
        "en": "Select a row to show its feature on the map; select a feature to find its row.",
        "fr": "Choisissez une ligne pour voir son entité sur la carte ; une entité pour trouver sa ligne.",
    },
    "ogc_extent_spatial": {"en": "Spatial extent (lon/lat, CRS84)", "fr": "Emprise spatiale (lon/lat, CRS84)"},
    "ogc_extent_temporal": {"en": "Temporal extent", "fr": "Emprise temporelle"},
    "ogc_count": {"en": "Features", "fr": "Entités"},
    "ogc_count_unknown": {"en": "not known", "fr": "inconnu"},
    "ogc_open_start": {"en": "open start", "fr": "début ouvert"},
    "ogc_open_end": {"en": "open end", "fr": "fin ouverte"},
    "ogc_links": {"en": "Links", "fr": "Liens"},
    "ogc_link_templated": {"en": "URL template", "fr": "Modèle d'URL"},
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
    # registry edits: the message next to a form field (API: the 400's "fields"), by problem kind
    "registry_error_missing_value": {"en": "{field} is required", "fr": "{field} est obligatoire"},
    "registry_error_unknown_country": {
        "en": "{field}: unknown country {value!r}", "fr": "{field} : pays inconnu {value!r}",
    },
    "registry_error_bad_value": {
        "en": "{field}: {value!r} is not allowed", "fr": "{field} : {value!r} n'est pas admis",
    },
    "registry_error_not_a_number": {
        "en": "{field}: {value!r} is not a number >= 0", "fr": "{field} : {value!r} n'est pas un nombre >= 0",
    },
    "registry_error_bad_date": {
        "en": "{field}: {value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)",
        "fr": "{field} : {value!r} n'est pas une date (AAAA, AAAA-MM ou AAAA-MM-JJ)",
    },
    "registry_error_end_before_start": {
        "en": "end {value!r} is before the start", "fr": "la fin {value!r} précède le début",
    },
    "registry_error_out_of_range": {
        "en": "{field}: coordinate {value} is out of range", "fr": "{field} : coordonnée {value} hors limites",
    },
    "registry_error_outside_countries": {
        "en": "the point ({value}) lies outside the project's countries",
        "fr": "le point ({value}) est en dehors des pays indiqués",
    },
    "registry_error_place_not_found": {
        "en": "{field}: place {value!r} not found; give coordinates",
        "fr": "{field} : lieu {value!r} introuvable ; indiquez des coordonnées",
    },
    "registry_error_duplicate_acronym": {
        "en": "acronym {value!r} is already used", "fr": "l'acronyme {value!r} est déjà utilisé",
    },
    "registry_error_bad_geometry": {"en": "the geometry cannot be used", "fr": "la géométrie n'est pas utilisable"},
    "registry_error_immutable": {
        "en": "{field} is the item's id and cannot change", "fr": "{field} est l'identifiant et ne peut pas changer",
    },
    "registry_error_unknown_field": {"en": "{field} is not a field of this registry",
                                     "fr": "{field} n'est pas un champ de ce registre"},
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
    # editing the registries from the map (webmap/registry_pages.py, static/registry.js); the map pages
    # get the three first words, the registry pages the ``registry_`` ones
    "add_project": {"en": "Add project", "fr": "Ajouter un projet"},
    "add_school": {"en": "Add school", "fr": "Ajouter une école"},
    "edit_record": {"en": "Edit", "fr": "Modifier"},
    "registry_new_projects": {"en": "Add a cooperation project", "fr": "Ajouter un projet de coopération"},
    "registry_new_envr": {"en": "Add a regional school (ENVR)", "fr": "Ajouter une école régionale (ENVR)"},
    "registry_edit_title": {"en": "Edit {name}", "fr": "Modifier {name}"},
    "registry_history_title": {"en": "History of {name}", "fr": "Historique de {name}"},
    "registry_save": {"en": "Save", "fr": "Enregistrer"},
    "registry_cancel": {"en": "Back to the map", "fr": "Retour à la carte"},
    "registry_saved": {"en": "Saved: version {version}.", "fr": "Enregistré : version {version}."},
    "registry_restored": {"en": "Version {version} restored.", "fr": "Version {version} rétablie."},
    "registry_retired": {"en": "Retired: no longer on the map.", "fr": "Retiré : n'est plus sur la carte."},
    "registry_errors": {
        "en": "Nothing was saved: {n} field(s) to correct.",
        "fr": "Rien n'a été enregistré : {n} champ(s) à corriger.",
    },
    "registry_required": {"en": "required", "fr": "obligatoire"},
    "registry_section_record": {"en": "Description", "fr": "Description"},
    "registry_section_location": {"en": "Location", "fr": "Localisation"},
    "registry_section_sources": {"en": "Sources and notes", "fr": "Sources et notes"},
    "registry_map_label": {
        "en": "Map: click to place the point (or find a place above, or type coordinates below)",
        "fr": "Carte : cliquez pour placer le point (ou cherchez un lieu ci-dessus, ou saisissez des "
        "coordonnées ci-dessous)",
    },
    "registry_place_label": {"en": "Find a place (gazetteer)", "fr": "Chercher un lieu (répertoire)"},
    "registry_place_hint": {
        "en": "Type at least 2 letters of a city or province of the countries above, then pick one.",
        "fr": "Tapez au moins 2 lettres d'une ville ou province des pays ci-dessus, puis choisissez.",
    },
    "registry_place_none": {"en": "No place of that name.", "fr": "Aucun lieu de ce nom."},
    "registry_place_found": {"en": "{n} place(s) found.", "fr": "{n} lieu(x) trouvé(s)."},
    "registry_precision_label": {"en": "Geocode precision stored", "fr": "Précision du géocodage enregistrée"},
    "registry_precision_exact": {"en": "exact (coordinates)", "fr": "exacte (coordonnées)"},
    "registry_precision_city": {"en": "city (gazetteer)", "fr": "ville (répertoire)"},
    "registry_precision_province": {"en": "province", "fr": "province"},
    "registry_precision_country": {"en": "country (no point given)", "fr": "pays (aucun point donné)"},
    "registry_precision_from_names": {
        "en": "from the place names (province or city)", "fr": "d'après les noms de lieux (province ou ville)",
    },
    "registry_precision_none": {"en": "not mapped (no country, no point)", "fr": "non cartographié (ni pays ni point)"},
    "registry_hint_countries": {
        "en": "ISO 3166 alpha-3 codes separated by ';' (e.g. COD;RWA)",
        "fr": "Codes ISO 3166 alpha-3 séparés par « ; » (ex. COD;RWA)",
    },
    "registry_hint_list": {"en": "Items separated by ';'", "fr": "Éléments séparés par « ; »"},
    "registry_hint_date": {"en": "YYYY, YYYY-MM or YYYY-MM-DD", "fr": "AAAA, AAAA-MM ou AAAA-MM-JJ"},
    "registry_hint_status": {
        "en": "Empty: derived from the dates", "fr": "Vide : déduit des dates",
    },
    "registry_hint_coords": {"en": "Decimal degrees (WGS 84)", "fr": "Degrés décimaux (WGS 84)"},
    "registry_derived": {"en": "(derived)", "fr": "(déduit)"},
    "registry_field_acronym": {"en": "Acronym", "fr": "Sigle"},
    "registry_field_title": {"en": "Title", "fr": "Intitulé"},
    "registry_field_name": {"en": "Name", "fr": "Nom"},
    "registry_field_countries": {"en": "Countries", "fr": "Pays"},
    "registry_field_country_iso3": {"en": "Country (ISO alpha-3)", "fr": "Pays (ISO alpha-3)"},
    "registry_field_sites": {"en": "Site names", "fr": "Noms des sites"},
    "registry_field_city": {"en": "City", "fr": "Ville"},
    "registry_field_funder": {"en": "Funder", "fr": "Bailleur"},
    "registry_field_implementers": {"en": "Implementers", "fr": "Opérateurs"},
    "registry_field_start": {"en": "Start", "fr": "Début"},
    "registry_field_end": {"en": "End", "fr": "Fin"},
    "registry_field_status": {"en": "Status", "fr": "Statut"},
    "registry_field_budget_eur": {"en": "Budget (EUR)", "fr": "Budget (EUR)"},
    "registry_field_components": {"en": "Components", "fr": "Composantes"},
    "registry_field_region": {"en": "Region (as the source words it)", "fr": "Région (selon la source)"},
    "registry_field_countries_coverage": {"en": "Country list is", "fr": "La liste des pays est"},
    "registry_field_domain": {"en": "Domain", "fr": "Domaine"},
    "registry_field_domain_detail": {"en": "Speciality (source wording)", "fr": "Spécialité (selon la source)"},
    "registry_field_founded": {"en": "Year founded", "fr": "Année de création"},
    "registry_field_verified": {"en": "Verified by the source", "fr": "Vérifié par la source"},
    "registry_field_lat": {"en": "Latitude", "fr": "Latitude"},
    "registry_field_lon": {"en": "Longitude", "fr": "Longitude"},
    "registry_field_geocode_precision": {"en": "Geocode precision", "fr": "Précision du géocodage"},
    "registry_field_location_source": {"en": "Location source", "fr": "Source de la localisation"},
    "registry_field_source": {"en": "Source", "fr": "Source"},
    "registry_field_notes": {"en": "Notes", "fr": "Notes"},
    "registry_history_empty": {"en": "No recorded change.", "fr": "Aucune modification enregistrée."},
    "registry_version": {"en": "Version {version}", "fr": "Version {version}"},
    "registry_by": {"en": "{action} by {who}, {when}", "fr": "{action} par {who}, le {when}"},
    "registry_action_create": {"en": "Created", "fr": "Créée"},
    "registry_action_replace": {"en": "Edited", "fr": "Modifiée"},
    "registry_action_patch": {"en": "Edited", "fr": "Modifiée"},
    "registry_action_retire": {"en": "Retired", "fr": "Retirée"},
    "registry_action_restore": {"en": "Restored", "fr": "Rétablie"},
    "registry_action_ingest": {"en": "Loaded from a file", "fr": "Chargée depuis un fichier"},
    "registry_diff_field": {"en": "Field", "fr": "Champ"},
    "registry_diff_before": {"en": "Before", "fr": "Avant"},
    "registry_diff_after": {"en": "After", "fr": "Après"},
    "registry_diff_none": {"en": "(empty)", "fr": "(vide)"},
    "registry_restore_version": {"en": "Restore version {version}", "fr": "Rétablir la version {version}"},
    "registry_current": {"en": "current version", "fr": "version actuelle"},
    "registry_retire": {"en": "Retire (remove from the map)", "fr": "Retirer (enlever de la carte)"},
    "registry_restore_item": {"en": "Restore on the map", "fr": "Rétablir sur la carte"},
    "registry_edit_link": {"en": "Edit this record", "fr": "Modifier cette fiche"},
    "registry_history_link": {"en": "History", "fr": "Historique"},
    "registry_map_link": {"en": "Show on the map", "fr": "Voir sur la carte"},
    "registry_api_link": {"en": "This record in the OGC API", "fr": "Cette fiche dans l'API OGC"},
    "registry_stale": {
        "en": "Someone saved this record since you opened it: your changes are below, the form now holds "
        "its new version's ETag; check them against the history and save again.",
        "fr": "Quelqu'un a enregistré cette fiche depuis que vous l'avez ouverte : vos modifications sont "
        "ci-dessous, le formulaire porte l'ETag de sa nouvelle version ; comparez-les à l'historique puis "
        "enregistrez à nouveau.",
    },
    "registry_coordinates_unreadable": {
        "en": "coordinates {value} are not numbers (one latitude and one longitude per site, separated by ';')",
        "fr": "les coordonnées {value} ne sont pas des nombres (une latitude et une longitude par site, "
        "séparées par « ; »)",
    },
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
    return {key: texts[lang] for key, texts in TEXTS.items() if not key.startswith((SNAPSHOT_PREFIX, REGISTRY_PREFIX))}


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
