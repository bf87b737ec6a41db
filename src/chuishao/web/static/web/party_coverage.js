/* Party organisation coverage: the rates of grids, complexes and new organisations at each of the
 * last twelve month ends, drawn from the #coverage-data JSON. */
(function () {
  "use strict";
  var el = document.getElementById("coverage-trend");
  if (!el || typeof echarts === "undefined") return;
  var data = JSON.parse(document.getElementById("coverage-data").textContent);
  var chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + "%"; } },
    legend: { top: 0 },
    grid: { left: 44, right: 16, top: 36, bottom: 24 },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: data.series.map(function (s) { return { name: s.name, type: "line", data: s.data, connectNulls: true }; })
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
