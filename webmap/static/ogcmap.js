/* The small map of the OGC API's HTML pages (items, one item, a collection's extent).
   Its data is the page's JSON block #ogc-map-data; the land comes from our own boundaries
   (/map-data/basemap), nothing from the internet. On the items page, a row and its feature
   select each other: the row gets the class "ogc-selected", so does the feature's SVG path.
   Data texts are never written as HTML: ids are compared as strings, nothing else is shown. */
(function () {
  "use strict";
  var box = document.getElementById("ogc-map");
  var source = document.getElementById("ogc-map-data");
  if (!box || !source || !window.L) return;
  var opts = JSON.parse(source.textContent);

  var FEATURE = {color: "#8c1d18", weight: 1.5, fillColor: "#d7301f", fillOpacity: 0.55, radius: 5};
  var SELECTED = {color: "#0b3d91", weight: 3, fillColor: "#2b6cd4", fillOpacity: 0.8, radius: 9};

  var map = L.map(box, {zoomSnap: 0.5, minZoom: 1, maxZoom: 14, worldCopyJump: false});
  box.style.background = opts.sea;
  map.attributionControl.setPrefix(false);
  var credit = document.createElement("span");
  credit.textContent = opts.attribution;
  map.attributionControl.addAttribution(credit.outerHTML);
  map.createPane("ogc-land").style.zIndex = "250";

  var land = L.geoJSON(null, {
    pane: "ogc-land", interactive: false,
    style: {color: opts.border, weight: 0.7, fillColor: opts.land, fillOpacity: 1}
  }).addTo(map);
  fetch(opts.basemap + "?detail=z2", {credentials: "same-origin"})
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) { if (data) land.addData(data); });

  var world = function () { map.setView([5, 20], 2); };

  if (opts.bbox) {
    var b = opts.bbox;
    var rect = L.rectangle([[b[1], b[0]], [b[3], b[2]]], {
      color: SELECTED.color, weight: 2, fillOpacity: 0.08, className: "ogc-extent"
    }).addTo(map);
    map.fitBounds(rect.getBounds(), {padding: [10, 10], maxZoom: 8});
    return;
  }

  var byId = {};
  var rows = {};
  Array.prototype.forEach.call(document.querySelectorAll("tr[data-fid]"), function (tr) {
    rows[tr.getAttribute("data-fid")] = tr;
  });
  var current = null;

  var paint = function (id, on) {
    var layer = byId[id];
    if (layer) {
      layer.setStyle(on ? SELECTED : FEATURE);
      if (layer.setRadius) layer.setRadius(on ? SELECTED.radius : FEATURE.radius);
      var node = layer.getElement && layer.getElement();
      if (node) node.classList.toggle("ogc-selected", on);
      if (on) layer.bringToFront();
    }
    if (rows[id]) {
      rows[id].classList.toggle("ogc-selected", on);
      if (on) rows[id].setAttribute("aria-current", "true");
      else rows[id].removeAttribute("aria-current");
    }
  };

  var select = function (id, fromMap) {
    if (current !== null) paint(current, false);
    current = id;
    paint(id, true);
    var layer = byId[id];
    if (!fromMap && layer) {
      if (layer.getLatLng) map.panTo(layer.getLatLng());
      else map.fitBounds(layer.getBounds(), {padding: [10, 10], maxZoom: 8});
    }
    if (fromMap && rows[id]) rows[id].scrollIntoView({block: "nearest"});
  };

  var features = L.geoJSON(opts.features, {
    style: function () { return Object.assign({className: "ogc-feature"}, FEATURE); },
    pointToLayer: function (f, latlng) {
      return L.circleMarker(latlng, Object.assign({className: "ogc-feature"}, FEATURE));
    },
    onEachFeature: function (f, layer) {
      var id = String(f.id);
      byId[id] = layer;
      layer.on("click", function () { select(id, true); });
    }
  });
  /* the view first: Leaflet creates the paths only once the map has one */
  var bounds = features.getBounds();
  if (!bounds.isValid()) world();
  else if (bounds.getNorthEast().equals(bounds.getSouthWest())) map.setView(bounds.getCenter(), 5);
  else map.fitBounds(bounds, {padding: [12, 12], maxZoom: 8});
  features.addTo(map);
  Object.keys(byId).forEach(function (id) {  /* each path says whose it is (as its row does) */
    var node = byId[id].getElement && byId[id].getElement();
    if (node) node.setAttribute("data-fid", id);
  });
  var ids = Object.keys(byId);
  if (ids.length === 1 && !Object.keys(rows).length) paint(ids[0], true);  /* the item page: its feature */

  Object.keys(rows).forEach(function (id) {
    var tr = rows[id];
    if (!byId[id]) return;
    tr.tabIndex = 0;
    tr.addEventListener("click", function (e) {
      if (e.target.closest("a")) return;
      select(id, false);
    });
    tr.addEventListener("keydown", function (e) {
      if (e.target !== tr || (e.key !== "Enter" && e.key !== " ")) return;
      e.preventDefault();
      select(id, false);
    });
  });
})();
