/* coopmap: the map state (URL permalinks, refetching) and DOM helpers shared by the map pieces.
   Every text from data reaches the page through textContent, never innerHTML. */
(function () {
  "use strict";
  var C = (window.coopmap = window.coopmap || {});

  C.el = function (tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };

  /* A popup or tooltip body: a title and label/value rows, all set as text. */
  C.card = function (title, rows, note) {
    var box = C.el("div", "cm-card");
    box.appendChild(C.el("div", "cm-card-title", title));
    var table = C.el("table");
    rows.forEach(function (r) {
      if (r[1] === null || r[1] === undefined || r[1] === "") return;
      var tr = C.el("tr");
      var th = C.el("th", null, r[0]);
      th.scope = "row";
      tr.appendChild(th);
      tr.appendChild(C.el("td", null, r[1]));
      table.appendChild(tr);
    });
    box.appendChild(table);
    if (note) box.appendChild(C.el("div", "cm-card-note", note));
    return box;
  };

  C.fmt = function (n, lang) {
    if (n === null || n === undefined || n === "") return "";
    var v = Number(n);
    if (!isFinite(v)) return String(n);
    return v.toLocaleString(lang === "fr" ? "fr-FR" : "en-GB", {maximumFractionDigits: 1});
  };

  /* The state of one map: parameters kept in the URL, and the layers that refetch on change. */
  C.setup = function (map, opts) {
    var st = {
      map: map, opts: opts, t: opts.strings, params: Object.assign({}, opts.params),
      refreshers: [], listeners: [], urlListeners: [], pending: 0, overlays: {}, control: null
    };
    map._coopmap = st;
    map.getContainer().style.background = opts.sea;
    map.options.zoomSnap = 0.5;
    map.setMinZoom(2);
    map.setMaxZoom(opts.max_zoom || 12);
    ["land", "choropleth", "footprints", "cells", "sites", "labels"].forEach(function (name, i) {
      var pane = map.createPane("cm-" + name);
      pane.style.zIndex = name === "sites" ? "640" : String(250 + i * 50);
      if (name === "labels") pane.style.pointerEvents = "none";
    });
    st.control = L.control.layers(null, null, {collapsed: false, position: "topright"}).addTo(map);
    if (opts.bbox) {
      var b = opts.bbox;
      map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {paddingTopLeft: [opts.pad_left || 0, 0]});
    }
    map.on("moveend", function () { C.changed(st, true); });
    map.on("overlayadd overlayremove", function () { C.syncUrl(st); });
    return st;
  };

  C.state = function (map) { return map._coopmap; };

  /* Register a layer that refetches; `refresh(st, viewOnly)` is called on every change. */
  C.register = function (st, id, title, layer, refresh, visible) {
    st.overlays[title] = layer;
    layer._cmId = id;
    if (st.opts.layers) visible = st.opts.layers.indexOf(id) >= 0;
    st.control.addOverlay(layer, title);
    layer._cmTitle = title;
    if (visible) layer.addTo(st.map);
    st.refreshers.push(refresh);
  };

  C.query = function (st, extra) {
    var p = new URLSearchParams();
    Object.keys(st.params).forEach(function (k) {
      if (st.params[k] !== null && st.params[k] !== undefined && st.params[k] !== "") p.set(k, st.params[k]);
    });
    Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
    return p;
  };

  C.bbox = function (map, pad) {
    var b = map.getBounds().pad(pad || 0);
    var clamp = function (v, lim) { return Math.max(-lim, Math.min(lim, v)); };
    return [clamp(b.getWest(), 180), clamp(b.getSouth(), 85), clamp(b.getEast(), 180), clamp(b.getNorth(), 85)]
      .map(function (v) { return v.toFixed(3); }).join(",");
  };

  C.fetchJson = function (st, url) {
    st.pending += 1;
    st.map.getContainer().classList.add("cm-loading");
    return fetch(url, {headers: {Accept: "application/json"}}).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status + " for " + url);
      return r.json();
    }).finally(function () {
      st.pending -= 1;
      if (!st.pending) st.map.getContainer().classList.remove("cm-loading");
    });
  };

  C.changed = function (st, viewOnly) {
    st.refreshers.forEach(function (fn) { fn(st, viewOnly); });
    st.listeners.forEach(function (fn) { fn(st, viewOnly); });
    C.syncUrl(st);
  };

  C.setParam = function (st, name, value) {
    st.params[name] = value;
    C.changed(st, false);
  };

  C.visibleLayers = function (st) {
    return Object.keys(st.overlays).filter(function (t) { return st.map.hasLayer(st.overlays[t]); })
      .map(function (t) { return st.overlays[t]._cmId; }).filter(Boolean).join(",");
  };

  C.stateParams = function (st) {
    var p = C.query(st, {bbox: C.bbox(st.map, 0)});
    p.set("layers", C.visibleLayers(st));
    return p;
  };

  C.syncUrl = function (st) {
    var p = C.stateParams(st);
    history.replaceState(null, "", window.location.pathname + "?" + p.toString());
    st.urlListeners.forEach(function (fn) { fn(st, p); });
  };
})();
