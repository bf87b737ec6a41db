/* A problem of the month: reports and satisfaction rate by month, with the month taken on marked,
 * drawn from the #monthly-data JSON with the vendored ECharts. */
(function () {
  "use strict";
  var el = document.getElementById("monthly-chart");
  var source = document.getElementById("monthly-data");
  if (!el || !source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { bottom: 0, data: [data.words.volume, data.words.satisfaction] },
    grid: { left: 40, right: 50, top: 40, bottom: 56 },
    xAxis: { type: "category", data: data.months },
    yAxis: [
      { type: "value", name: data.words.volume, minInterval: 1 },
      { type: "value", name: "%", min: 0, max: 100 }
    ],
    series: [
      {
        name: data.words.volume, type: "line", data: data.volume,
        markLine: data.taken
          ? { symbol: "none", label: { formatter: data.words.taken }, data: [{ xAxis: data.taken }] }
          : undefined
      },
      { name: data.words.satisfaction, type: "line", yAxisIndex: 1, data: data.satisfaction, connectNulls: true }
    ]
  });
  el.setAttribute("data-ready", "1");
  window.addEventListener("resize", function () { chart.resize(); });
})();
