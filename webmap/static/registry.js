/* coopmap registry form: the location is chosen by clicking a small offline map, by typing
   coordinates, or by picking a place from the offline gazetteer; the form says which geocode
   precision will be stored. Options come from the form's data- attributes (no inline script);
   every text from the server reaches the page through textContent. */
(function () {
  "use strict";
  var form = document.getElementById("registry-form");
  if (!form) return;
  var data = form.dataset;
  var words = JSON.parse(data.words || "{}");
  var byName = function (name) { return form.elements.namedItem(name); };
  var lat = byName("lat"), lon = byName("lon"), precision = byName("geocode_precision");
  var countries = byName(data.countryField), placeField = byName(data.placeField);
  var output = document.getElementById("precision-output");

  /* Errors: the first field in error gets the focus, so screen readers read its message. */
  var firstInvalid = form.querySelector("[aria-invalid=true]");
  if (firstInvalid) firstInvalid.focus();

  var numbers = function (text) {
    return String(text || "").split(";").map(function (s) { return s.trim(); });
  };
  var points = function () {
    var a = numbers(lat.value), o = numbers(lon.value);
    if (a.length !== o.length) return [];
    var out = [];
    for (var i = 0; i < a.length; i++) {
      if (a[i] === "" || o[i] === "") continue;
      var y = Number(a[i]), x = Number(o[i]);
      if (isFinite(x) && isFinite(y) && Math.abs(y) <= 90 && Math.abs(x) <= 180) out.push([y, x]);
    }
    return out;
  };

  /* What will be stored: the point's precision, else the names' geocoding, the country, or nothing. */
  var showPrecision = function () {
    var text;
    if (lat.value.trim() || lon.value.trim()) text = words["precision_" + precision.value];
    else if (placeField && placeField.value.trim()) text = words.precision_from_names;
    else if (countries && countries.value.trim()) text = words.precision_country;
    else text = words.precision_none;
    output.textContent = text || "";
  };

  /* The small map: land from the service's own boundaries, the point(s) as circles. */
  var mapBox = document.getElementById("pick-map");
  var map = L.map(mapBox, {minZoom: 2, maxZoom: 12, worldCopyJump: false, attributionControl: false});
  mapBox.style.background = "#c6dbe9";
  mapBox.coopmapMap = map;  // the element knows its map (the browser tests click at a place)
  map.fitBounds([[-36, -20], [38, 56]]);
  fetch(data.basemapUrl, {headers: {Accept: "application/json"}}).then(function (r) { return r.json(); })
    .then(function (land) {
      L.geoJSON(land, {interactive: false, style: {color: "#a39e93", weight: 0.7, fillColor: "#f4f1ea", fillOpacity: 1}})
        .addTo(map).bringToBack();
    });
  var marks = L.layerGroup().addTo(map);
  var drawPoints = function (fly) {
    marks.clearLayers();
    var found = points();
    found.forEach(function (p) {
      L.circleMarker(p, {radius: 7, color: "#ffffff", weight: 2, fillColor: "#c0392b", fillOpacity: 1})
        .addTo(marks);
    });
    if (fly && found.length === 1) map.setView(found[0], Math.max(map.getZoom(), 6));
    else if (fly && found.length > 1) map.fitBounds(found, {maxZoom: 7, padding: [20, 20]});
    mapBox.dataset.points = String(found.length);
  };
  var round = function (v) { return String(Math.round(v * 1e5) / 1e5); };
  var setPoint = function (y, x, kind) {
    lat.value = round(y);
    lon.value = round(x);
    precision.value = kind;
    drawPoints(false);
    showPrecision();
  };
  map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, "exact"); });
  [lat, lon].forEach(function (input) {
    input.addEventListener("change", function () { drawPoints(true); showPrecision(); });
  });
  [precision, countries, placeField].forEach(function (input) {
    if (input) input.addEventListener("input", showPrecision);
  });
  drawPoints(true);
  showPrecision();

  /* The gazetteer: a combobox whose list is asked to the server as the user types. */
  var place = document.getElementById("place-search");
  var list = document.getElementById("place-list");
  var status = document.getElementById("place-status");
  var options = [], active = -1, timer = null, asked = 0;
  var close = function () {
    list.hidden = true;
    place.setAttribute("aria-expanded", "false");
    place.removeAttribute("aria-activedescendant");
    active = -1;
  };
  var mark = function (i) {
    active = i;
    Array.prototype.forEach.call(list.children, function (li, k) { li.setAttribute("aria-selected", String(k === i)); });
    if (i >= 0) place.setAttribute("aria-activedescendant", list.children[i].id);
  };
  var pick = function (i) {
    var s = options[i];
    if (!s) return;
    setPoint(s.lat, s.lon, s.precision);
    if (placeField && !placeField.value.trim()) placeField.value = s.name;
    if (countries && !countries.value.trim()) countries.value = s.iso3;
    place.value = s.name;
    showPrecision();
    drawPoints(true);
    close();
    status.textContent = s.label;
  };
  var show = function (found) {
    options = found;
    list.textContent = "";
    found.forEach(function (s, i) {
      var li = document.createElement("li");
      li.id = "place-option-" + i;
      li.setAttribute("role", "option");
      li.textContent = s.label;
      li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
      list.appendChild(li);
    });
    list.hidden = !found.length;
    place.setAttribute("aria-expanded", String(!!found.length));
    status.textContent = found.length ? words.place_found.replace("{n}", found.length) : words.place_none;
    mark(-1);
  };
  var ask = function () {
    var q = place.value.trim();
    if (q.length < 2) { show([]); status.textContent = ""; return; }
    var url = new URL(data.suggestUrl, window.location.href);
    url.searchParams.set("q", q);
    if (countries && countries.value.trim()) url.searchParams.set("countries", countries.value.trim());
    url.searchParams.set("lang", document.documentElement.lang);
    var mine = ++asked;
    fetch(url.toString(), {headers: {Accept: "application/json"}}).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (body) { if (mine === asked) show(body.places); })
      .catch(function () { if (mine === asked) show([]); });
  };
  place.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 200); });
  place.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown" && options.length) { e.preventDefault(); list.hidden = false; mark(Math.min(options.length - 1, active + 1)); }
    else if (e.key === "ArrowUp" && options.length) { e.preventDefault(); mark(Math.max(0, active - 1)); }
    else if (e.key === "Enter" && !list.hidden && active >= 0) { e.preventDefault(); pick(active); }
    else if (e.key === "Escape") close();
  });
  place.addEventListener("blur", close);
})();
