// rollcall dashboard: live numbers over server-sent events and small SVG
// charts. Everything from the server is set with textContent, never as HTML.
"use strict";
(function () {
  var SVG = "http://www.w3.org/2000/svg";
  function fmt(v) {
    if (v === null || v === undefined) return "—";
    if (typeof v === "number") return v.toLocaleString("en-US");
    return String(v);
  }
  // Times show in the event's time zone with its abbreviation ("14:05:09
  // ICT"), as the server renders them; stored and sent times are UTC.
  var tz = document.body.getAttribute("data-tz") || "UTC";
  var tzAbbr = document.body.getAttribute("data-tzabbr") || "UTC";
  var tzFormat;
  try {
    tzFormat = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  } catch (e) {
    tzFormat = null; tzAbbr = "UTC";
  }
  function clock(iso) {
    if (!iso || iso.indexOf("0001-") === 0) return "—";
    var d = new Date(iso);
    return (tzFormat ? tzFormat.format(d) : d.toISOString().substr(11, 8)) + " " + tzAbbr;
  }
  function el(name, attrs, text) {
    var e = document.createElementNS(SVG, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function axisLabels(svg, maxV, W, H, pad) {
    svg.appendChild(el("line", { x1: pad, y1: H - 20, x2: W, y2: H - 20, "class": "axis" }));
    svg.appendChild(el("text", { x: 2, y: 14 }, fmt(maxV)));
    svg.appendChild(el("text", { x: 2, y: H - 22 }, "0"));
  }
  // lineChart draws points [{t,v}] as a line with an area under it.
  function size(svg) {
    var vb = svg.viewBox.baseVal;
    return vb && vb.width ? [vb.width, vb.height] : [600, 180];
  }
  function lineChart(svg, pts) {
    clear(svg);
    var W = size(svg)[0], H = size(svg)[1], pad = 44;
    if (!pts || pts.length === 0) { svg.appendChild(el("text", { x: W / 2 - 60, y: H / 2 }, "no readings yet")); return; }
    var t0 = pts[0].t, t1 = pts[pts.length - 1].t, maxV = 1;
    pts.forEach(function (p) { if (p.v > maxV) maxV = p.v; });
    var span = Math.max(t1 - t0, 1);
    var x = function (t) { return pad + (W - pad - 4) * (pts.length === 1 ? 1 : (t - t0) / span); };
    var y = function (v) { return (H - 24) - (H - 34) * v / maxV; };
    var d = "", a = "M" + x(t0) + "," + y(0);
    pts.forEach(function (p, i) { d += (i ? "L" : "M") + x(p.t).toFixed(1) + "," + y(p.v).toFixed(1); a += "L" + x(p.t).toFixed(1) + "," + y(p.v).toFixed(1); });
    a += "L" + x(t1) + "," + y(0) + "Z";
    axisLabels(svg, maxV, W, H, pad);
    svg.appendChild(el("path", { d: a, "class": "area" }));
    svg.appendChild(el("path", { d: d, "class": "line" }));
    svg.appendChild(el("text", { x: pad, y: H - 4 }, clock(new Date(t0).toISOString())));
    svg.appendChild(el("text", { x: W - 90, y: H - 4 }, clock(new Date(t1).toISOString())));
  }
  // barChart draws points [{t,v}] as bars, one per minute.
  function barChart(svg, pts) {
    clear(svg);
    var W = size(svg)[0], H = size(svg)[1], pad = 44;
    if (!pts || pts.length === 0) return;
    var maxV = 1;
    pts.forEach(function (p) { if (p.v > maxV) maxV = p.v; });
    var bw = (W - pad - 4) / pts.length;
    axisLabels(svg, maxV, W, H, pad);
    pts.forEach(function (p, i) {
      var h = (H - 34) * p.v / maxV;
      var r = el("rect", { x: (pad + i * bw + 1).toFixed(1), y: (H - 24 - h).toFixed(1), width: Math.max(bw - 2, 1).toFixed(1), height: h.toFixed(1), "class": "bar" });
      r.appendChild(el("title", {}, clock(new Date(p.t).toISOString()) + ": " + p.v));
      svg.appendChild(r);
    });
    svg.appendChild(el("text", { x: pad, y: H - 4 }, clock(new Date(pts[0].t).toISOString())));
    svg.appendChild(el("text", { x: W - 60, y: H - 4 }, "now"));
  }
  function td(tr, text, cls) { var c = document.createElement("td"); c.textContent = text; if (cls) c.className = cls; tr.appendChild(c); return c; }

  function apply(root, s) {
    var set = function (name, v) {
      root.querySelectorAll('[data-f="' + name + '"]').forEach(function (n) { n.textContent = v; });
    };
    set("state", s.state);
    var st = root.querySelector('[data-f="state"]');
    if (st) st.className = "state state-" + s.state;
    set("at", clock(s.at));
    set("viewers", fmt(s.viewers)); set("peak", fmt(s.peak)); set("views", fmt(s.views)); set("likes", fmt(s.likes));
    set("chat_messages", fmt(s.chat_messages)); set("chatters", fmt(s.chatters));
    set("linked", fmt(s.linked)); set("registered", fmt(s.registered)); set("linked_pct", s.linked_pct);
    set("quota_used", fmt(s.quota.used)); set("quota_limit", fmt(s.quota.limit)); set("quota_remaining", fmt(s.quota.remaining));
    set("quota_exhaustion", s.quota.projected_exhaustion && s.quota.projected_exhaustion.indexOf("0001-") !== 0 ? clock(s.quota.projected_exhaustion) : "not today");
    var qb = document.getElementById("quota-bar"); if (qb) qb.value = s.quota.percent;
    var vc = document.getElementById("viewer-chart"); if (vc) lineChart(vc, s.viewer_series);
    var cc = document.getElementById("chat-chart"); if (cc) barChart(cc, s.chat_series);
    var ct = document.getElementById("countries");
    if (ct) {
      clear(ct);
      s.countries.forEach(function (c) { var tr = document.createElement("tr"); td(tr, c.country); td(tr, fmt(c.linked), "n"); td(tr, fmt(c.registered), "n"); td(tr, c.pct, "n"); ct.appendChild(tr); });
    }
    var hp = document.getElementById("checkpoints");
    if (hp) {
      // Rows carry forms (close buttons): redraw only the hit counts.
      hp.querySelectorAll("tr").forEach(function (tr, i) {
        var cp = s.checkpoints[i]; var n = tr.querySelector("td.n");
        if (cp && n) n.textContent = fmt(cp.hits);
      });
      if (hp.querySelectorAll("td.n").length !== s.checkpoints.length && !document.activeElement.closest("form")) { location.reload(); }
    }
    // Chat capture notices (gaps, members-only checkpoints) are rare:
    // a new one reloads the page, as a new checkpoint does.
    var cn = document.getElementById("chat-notices");
    var shown = cn ? cn.querySelectorAll("li").length : 0;
    if (shown !== (s.gaps || []).length + (s.members_only || []).length && !(document.activeElement && document.activeElement.closest("form"))) { location.reload(); }
    var ci = document.getElementById("checkins");
    if (ci && s.check_ins) {
      clear(ci);
      s.check_ins.forEach(function (c) {
        var li = document.createElement("li"), b = document.createElement("span"), m = document.createElement("span");
        b.className = "name"; b.textContent = c.name;
        m.className = "muted"; m.textContent = " " + c.country + " · " + c.method + " · " + clock(c.at);
        li.appendChild(b); li.appendChild(m); ci.appendChild(li);
      });
    }
    var h = document.getElementById("health");
    if (h && s.health && s.health.known) {
      var txt = (s.health.running ? "running" : "stopped") + " · last poll " + clock(s.health.last_poll) + " · " + s.health.errors + " errors";
      if (s.health.backoff_seconds > 0) txt += " · backing off " + Math.round(s.health.backoff_seconds) + " s";
      if (s.health.quota_paused) txt += " · paused for quota until " + clock(s.health.paused_until);
      h.textContent = txt;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("live");
    if (root) {
      var slug = root.getAttribute("data-slug");
      var conn = document.getElementById("conn");
      var es = new EventSource("/events/" + encodeURIComponent(slug) + "/live");
      es.addEventListener("snapshot", function (e) { apply(root, JSON.parse(e.data)); conn.textContent = "live"; });
      es.onerror = function () { conn.textContent = "reconnecting…"; };
      es.addEventListener("signedout", function () { es.close(); window.location.assign("/signin"); });
    }
    var rep = document.getElementById("report");
    if (rep) {
      fetch("/events/" + encodeURIComponent(rep.getAttribute("data-slug")) + "/live.json", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          var vc = document.getElementById("viewer-chart"); if (vc) lineChart(vc, s.viewer_series);
          var cc = document.getElementById("chat-chart"); if (cc) barChart(cc, s.chat_series);
        });
      var pb = document.getElementById("print");
      if (pb) pb.addEventListener("click", function () { window.print(); });
    }
  });
})();
