/* coopmap controls: period slider (month steps), event type, metric, language, snapshot link,
   the synthetic-data notice and the chart beside a country map. All write the state into the URL. */
(function () {
  "use strict";
  var C = window.coopmap;

  var monthOf = function (months, i) { return months[Math.max(0, Math.min(months.length - 1, i))]; };

  var select = function (label, options, value, onChange) {
    var wrap = C.el("label", "cm-field");
    wrap.appendChild(C.el("span", null, label));
    var sel = C.el("select");
    options.forEach(function (o) {
      var opt = C.el("option", null, o[1]);
      opt.value = o[0];
      if (o[0] === value) opt.selected = true;
      sel.appendChild(opt);
    });
    sel.addEventListener("change", function () { onChange(sel.value); });
    wrap.appendChild(sel);
    return wrap;
  };

  C.controls = function (map, opts) {
    var st = C.state(map);
    var t = st.t;
    var Ctl = L.Control.extend({
      onAdd: function () {
        var box = C.el("div", "cm-panel");
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        box.appendChild(C.el("h1", "cm-panel-title", opts.title));  // the page's one level-one heading
        if (opts.subtitle) box.appendChild(C.el("div", "cm-panel-sub", opts.subtitle));
        var months = opts.months;
        if (months.length) {
          var period = C.el("div", "cm-period");
          var label = C.el("div", "cm-period-label");
          period.appendChild(C.el("span", "cm-field-label", t.period));
          period.appendChild(label);
          var from = C.el("input"), to = C.el("input");
          [from, to].forEach(function (inp, k) {
            inp.type = "range"; inp.min = "0"; inp.max = String(months.length - 1); inp.step = "1";
            inp.setAttribute("aria-label", k ? t.period_to : t.period_from);
            inp.className = "cm-range";
            period.appendChild(inp);
          });
          from.value = String(Math.max(0, months.indexOf(opts.start)));
          to.value = String(months.indexOf(opts.end) >= 0 ? months.indexOf(opts.end) : months.length - 1);
          /* The URL's period in words when the slider cannot show it (days, beyond its months). */
          var note = C.el("div", "cm-period-note", opts.period_note || "");
          note.hidden = !opts.period_note;
          var show = function () {
            label.textContent = monthOf(months, +from.value) + " \u2192 " + monthOf(months, +to.value);
          };
          var apply = function () {
            if (+from.value > +to.value) { var x = from.value; from.value = to.value; to.value = x; }
            note.hidden = true;
            show();
            C.setParam(st, "datetime", monthOf(months, +from.value) + "/" + monthOf(months, +to.value));
          };
          from.addEventListener("input", show); to.addEventListener("input", show);
          from.addEventListener("change", apply); to.addEventListener("change", apply);
          show();
          period.appendChild(note);
          box.appendChild(period);
        }
        var types = [["", t.all_types]].concat(opts.event_types.map(function (e) { return [e, e]; }));
        box.appendChild(select(t.event_type, types, st.params.event_type || "", function (v) { C.setParam(st, "event_type", v); }));
        if (opts.metrics) {
          box.appendChild(select(t.metric, opts.metrics, st.params.metric, function (v) { C.setParam(st, "metric", v); }));
        }
        var links = C.el("div", "cm-links");
        var snap = C.el("a", "cm-button", t.snapshot);
        snap.target = "_blank";
        snap.rel = "noopener";
        snap.id = "cm-snapshot";
        links.appendChild(snap);
        var brief = null;
        if (opts.brief_url) {
          brief = C.el("a", "cm-button", t.brief_link);
          brief.target = "_blank";
          brief.rel = "noopener";
          brief.id = "cm-brief";
          links.appendChild(brief);
        }
        var other = C.el("a", "cm-lang", st.params.lang === "fr" ? "English" : "Français");
        links.appendChild(other);
        if (opts.home_url) {
          var home = C.el("a", "cm-lang", t.overview);
          links.appendChild(home);
          st.urlListeners.push(function () { home.href = opts.home_url + "?lang=" + st.params.lang; });
        }
        box.appendChild(links);
        /* Planners and above: add a project or a school (the form places it on its own small map). */
        if (opts.add_links && opts.add_links.length) {
          var adds = C.el("div", "cm-links cm-add");
          opts.add_links.forEach(function (a) {
            var link = C.el("a", "cm-button", a[0]);
            link.href = a[1];
            adds.appendChild(link);
          });
          box.appendChild(adds);
        }
        st.urlListeners.push(function (s, p) {
          var q = new URLSearchParams(p.toString());
          Object.keys(opts.snapshot_extra).forEach(function (k) { q.set(k, opts.snapshot_extra[k]); });
          var drawn = (q.get("layers") || "").split(",").filter(function (id) {
            return opts.snapshot_layers.indexOf(id) >= 0;
          });
          if (drawn.length) q.set("layers", drawn.join(",")); else q.delete("layers");
          snap.href = opts.snapshot_url + "?" + q.toString();
          if (brief) {
            var b = new URLSearchParams();
            ["datetime", "event_type", "lang"].forEach(function (k) { if (p.get(k)) b.set(k, p.get(k)); });
            brief.href = opts.brief_url + "?" + b.toString();
          }
          var l = new URLSearchParams(p.toString());
          l.set("lang", st.params.lang === "fr" ? "en" : "fr");
          other.href = window.location.pathname + "?" + l.toString();
        });
        return box;
      }
    });
    new Ctl({position: "topleft"}).addTo(map);
    if (opts.notice) {
      var Notice = L.Control.extend({onAdd: function () { return C.el("div", "cm-notice", opts.notice); }});
      new Notice({position: "bottomleft"}).addTo(map);
    }
    map.whenReady(function () { C.changed(st, false); });
  };

  C.chart = function (map, opts) {
    var st = C.state(map);
    var img = document.getElementById(opts.img_id);
    st.refreshers.push(function (s, viewOnly) {
      if (viewOnly || !img) return;
      img.src = opts.url + "?" + C.query(st, {}).toString();
    });
  };
})();
