/* The dashboard: a choropleth of the grids (cases received or resolution rate; click for the cases),
 * the three rates over six months and the category mix, drawn from the #dashboard-data JSON.
 * No tiles: the city works offline, so grids are drawn on a plain background. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);

  var mapEl = document.getElementById("dash-map");
  if (mapEl && typeof L !== "undefined") {
    var map = L.map(mapEl, { attributionControl: false, zoomSnap: 0.25 });
    map.setView([39.9, 116.3], 11);
    var measure = "volume";
    var maxVolume = Math.max.apply(null, [1].concat(data.grids.features.map(function (f) { return f.properties.received; })));
    var blues = ["#eef4fa", "#c9dced", "#92b9db", "#5b93c4", "#2c6aa5", "#17446f"];
    function colour(p) {
      if (measure === "volume") {
        return blues[Math.min(blues.length - 1, Math.floor((p.received / maxVolume) * (blues.length - 1) + 0.0001))];
      }
      if (p.resolution === null || p.resolution === undefined) return "#f0f0f0";
      if (p.resolution >= 90) return "#2e8b57";
      if (p.resolution >= 75) return "#9acd32";
      if (p.resolution >= 60) return "#f0c419";
      return "#d9534f";
    }
    function label(p) {
      var value = measure === "volume" ? p.received : (p.resolution === null ? data.words.none : p.resolution.toFixed(1) + "%");
      // A DOM node, never an HTML string: a grid's name is data anyone importing boundaries wrote.
      var node = document.createElement("span");
      node.textContent = p.name + " · " + (measure === "volume" ? data.words.volume : data.words.resolution) + ": " + value;
      return node;
    }
    var layer = L.geoJSON(data.grids, {
      style: function (f) { return { color: "#5b7083", weight: 0.6, fillColor: colour(f.properties), fillOpacity: 0.85 }; },
      onEachFeature: function (f, l) {
        l.bindTooltip(function () { return label(f.properties); });
        l.on("click", function () { window.location.href = f.properties.url; });
      }
    }).addTo(map);
    if (data.grids.features.length) map.fitBounds(layer.getBounds(), { padding: [8, 8] });
    document.querySelectorAll("input[name=measure]").forEach(function (input) {
      input.addEventListener("change", function () {
        measure = input.value;
        layer.setStyle(function (f) { return { fillColor: colour(f.properties) }; });
      });
    });
  }

  if (typeof echarts === "undefined") return;
  var trendEl = document.getElementById("dash-trend");
  if (trendEl) {
    var trend = echarts.init(trendEl, null, { renderer: "svg" });
    trend.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 40, top: 36, bottom: 24 },
      xAxis: { type: "category", data: data.months },
      yAxis: [{ type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }, { type: "value", splitLine: { show: false } }],
      series: data.series.map(function (s) { return { name: s.name, type: "line", data: s.data, connectNulls: true }; })
        .concat([{ name: data.receivedLabel, type: "bar", yAxisIndex: 1, data: data.received, itemStyle: { color: "#c9dced" }, z: 0 }])
    });
    window.addEventListener("resize", function () { trend.resize(); });
  }
  var catEl = document.getElementById("dash-categories");
  if (catEl) {
    var cats = echarts.init(catEl, null, { renderer: "svg" });
    cats.setOption({
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: data.categories, label: { formatter: "{b} {c}" } }]
    });
    cats.on("click", function (p) { if (p.data && p.data.url) window.location.href = p.data.url; });
    window.addEventListener("resize", function () { cats.resize(); });
  }
})();
