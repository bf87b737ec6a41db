/* Grid work: the coverage map (grids red when not patrolled for the city's N days, from the
 * #coverage-data JSON; no tiles, the city works offline) and, on the grid page during a patrol, the
 * phone's positions sent as track points every minute. */
(function () {
  "use strict";
  var mapEl = document.getElementById("coverage-map");
  if (mapEl && typeof L !== "undefined") {
    var data = JSON.parse(document.getElementById("coverage-data").textContent);
    var map = L.map(mapEl, { attributionControl: false, zoomSnap: 0.25 });
    map.setView([39.9, 116.3], 13);
    var layer = L.geoJSON(data.grids, {
      style: function (f) {
        var stale = f.properties.stale;
        return { color: "#5b7083", weight: 0.8, fillColor: stale ? "#d9534f" : "#2e8b57", fillOpacity: stale ? 0.75 : 0.45, className: stale ? "grid-stale" : "grid-fresh" };
      },
      onEachFeature: function (f, l) {
        l.bindTooltip(function () {
          // A DOM node, never an HTML string: grid names are imported data.
          var node = document.createElement("span");
          var p = f.properties;
          node.textContent = p.name + " · " + (p.days === null ? data.words.never : data.words.days + ": " + p.days);
          return node;
        });
      }
    }).addTo(map);
    if (data.grids.features.length) map.fitBounds(layer.getBounds(), { padding: [8, 8] });
  }

  var tracker = document.getElementById("patrol-tracker");
  if (!tracker || !navigator.geolocation || !window.fetch) return;
  var status = document.getElementById("track-status");
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  var buffer = [];
  function send() {
    if (!buffer.length) return;
    var points = buffer.splice(0, buffer.length);
    fetch(tracker.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
      body: JSON.stringify({ points: points })
    }).then(function (r) { return r.json(); }).then(function (answer) {
      if (status && answer.points !== undefined) status.textContent = "· " + answer.points;
    }).catch(function () { buffer = points.concat(buffer); });
  }
  navigator.geolocation.watchPosition(function (pos) {
    buffer.push({ lat: pos.coords.latitude, lng: pos.coords.longitude, at: new Date(pos.timestamp).toISOString() });
    if (buffer.length >= 20) send();
  }, function () { /* no position: the patrol still counts its grids */ }, { enableHighAccuracy: true, maximumAge: 30000 });
  setInterval(send, 60000);
  window.addEventListener("pagehide", send);
})();
