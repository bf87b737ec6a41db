/* The whistle board: a map of the case(s) and of every department's check-in position (no tiles: the
 * city works offline), and "use my location" buttons that fill a check-in form's latitude and
 * longitude from the browser's geolocation (the service validates whatever is sent). */
(function () {
  "use strict";
  var el = document.getElementById("board-map");
  var dataEl = document.getElementById("board-data");
  if (el && dataEl && typeof L !== "undefined") {
    var data = JSON.parse(dataEl.textContent);
    var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
    map.setView([39.9, 116.3], 12);
    var layers = [];
    // DOM nodes, never HTML strings: Leaflet inserts a string tooltip as HTML, and case addresses and
    // organisation names are data people typed.
    var text = function (value, className) {
      var node = document.createElement("span");
      if (className) node.className = className;
      node.textContent = value;
      return node;
    };
    data.cases.forEach(function (c) {
      if (c.grid) {
        layers.push(L.geoJSON(c.grid, { style: { color: "#5b7083", weight: 1, fillOpacity: 0.06 } }).addTo(map));
      }
      layers.push(L.marker(c.point, { title: c.label }).bindTooltip(text(c.label)).addTo(map));
    });
    data.checkins.forEach(function (p) {
      var icon = L.divIcon({ className: "pin-icon", html: text(p.pin, "pin"), iconSize: [22, 22] });
      layers.push(L.marker(p.point, { icon: icon, title: p.label }).bindTooltip(text(p.label)).addTo(map));
    });
    if (layers.length) map.fitBounds(L.featureGroup(layers).getBounds().pad(0.4), { maxZoom: 19 });
  }

  document.querySelectorAll("button.use-location").forEach(function (button) {
    button.addEventListener("click", function () {
      var form = button.closest("form");
      var status = form && form.querySelector(".locate-status");
      var lat = document.getElementById(button.dataset.lat);
      var lng = document.getElementById(button.dataset.lng);
      if (!navigator.geolocation) {
        if (status) status.textContent = "—";
        return;
      }
      if (status) status.textContent = "…";
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          lat.value = pos.coords.latitude.toFixed(6);
          lng.value = pos.coords.longitude.toFixed(6);
          if (status) status.textContent = "✓";
        },
        function (err) { if (status) status.textContent = err.message; },
        { enableHighAccuracy: true, timeout: 10000 }
      );
    });
  });
})();
