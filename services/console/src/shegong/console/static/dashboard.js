// The dashboard's charts, drawn from the JSON the page embeds (the services' own numbers).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var L = data.labels;
  var charts = [];
  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el) return;
    var c = echarts.init(el, null, { renderer: "canvas" });
    c.setOption(Object.assign({ animation: false, tooltip: {} }, option));
    charts.push(c);
  }
  var wf = data.workforce;
  if (wf) {
    var levels = wf.by_level || {};
    var levelKeys = Object.keys(levels);
    chart("chart-levels", {
      xAxis: { type: "category", data: levelKeys.map(function (k) { return L[k] || k; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", label: { show: true, position: "top" },
        data: levelKeys.map(function (k) { return levels[k]; }) }]
    });
    chart("chart-yoy", {
      legend: { data: [L.prev, L["this"]] },
      xAxis: { type: "category", data: [L.professionals, L.certified] },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: L.prev, type: "bar", data: [wf.professionals_prev, wf.certified_prev] },
        { name: L["this"], type: "bar", data: [wf.professionals, wf.certified],
          label: { show: true, position: "top" } }
      ]
    });
  }
  var st = data.staffing || [];
  chart("chart-ratio", {
    xAxis: { type: "category", data: st.map(function (s) { return s.name; }) },
    yAxis: { type: "value" },
    series: [{
      type: "bar",
      data: st.map(function (s) {
        var v = s.per_10k === null ? 0 : Math.round(s.per_10k * 100) / 100;
        var below = s.per_10k !== null && s.per_10k < data.standard;
        return { value: v, itemStyle: { color: below ? "#d9480f" : "#2f9e44" } };
      }),
      label: { show: true, position: "top" },
      markLine: { symbol: "none", lineStyle: { type: "dashed", color: "#495057" },
        label: { formatter: L.standard + " " + data.standard },
        data: [{ yAxis: data.standard }] }
    }]
  });
  var sv = data.services;
  if (sv) {
    var groups = sv.by_target_group || {};
    var keys = Object.keys(groups);
    chart("chart-groups", {
      xAxis: { type: "category", data: keys.map(function (k) {
        return data.lang === "zh" ? groups[k].label_zh : k; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: L.requests, type: "bar", label: { show: true, position: "top" },
        data: keys.map(function (k) { return groups[k].requests; }) }]
    });
    chart("chart-satisfaction", {
      series: [{
        type: "gauge", min: 0, max: 5, splitNumber: 5,
        detail: { formatter: function (v) { return sv.mean_satisfaction === null ? "—" : v.toFixed(2); } },
        data: [{ value: sv.mean_satisfaction === null ? 0 : sv.mean_satisfaction, name: L.satisfaction }]
      }]
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
