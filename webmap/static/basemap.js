/* coopmap base map drawn from our own boundaries: land, borders and country labels on a sea colour.
   With a configured local XYZ source, its tiles are drawn instead of the land polygons. */
(function () {
  "use strict";
  var C = window.coopmap;

  C.basemap = function (map, opts) {
    var st = C.state(map);
    var lang = st.params.lang;
    if (opts.tiles) {
      L.tileLayer(opts.tiles, {attribution: "", pane: "cm-land"}).addTo(map);
    }
    var style = {color: opts.border, weight: 0.7, fillColor: opts.land, fillOpacity: opts.tiles ? 0 : 1,
                 pane: "cm-land", interactive: false};
    var world = L.geoJSON(null, {style: style}).addTo(map);
    var detail = L.geoJSON(null, {style: style});
    var labels = L.layerGroup().addTo(map);
    var labelData = [];

    /* Country labels without overlaps: candidates shown at this zoom (min_label) are placed by
       priority (lower min_label, then larger area); a label that would touch one already placed
       is dropped. Long names wrap on two lines (LABEL_WRAP pixels). */
    var LABEL_WRAP = 110, LINE = 13, GAP = 3;
    var measure = document.createElement("canvas").getContext("2d");
    var drawLabels = function () {
      labels.clearLayers();
      var z = map.getZoom();
      var bounds = map.getBounds();
      measure.font = "11px " + window.getComputedStyle(map.getContainer()).fontFamily;
      var candidates = labelData.filter(function (p) {
        return p.min_label !== null && z + 0.5 >= p.min_label && bounds.contains(L.latLng(p.label_y, p.label_x));
      });
      candidates.sort(function (a, b) { return (a.min_label - b.min_label) || ((b.area || 0) - (a.area || 0)); });
      var placed = [];
      candidates.forEach(function (p) {
        var text = lang === "fr" ? (p.name_fr || p.name) : p.name;
        var width = measure.measureText(text).width;
        var lines = Math.ceil(width / LABEL_WRAP);
        var w = Math.min(width, LABEL_WRAP) / 2 + GAP, h = lines * LINE / 2 + GAP;
        var ll = L.latLng(p.label_y, p.label_x);
        var c = map.latLngToContainerPoint(ll);
        var box = [c.x - w, c.y - h, c.x + w, c.y + h];
        var clash = placed.some(function (o) { return box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3]; });
        if (clash) return;
        placed.push(box);
        var node = C.el("span", "cm-country-label", text);
        labels.addLayer(L.marker(ll, {
          pane: "cm-labels", interactive: false, keyboard: false,
          icon: L.divIcon({className: "cm-label-icon", html: node.outerHTML, iconSize: null})
        }));
      });
    };

    C.fetchJson(st, opts.url + "?detail=z2").then(function (data) {
      world.addData(data);
      labelData = data.features.map(function (f) { return f.properties; });
      drawLabels();
    });

    var lastKey = null;
    var refresh = function () {
      drawLabels();
      if (map.getZoom() < opts.detail_zoom) {
        if (map.hasLayer(detail)) { map.removeLayer(detail); world.addTo(map); }
        return;
      }
      var bbox = C.bbox(map, 0.3);
      if (bbox === lastKey) return;
      lastKey = bbox;
      C.fetchJson(st, opts.url + "?detail=z4&bbox=" + bbox).then(function (data) {
        detail.clearLayers();
        detail.addData(data);
        if (!map.hasLayer(detail)) { detail.addTo(map); map.removeLayer(world); }
      });
    };
    st.refreshers.push(function () { refresh(); });
  };

  C.attribution = function (map, opts) {
    map.attributionControl.setPrefix(false);
    opts.lines.forEach(function (line) {
      /* addAttribution takes HTML: pass our catalogue text through a text node first. */
      map.attributionControl.addAttribution(C.el("span", null, line).outerHTML);
    });
  };

  C.fullscreen = function (map, opts) {
    var Ctl = L.Control.extend({
      onAdd: function () {
        var box = C.el("div", "leaflet-bar cm-fullscreen");
        var btn = C.el("a");
        btn.innerHTML = '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M1 6V1h5M10 1h5v5' +
          'M15 10v5h-5M6 15H1v-5" fill="none" stroke="#333" stroke-width="2"/></svg>';
        btn.href = "#";
        btn.title = opts.title;
        btn.setAttribute("role", "button");
        btn.setAttribute("aria-label", opts.title);
        L.DomEvent.on(btn, "click", function (e) {
          L.DomEvent.preventDefault(e);
          var target = document.documentElement;
          if (document.fullscreenElement) document.exitFullscreen();
          else if (target.requestFullscreen) target.requestFullscreen();
        });
        L.DomEvent.disableClickPropagation(box);
        box.appendChild(btn);
        return box;
      }
    });
    new Ctl({position: "topleft"}).addTo(map);
    document.addEventListener("fullscreenchange", function () { map.invalidateSize(); });
  };
})();
