// ipledger console: small progressive enhancements. Everything works without them; no
// inline script anywhere (CSP default-src 'self').
(function () {
  "use strict";

  // Forms with a <select data-shows>: show only the fields of the chosen type
  // (elements marked data-for="type1 type2"). Without JavaScript every field shows.
  function wireTypeFields(root) {
    root.querySelectorAll("select[data-shows]").forEach(function (sel) {
      var form = sel.form;
      function update() {
        form.querySelectorAll("[data-for]").forEach(function (el) {
          var types = el.getAttribute("data-for").split(/\s+/);
          el.hidden = types.indexOf(sel.value) < 0;
        });
      }
      sel.addEventListener("change", update);
      update();
    });
  }

  // Indicator charts: each .chart[data-code] loads its year-end series when it scrolls
  // into view and draws it against the target line.
  function drawChart(el) {
    if (typeof echarts === "undefined" || el.getAttribute("data-drawn")) return;
    el.setAttribute("data-drawn", "1");
    var q = new URLSearchParams({ code: el.dataset.code, region: el.dataset.region });
    if (el.dataset.knownAt) q.set("known_at", el.dataset.knownAt);
    fetch("/console/indicators/series?" + q.toString(), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (s) {
        var years = s.items.map(function (p) { return p.partial ? p.year + "*" : String(p.year); });
        var values = s.items.map(function (p) { return p.value === null ? null : Number(p.value); });
        var series = [{ name: el.dataset.labelValue, type: "line", data: values, symbolSize: 7, connectNulls: false }];
        if (el.dataset.target) {
          var t = Number(el.dataset.target);
          series.push({ name: el.dataset.labelTarget, type: "line", data: years.map(function () { return t; }),
            symbol: "none", lineStyle: { type: "dashed" } });
        }
        var chart = echarts.init(el, null, { renderer: "canvas" });
        chart.setOption({
          animation: false,
          color: ["#0b5cad", "#cf222e"],
          tooltip: { trigger: "axis" },
          legend: { bottom: 0 },
          grid: { left: 8, right: 16, top: 16, bottom: 36, containLabel: true },
          xAxis: { type: "category", data: years },
          yAxis: { type: "value", scale: true },
          series: series
        });
        el.setAttribute("data-loaded", "1");
        window.addEventListener("resize", function () { chart.resize(); });
      })
      .catch(function () { el.setAttribute("data-error", "1"); });
  }

  function wireCharts(root) {
    var charts = root.querySelectorAll(".chart[data-code]");
    if (!charts.length) return;
    if (!("IntersectionObserver" in window)) { charts.forEach(drawChart); return; }
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) { if (e.isIntersecting) { io.unobserve(e.target); drawChart(e.target); } });
    }, { rootMargin: "200px" });
    charts.forEach(function (c) { io.observe(c); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireTypeFields(document);
    wireCharts(document);
  });
})();
