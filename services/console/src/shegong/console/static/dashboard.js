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
    // Always tall enough for the standard's line to show.
    yAxis: { type: "value", max: function (v) { return Math.ceil(Math.max(v.max, data.standard * 1.1)); } },
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
        title: { offsetCenter: [0, "75%"] },
        detail: { offsetCenter: [0, "40%"], fontSize: 22, formatter: function (v) { return sv.mean_satisfaction === null ? "—" : v.toFixed(2); } },
        data: [{ value: sv.mean_satisfaction === null ? 0 : sv.mean_satisfaction, name: L.satisfaction }]
      }]
    });
  }
  if (sv && sv.time_to_accept_s) {
    // Seconds, as matching gives them (median and 90th percentile of placed → first accepted).
    var tta = sv.time_to_accept_s;
    chart("chart-accept", {
      xAxis: { type: "category", data: [L.tta_median, L.tta_p90] },
      yAxis: { type: "value", name: "s" },
      series: [{ type: "bar", label: { show: true, position: "top" },
        data: [tta.median, tta.p90] }]
    });
  }
  if (sv && sv.escalation_rate) {
    // The share of the year's orders that reached each level (community ≤ street ≤ district).
    var esc = sv.escalation_rate;
    var levelsShown = Object.keys(esc);
    chart("chart-escalation", {
      tooltip: { formatter: function (p) { return p.name + ": " + (p.value === null ? "—" : (p.value * 100).toFixed(1) + "%"); } },
      xAxis: { type: "category", data: levelsShown.map(function (k) { return L.levels[k] || k; }) },
      yAxis: { type: "value", name: L.escalated_share, min: 0, max: 1,
        axisLabel: { formatter: function (v) { return Math.round(v * 100) + "%"; } } },
      series: [{ type: "bar", itemStyle: { color: "#d9480f" },
        label: { show: true, position: "top", formatter: function (p) {
          return p.value === null ? "—" : (p.value * 100).toFixed(1) + "%"; } },
        data: levelsShown.map(function (k) { return esc[k]; }) }]
    });
  }
  var tr = data.training;
  if (tr && (tr.by_kind || tr.by_tier)) {
    var cats = [], values = [], colours = [];
    [["by_kind", "#1864ab"], ["by_tier", "#f08c00"]].forEach(function (part) {
      var group = tr[part[0]] || {};
      Object.keys(group).forEach(function (k) {
        var entry = group[k] || {};
        cats.push(data.lang === "zh" && entry.label_zh ? entry.label_zh : k);
        values.push({ value: entry.person_times || 0, itemStyle: { color: part[1] } });
      });
    });
    chart("chart-training", {
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: cats, axisLabel: { interval: 0, rotate: cats.length > 8 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: L.person_times, type: "bar", data: values,
        label: { show: true, position: "top" } }]
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
