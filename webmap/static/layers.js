/* coopmap data layers: choropleth, project footprints, sites, schools, exposure rings and events,
   and any other catalogue layer (polygons or points read from the OGC API).
   Each refetches from the service when the period, the event type or (for events) the view changes. */
(function () {
  "use strict";
  var C = window.coopmap;

  var ICONS = {
    school: '<svg viewBox="0 0 24 24" width="22" height="22"><circle cx="12" cy="12" r="11" fill="#1f4e9c" ' +
      'stroke="#fff" stroke-width="1.5"/><path d="M4 10l8-4 8 4-8 4z" fill="#fff"/>' +
      '<path d="M7.5 12v3.2c2.5 1.8 6.5 1.8 9 0V12l-4.5 2.3z" fill="#fff"/></svg>',
    site: function (color) {
      return '<svg viewBox="0 0 24 24" width="22" height="22"><path d="M12 1C7 1 4 4.6 4 8.6 4 14 12 23 12 23s8-9 ' +
        '8-14.4C20 4.6 17 1 12 1z" fill="' + color + '" stroke="#fff" stroke-width="1.5"/>' +
        '<rect x="9" y="5" width="6" height="6" fill="#fff"/></svg>';
    }
  };

  var divIcon = function (html, size) {
    return L.divIcon({className: "cm-icon", html: html, iconSize: [size, size], iconAnchor: [size / 2, size / 2]});
  };

  var legendControl = function (map, position) {
    var Ctl = L.Control.extend({onAdd: function () { return C.el("div", "cm-legend"); }});
    var ctl = new Ctl({position: position});
    ctl.addTo(map);
    return ctl.getContainer();
  };

  /* A legend box: title and one row per class (colour swatch and label). */
  var fillLegend = function (box, legend) {
    box.textContent = "";
    box.appendChild(C.el("div", "cm-legend-title", legend.title));
    legend.classes.forEach(function (c) {
      var row = C.el("div", "cm-legend-row");
      var sw = C.el("span", "cm-swatch");
      sw.style.background = c.color;
      row.appendChild(sw);
      row.appendChild(C.el("span", null, c.label));
      box.appendChild(row);
    });
    if (legend.note) box.appendChild(C.el("div", "cm-legend-note", legend.note));
  };

  /* Exposure of a site: its count, or why there is none (a site located only to its country). */
  var exposureRow = function (st, p) {
    var label = st.t.exposure_row.replace("{km}", p.exposure_radius_km);
    if (p.geocode_precision === "country") return [label, st.t.exposure_country_level];
    if (p.exposure_note) return [label, p.exposure_note];
    if (p.exposure_events === undefined || p.exposure_events === null) return [null, null];
    return [label, C.fmt(p.exposure_events, st.params.lang)];
  };

  /* Events and fatalities rows of a tooltip, less the one the map's metric already shows. */
  var countRows = function (st, p) {
    return [["events", st.t.events], ["fatalities", st.t.fatalities]].filter(function (c) {
      return c[0] !== st.params.metric;
    }).map(function (c) { return [c[1], C.fmt(p[c[0]], st.params.lang) || st.t.no_data]; });
  };

  C.choropleth = function (map, opts) {
    var st = C.state(map);
    /* With the density raster on, the choropleth pales so the raster's purple reads on top of it. */
    var densityOn = function () {
      return Object.keys(st.overlays).some(function (k) {
        return st.overlays[k]._cmId === "density" && map.hasLayer(st.overlays[k]);
      });
    };
    var style = function (f) {
      return {fillColor: f.properties.color, fillOpacity: densityOn() ? 0.3 : 0.78, color: "#ffffff", weight: 0.8};
    };
    var layer = L.geoJSON(null, {
      pane: "cm-choropleth",
      style: style,
      onEachFeature: function (f, l) {
        var p = f.properties, t = st.t;
        l.bindTooltip(function () {
          return C.card(p.label, [[opts.metric_titles[st.params.metric] || st.params.metric, p.value_text]]
            .concat(countRows(st, p)).concat([[t.projects, p.projects_active], [t.projects_dates_unknown, p.projects_dates_unknown || ""],
              [t.schools, p.envr_count], [t.schools_dates_unknown, p.envr_dates_unknown || ""]]));
        }, {sticky: true});
        l.on("click", function () { if (opts.country_url) window.location = opts.country_url.replace("ISO3", p.iso3) + "?lang=" + st.params.lang; });
      }
    });
    var legend = legendControl(map, "bottomright");
    var refresh = function (s, viewOnly) {
      if (viewOnly) return;
      C.fetchJson(st, opts.url + "?" + C.query(st, {}).toString()).then(function (data) {
        layer.clearLayers();
        layer.addData(data);
        fillLegend(legend, data.legend);
      });
    };
    C.register(st, "country-summary", opts.title, layer, refresh, true);
    map.on("overlayadd", function (e) { if (e.layer === layer) legend.style.display = ""; });
    map.on("overlayremove", function (e) { if (e.layer === layer) legend.style.display = "none"; });
    map.on("overlayadd overlayremove", function (e) {
      if (e.layer._cmId === "density") { layer.setStyle(style); legend.classList.toggle("cm-legend-pale", e.type === "overlayadd"); }
    });
  };
  C.choropleth.layers = ["country-summary"];

  var projectCard = function (st, p) {
    var t = st.t;
    return C.card(p.title || p.acronym, [
      [t.acronym, p.acronym], [t.site, p.site], [t.funder, p.funder], [t.implementers, p.implementers],
      [t.budget, p.budget_eur ? C.fmt(p.budget_eur, st.params.lang) + " \u20AC" : ""],
      [t.dates, (p.start || "?") + " \u2192 " + (p.end || "?")], [t.status, p.status],
      [t.components, p.components], [t.source, p.source], exposureRow(st, p)
    ], p.generalised ? t.generalised : null);
  };

  /* The popup's "Edit" link to the record's form (planners and above: ``edit_url`` is set). */
  var withEdit = function (st, card, url, layer, acronym) {
    if (!url || !acronym) return card;
    var link = C.el("a", "cm-edit", st.t.edit_record);
    link.href = url.replace("LAYER", layer).replace("ID", encodeURIComponent(acronym));
    link.setAttribute("aria-label", st.t.edit_record + " " + acronym);
    card.appendChild(link);
    return card;
  };

  /* Projects the map cannot draw (the sources name no country): listed in the control panel. */
  var notMappedList = function (st, list) {
    var t = st.t;
    var section = document.getElementById("cm-not-mapped");
    if (!section) {
      var box = document.querySelector(".cm-panel");
      if (!box) return;
      section = C.el("div", "cm-not-mapped");
      section.id = "cm-not-mapped";
      box.appendChild(section);
    }
    section.textContent = "";
    section.hidden = !list.length;
    if (!list.length) return;
    var label = C.el("div", "cm-field-label", t.not_mapped.replace("{n}", list.length));
    label.id = "cm-not-mapped-label";
    section.appendChild(label);
    // the list scrolls: keyboard users reach it with Tab and scroll it with the arrow keys (WCAG 2.1.1)
    var ul = C.el("ul");
    ul.tabIndex = 0;
    ul.setAttribute("aria-labelledby", label.id);
    list.forEach(function (p) {
      var li = C.el("li", null, p.acronym + (p.region ? " \u2014 " + p.region : "") +
        (p.dates_unknown ? " (" + t.dates_unknown + ")" : ""));
      li.title = [p.title, (p.start || "?") + " \u2192 " + (p.end || "?")].filter(Boolean).join(", ");
      ul.appendChild(li);
    });
    section.appendChild(ul);
  };

  C.sites = function (map, opts) {
    var st = C.state(map);
    var t = st.t;
    var layers = {
      envr: L.layerGroup(), projects: L.layerGroup(), footprints: L.geoJSON(null, {
        pane: "cm-footprints",
        style: {color: "#e0701b", weight: 1.6, dashArray: "5 4", fillColor: "#f07c2a", fillOpacity: 0.08}
      }), rings: L.layerGroup()
    };
    var draw = function (data) {
      Object.keys(layers).forEach(function (k) { layers[k].clearLayers(); });
      (data.envr || []).forEach(function (p) {
        L.marker([p.lat, p.lon], {icon: divIcon(ICONS.school, 22), pane: "cm-sites", title: p.acronym || ""})
          .bindPopup(withEdit(st, C.card(p.name || p.acronym, [
            [t.acronym, p.acronym], [t.domain, p.domain], [t.city, p.city], [t.founded, p.founded],
            [t.status, p.status], [t.source, p.source], exposureRow(st, p)
          ]), opts.edit_url, "envr", p.acronym)).addTo(layers.envr);
      });
      (data.projects || []).forEach(function (p) {
        var color = opts.status_colors[p.status] || opts.status_colors.unknown;
        L.marker([p.lat, p.lon], {icon: divIcon(ICONS.site(color), 22), pane: "cm-sites", title: p.acronym || ""})
          .bindPopup(withEdit(st, projectCard(st, p), opts.edit_url, "projects", p.acronym)).addTo(layers.projects);
        if (opts.rings_km && p.geocode_precision !== "country") {
          L.circle([p.lat, p.lon], {radius: opts.rings_km * 1000, pane: "cm-footprints", color: color,
            weight: 1.2, fillOpacity: 0.05, interactive: false}).addTo(layers.rings);
        }
      });
      notMappedList(st, data.not_mapped || []);
      if (data.footprints) {
        layers.footprints.addData(data.footprints);
        layers.footprints.eachLayer(function (l) { l.bindPopup(projectCard(st, l.feature.properties)); });
      }
    };
    var refresh = function (s, viewOnly) {
      if (viewOnly) return;
      C.fetchJson(st, opts.url + "?" + C.query(st, opts.extra || {}).toString()).then(draw);
    };
    C.register(st, "project-countries", t.footprints, layers.footprints, function () {}, opts.footprints);
    if (opts.rings_km) C.register(st, "exposure", t.rings.replace("{km}", opts.rings_km), layers.rings, function () {}, true);
    C.register(st, "projects", t.projects_layer, layers.projects, refresh, true);
    C.register(st, "envr", t.schools_layer, layers.envr, function () {}, true);
  };
  C.sites.layers = ["project-countries", "exposure", "projects", "envr"];

  var cellColor = function (n, max) {
    var ramp = ["#8c96c6", "#8c6bb1", "#88419d", "#6e016b", "#4d004b", "#2d0030"];
    var i = Math.min(ramp.length - 1, Math.floor(Math.log(n + 1) / Math.log(max + 1) * ramp.length));
    return ramp[i];
  };

  C.events = function (map, opts) {
    var st = C.state(map);
    var t = st.t;
    var group = L.layerGroup();
    var clusters = L.markerClusterGroup({
      showCoverageOnHover: false, chunkedLoading: true,
      /* wider clusters at continental zooms: a few readable discs rather than a carpet over the choropleth */
      maxClusterRadius: function (z) { return z <= 4 ? 80 : z <= 6 ? 60 : 45; },
      iconCreateFunction: function (cluster) {
        var n = cluster.getChildCount();
        var size = n < 10 ? 26 : n < 100 ? 32 : n < 1000 ? 40 : 48;
        var node = C.el("div", "cm-cluster", String(n));
        // the marker is a button: its name says what the number counts ("88 conflict events")
        node.appendChild(C.el("span", "cm-sr", " " + t.events_layer.toLowerCase()));
        node.style.width = node.style.height = node.style.lineHeight = size + "px";
        return L.divIcon({className: "cm-cluster-icon", html: node.outerHTML, iconSize: [size, size]});
      }
    });
    var cells = L.layerGroup();
    group.addLayer(clusters);
    group.addLayer(cells);
    var seq = 0;
    var draw = function (data) {
      clusters.clearLayers();
      cells.clearLayers();
      var markers = data.points.map(function (p) {
        var m = L.marker([p.lat, p.lon], {
          icon: L.divIcon({className: "cm-event", iconSize: [9, 9]}),
          title: [p.event_type, p.event_date].filter(Boolean).join(", ")  // the name of the marker's button
        });
        m.bindPopup(function () {
          return C.card(p.event_type, [
            [t.date, p.event_date], [t.sub_type, p.sub_event_type], [t.actors, [p.actor1, p.actor2].filter(Boolean).join(" / ")],
            [t.location, p.location], [t.fatalities, p.fatalities], [t.source, p.source], [t.dataset, p.source_dataset]
          ], p.source_dataset === "synthetic-demo" ? t.synthetic : null);
        });
        return m;
      });
      clusters.addLayers(markers);
      var max = data.cells.reduce(function (a, c) { return Math.max(a, c.events); }, 1);
      var half = function (c) { return Math.min(map.latLngToLayerPoint([c.maxy, c.maxx]).x - map.latLngToLayerPoint([c.miny, c.minx]).x, 60) / 2; };
      data.cells.forEach(function (c) {
        /* A proportional circle at the cell centre: area follows the count, at most the cell. */
        var radius = Math.max(3, half(c) * Math.sqrt(c.events / max));
        L.circleMarker([(c.miny + c.maxy) / 2, (c.minx + c.maxx) / 2], {
          pane: "cm-cells", radius: radius, color: "#ffffff", weight: 1, fillColor: cellColor(c.events, max),
          fillOpacity: 0.8
        }).bindTooltip(C.card(data.mode === "grid" ? t.cell : t.imprecise, [
          [t.events, C.fmt(c.events, st.params.lang)], [t.fatalities, C.fmt(c.fatalities, st.params.lang)],
          [t.top_type, c.top_type]
        ]), {sticky: true}).addTo(cells);
      });
      st.lastEvents = data;
    };
    var refresh = function () {
      if (!map.hasLayer(group)) return;
      var mine = ++seq;
      var extra = Object.assign({bbox: C.bbox(map, 0.1), zoom: String(Math.floor(map.getZoom()))}, opts.extra || {});
      C.fetchJson(st, opts.url + "?" + C.query(st, extra).toString()).then(function (data) {
        if (mine === seq) draw(data);
      });
    };
    C.register(st, "conflict-events", opts.title, group, refresh, true);
    map.on("overlayadd", function (e) { if (e.layer === group) refresh(); });
  };
  C.events.layers = ["conflict-events"];

  /* Provinces named in the events but without boundaries: a ranked table beside the map. */
  var rankingPanel = function (panel, st, data) {
    var t = st.t;
    panel.textContent = "";
    panel.hidden = data.basis !== "name";
    if (panel.hidden) return;
    panel.appendChild(C.el("h2", null, t.provinces_ranked.replace("{metric}", data.metric_title.toLowerCase())));
    panel.appendChild(C.el("p", "cm-basis-note", t.provinces_by_name));
    if (data.note) panel.appendChild(C.el("p", "cm-basis-note", data.note));
    if (!data.ranking.length) { panel.appendChild(C.el("p", null, t.provinces_none)); return; }
    var table = C.el("table", "cm-ranking");
    var head = C.el("tr");
    /* The events and fatalities columns, less the one the ranked metric already shows. */
    var counts = [["events", t.events], ["fatalities", t.fatalities]].filter(function (c) { return c[0] !== data.metric; });
    ["#", t.province, data.metric_title].concat(counts.map(function (c) { return c[1]; })).forEach(function (h) {
      head.appendChild(C.el("th", null, h));
    });
    table.appendChild(head);
    data.ranking.forEach(function (r, i) {
      var tr = C.el("tr");
      tr.appendChild(C.el("td", "cm-num", i + 1));
      var name = C.el("td");
      var sw = C.el("span", "cm-swatch");
      if (r.color) sw.style.background = r.color; else sw.classList.add("cm-swatch-empty");
      name.appendChild(sw);
      name.appendChild(document.createTextNode(r.province));
      tr.appendChild(name);
      tr.appendChild(C.el("td", "cm-num", r.value_text));
      counts.forEach(function (c) { tr.appendChild(C.el("td", "cm-num", C.fmt(r[c[0]], st.params.lang))); });
      table.appendChild(tr);
    });
    panel.appendChild(table);
    if (data.ranking_more) panel.appendChild(C.el("p", "cm-basis-note", t.provinces_more.replace("{n}", data.ranking_more)));
  };

  C.provinces = function (map, opts) {
    var st = C.state(map);
    var t = st.t;
    var layer = L.geoJSON(null, {
      pane: "cm-choropleth",
      style: function (f) {
        return {fillColor: f.properties.color || "#ffffff", fillOpacity: f.properties.color ? 0.75 : 0,
                color: "#6b5e4e", weight: 0.9, className: "cm-province"};
      },
      onEachFeature: function (f, l) {
        var p = f.properties;
        l.bindTooltip(function () {
          return C.card(p.name, [[(st.lastProvinces && st.lastProvinces.legend || {}).title || t.events, p.value_text]]
            .concat(countRows(st, p)).concat([[t.projects, p.projects_active], [t.projects_dates_unknown, p.projects_dates_unknown || ""],
              [t.schools, p.envr_count], [t.schools_dates_unknown, p.envr_dates_unknown || ""]]));
        }, {sticky: true});
      }
    });
    var outline = L.geoJSON(null, {pane: "cm-choropleth", interactive: false,
      style: {color: "#2b2b2b", weight: 2.4, fillColor: opts.fill, fillOpacity: 1}}).addTo(map);
    var legend = legendControl(map, "bottomright");
    legend.style.display = "none";
    var panel = opts.panel_id ? document.getElementById(opts.panel_id) : null;
    var showLegend = function () {
      var data = st.lastProvinces;
      legend.style.display = data && data.legend && map.hasLayer(layer) ? "" : "none";
    };
    var refresh = function (s, viewOnly) {
      if (viewOnly) return;
      C.fetchJson(st, opts.url + "?" + C.query(st, {}).toString()).then(function (data) {
        st.lastProvinces = data;
        outline.clearLayers();
        outline.addData(data.country);
        layer.clearLayers();
        if (data.provinces) layer.addData(data.provinces);
        if (data.legend) fillLegend(legend, data.legend);
        showLegend();
        if (panel) rankingPanel(panel, st, data);
      });
    };
    C.register(st, "provinces", opts.title, layer, refresh, true);
    map.on("overlayadd overlayremove", showLegend);
  };
  C.provinces.layers = ["provinces", "province-summary"];

  C.density = function (map, opts) {
    var st = C.state(map);
    var group = L.layerGroup();
    var seq = 0;
    var refresh = function () {
      if (!map.hasLayer(group)) return;
      var mine = ++seq;
      var extra = Object.assign({bbox: C.bbox(map, 0.2), zoom: String(Math.floor(map.getZoom()))}, opts.extra || {});
      C.fetchJson(st, opts.url + "?" + C.query(st, extra).toString()).then(function (data) {
        if (mine !== seq) return;
        group.clearLayers();
        L.imageOverlay(data.url, data.bounds, {opacity: 0.75, pane: "cm-cells", className: "cm-density"}).addTo(group);
      });
    };
    C.register(st, "density", opts.title, group, refresh, false);
    map.on("overlayadd", function (e) { if (e.layer === group) refresh(); });
  };
  C.density.layers = ["density"];

  /* A catalogue layer drawn by none of the renderers above: its features in the view from the OGC
     API, in the catalogue style, with a popup of its properties (as text). */
  var catalogueLayer = function (map, st, def, limit) {
    var s = def.style;
    var look = {color: s.color, weight: s.weight, fillColor: s.fill_color, fillOpacity: s.fill_opacity};
    var layer = L.geoJSON(null, {
      pane: def.kind === "point" ? "cm-sites" : "cm-footprints",
      style: function () { return look; },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, Object.assign({pane: "cm-sites", radius: s.radius}, look));
      },
      onEachFeature: function (f, l) {
        var p = f.properties || {};
        l.bindPopup(function () {
          var rows = Object.keys(p).map(function (k) {
            var v = p[k];
            return [k, v !== null && typeof v === "object" ? JSON.stringify(v) : v];
          });
          return C.card(p[def.id_field] || def.title, rows);
        });
      }
    });
    var seq = 0;
    var refresh = function () {
      if (!map.hasLayer(layer)) return;
      var mine = ++seq;
      var q = new URLSearchParams({bbox: C.bbox(map, 0.1), limit: String(limit)});
      C.fetchJson(st, def.items_url + "?" + q.toString()).then(function (data) {
        if (mine !== seq) return;
        layer.clearLayers();
        layer.addData(data);
      });
    };
    C.register(st, def.id, def.title, layer, refresh, def.visible);
    map.on("overlayadd", function (e) { if (e.layer === layer) refresh(); });
  };

  /* The caller's catalogue layers on the map (`opts.layers`: id, title, kind, style, visible,
     items_url): those of kind polygon or point that no renderer above draws get a generic one. */
  C.catalogueLayers = function (map, opts) {
    var st = C.state(map);
    var own = [].concat(C.choropleth.layers, C.sites.layers, C.events.layers, C.provinces.layers, C.density.layers);
    opts.layers.forEach(function (def) {
      if (own.indexOf(def.id) >= 0 || (def.kind !== "polygon" && def.kind !== "point")) return;
      catalogueLayer(map, st, def, opts.limit);
    });
  };
})();
