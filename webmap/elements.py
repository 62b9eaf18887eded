"""Small Folium elements of the coopmap pages.

Each is a ``MacroElement`` with a Jinja ``_template`` calling one function of our own scripts
(``webmap/static``) with options rendered by ``tojson`` (HTML-safe), and ``default_js`` /
``default_css`` pointing at local URLs only.
"""

from __future__ import annotations

from typing import Any

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template


class OfflineMap(folium.Map):
    """A ``folium.Map`` whose Leaflet comes from the service and that has no tile layer.

    Folium's default jQuery, Bootstrap and awesome-markers (CDN links) are not loaded.
    """

    def __init__(self, assets: dict[str, str], **kwargs: Any) -> None:
        kwargs.setdefault("tiles", None)
        super().__init__(**kwargs)
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
        <aside class="cm-side" lang="{{ this.lang }}">
          <h2>{{ this.title }}</h2>
          <img id="{{ this.img_id }}" src="{{ this.src }}" alt="{{ this.title }}"
               width="640" height="560">
          <p>{{ this.note }}</p>
          <section id="{{ this.provinces_id }}" class="cm-provinces" hidden></section>
        </aside>
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
