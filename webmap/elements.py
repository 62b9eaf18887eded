"""Small Folium elements of the coopmap pages.

Each is a ``MacroElement`` with a Jinja ``_template`` calling one function of our own scripts
(``webmap/static``) with options rendered by ``tojson`` (HTML-safe), and ``default_js`` /
``default_css`` pointing at local URLs only.
"""

from __future__ import annotations

import re
from typing import Any

import folium
from branca.element import Figure, MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
"""The map pages' viewport: users may zoom (WCAG 1.4.4), unlike Folium's ``user-scalable=no``."""
_VIEWPORT_TAG = re.compile(r'<meta\s+name="viewport"[^>]*>')


class Page(Figure):
    """The HTML document of a map page: branca's ``Figure`` saying its language on ``<html>`` (WCAG
    3.1.1), its content in one ``<main>`` landmark, and letting users zoom (Folium's map header disables
    it: its viewport tag is replaced)."""

    _template = Template(
        "<!DOCTYPE html>\n<html lang=\"{{ this.lang|e }}\">\n<head>\n"
        "{% if this.title %}<title>{{ this.title|e }}</title>{% endif %}\n"
        "{{ this.header.render(**kwargs) }}\n</head>\n<body>\n"
        "<main class=\"cm-main\">\n{{ this.html.render(**kwargs) }}\n</main>\n</body>\n"
        "<script>\n{{ this.script.render(**kwargs) }}\n</script>\n</html>\n"
    )

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def render(self, **kwargs: Any) -> str:
        """The page's HTML, with one viewport tag: ours."""
        html = super().render(**kwargs)
        html = _VIEWPORT_TAG.sub("", html)
        return html.replace("<head>\n", "<head>\n" + VIEWPORT + "\n", 1)


class OfflineMap(folium.Map):
    """A ``folium.Map`` whose Leaflet comes from the service and that has no tile layer, in a ``Page``
    of the given language.

    Folium's default jQuery, Bootstrap and awesome-markers (CDN links) are not loaded.
    """

    def __init__(self, assets: dict[str, str], lang: str = "en", **kwargs: Any) -> None:
        kwargs.setdefault("tiles", None)
        super().__init__(**kwargs)
        self._parent = None  # out of the Figure folium made, into ours
        Page(lang).add_child(self)
        self.default_js = [("leaflet", assets["leaflet_js"])]
        self.default_css = [("leaflet_css", assets["leaflet_css"])]


class _Call(JSCSSMixin, MacroElement):
    """Calls ``coopmap.<function>(map, options)`` once the map exists."""

    function = ""
    _template = Template("""
        {% macro script(this, kwargs) %}
            coopmap.{{ this.function }}({{ this._parent.get_name() }}, {{ this.options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, assets: dict[str, str], options: dict[str, Any]) -> None:
        super().__init__()
        self._name = f"Coopmap{self.function.title()}"
        self.options = options
        self.default_js = [
            ("coopmap_js", assets["coopmap_js"]),
            ("coopmap_basemap_js", assets["basemap_js"]),
            ("coopmap_layers_js", assets["layers_js"]),
            ("coopmap_controls_js", assets["controls_js"]),
        ]
        self.default_css = [("coopmap_css", assets["coopmap_css"])]


class MapState(_Call):
    """The map's parameters, panes and layer control; added first."""

    function = "setup"


class BoundaryBasemap(_Call):
    """Sea colour, land polygons, borders and country labels from our own boundaries."""

    function = "basemap"


class Attribution(_Call):
    function = "attribution"


class FullscreenControl(_Call):
    """A button using the browser's Fullscreen API."""

    function = "fullscreen"


class Choropleth(_Call):
    """Country choropleth of the selected metric with its legend, refetched on change."""

    function = "choropleth"


class Sites(_Call):
    """ENVR schools, project sites, footprints and exposure rings."""

    function = "sites"


class Events(_Call):
    """Conflict events: clusters when sparse, grid cells when dense, refetched by bbox and zoom."""

    function = "events"

    def __init__(self, assets: dict[str, str], options: dict[str, Any]) -> None:
        super().__init__(assets, options)
        self.default_js = [*self.default_js, ("markercluster", assets["markercluster_js"])]
        self.default_css = [
            *self.default_css,
            ("markercluster_css", assets["markercluster_css"]),
            ("markercluster_default_css", assets["markercluster_default_css"]),
        ]


class Density(_Call):
    """The conflict-density raster (``geo.analytics.raster``) as an image overlay, off by default."""

    function = "density"


class Provinces(_Call):
    """The focus country's outline and its provinces (choropleth when summaries exist)."""

    function = "provinces"


class CatalogueLayers(_Call):
    """The catalogue's layers on the map: those without a renderer of their own are read from the
    OGC API for the view (added before ``Controls``, whose first refresh fetches them)."""

    function = "catalogueLayers"


class Controls(_Call):
    """Period slider, event type, metric, language, snapshot link and the demo-data notice."""

    function = "controls"


class Chart(_Call):
    """Keeps the chart beside the map in step with the map's parameters."""

    function = "chart"


class SidePanel(MacroElement):
    """HTML beside the map (the monthly chart, the province ranking), escaped by Jinja autoescape.

    The province section is filled by ``coopmap.provinces`` when figures rest on admin1 names.
    """

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <section class="cm-side" lang="{{ this.lang }}" aria-label="{{ this.title }}">
          <h2>{{ this.title }}</h2>
          <img id="{{ this.img_id }}" src="{{ this.src }}" alt="{{ this.title }}"
               width="640" height="560">
          <p>{{ this.note }}</p>
          <section id="{{ this.provinces_id }}" class="cm-provinces" hidden></section>
        </section>
        {% endmacro %}
    """,
        autoescape=True,
    )

    def __init__(
        self, title: str, note: str, src: str, img_id: str, lang: str, provinces_id: str
    ) -> None:
        super().__init__()
        self._name = "SidePanel"
        self.title, self.note, self.src, self.img_id, self.lang = title, note, src, img_id, lang
        self.provinces_id = provinces_id
