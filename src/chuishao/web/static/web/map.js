/* Chuishao maps: no tiles (the city works offline), so grids are drawn on a plain background.
 * data-kind="report": click or locate to set the point into #id_lat/#id_lng; grids from data-grids.
 * data-kind="case": the case's point and grid from the #map-data JSON. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") return;
  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
  map.setView([39.9, 116.3], 12);
  var gridStyle = { color: "#5b7083", weight: 1, fillColor: "#e8eef3", fillOpacity: 0.5 };

  // A DOM node, never an HTML string: Leaflet inserts a string tooltip as HTML, and grid names are
  // imported data.
  function text(value) {
    var node = document.createElement("span");
    node.textContent = value;
    return node;
  }

  function caseMarkers(cases) {
    return cases.map(function (c) {
      var link = document.createElement("a");
      link.href = c.url;
      link.textContent = c.number + " · " + c.status;
      return L.circleMarker([c.lat, c.lng], { radius: 7, color: "#fff", weight: 2, fillColor: "#1f5f99", fillOpacity: 0.9 })
        .addTo(map).bindPopup(link);
    });
  }

  if (el.dataset.kind === "grid") {
    var grid = JSON.parse(document.getElementById("map-data").textContent);
    var outline = L.geoJSON(grid.grid, { style: { color: "#c0392b", weight: 2, fillOpacity: 0.06 } }).addTo(map);
    caseMarkers(grid.cases);
    map.fitBounds(outline.getBounds().pad(0.15), { maxZoom: 18 });
    return;
  }

  if (el.dataset.kind === "cases") {
    var markers = caseMarkers(JSON.parse(document.getElementById("map-data").textContent));
    if (markers.length) map.fitBounds(L.featureGroup(markers).getBounds().pad(0.2), { maxZoom: 17 });
    return;
  }

  if (el.dataset.kind === "case") {
    var data = JSON.parse(document.getElementById("map-data").textContent);
    var layers = [];
    if (data.grid) {
      layers.push(L.geoJSON(data.grid, { style: { color: "#c0392b", weight: 2, fillOpacity: 0.08 } }).addTo(map));
    }
    if (data.point) layers.push(L.marker(data.point).addTo(map));
    if (layers.length) map.fitBounds(L.featureGroup(layers).getBounds().pad(0.6), { maxZoom: 18 });
    return;
  }

  var lat = document.getElementById("id_lat");
  var lng = document.getElementById("id_lng");
  var gridName = document.getElementById("grid-name");
  var status = document.getElementById("locate-status");
  var marker = null;
  var grids = null;

  function changed(input) {
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }
  function whichGrid(latlng) {
    if (!grids || !gridName) return;
    var name = "";
    grids.eachLayer(function (layer) {
      if (!name && layer.getBounds().contains(latlng)) name = layer.feature.properties.name;
    });
    gridName.textContent = name ? "▸ " + name : "";
  }
  function place(latlng, fromInputs) {
    if (marker) marker.setLatLng(latlng);
    else marker = L.marker(latlng).addTo(map);
    if (!fromInputs) {
      lat.value = latlng.lat.toFixed(6);
      lng.value = latlng.lng.toFixed(6);
      changed(lat);
    }
    whichGrid(latlng);
  }
  function fromInputs() {
    var a = parseFloat(lat.value), b = parseFloat(lng.value);
    if (isFinite(a) && isFinite(b) && Math.abs(a) <= 90 && Math.abs(b) <= 180) {
      var ll = L.latLng(a, b);
      place(ll, true);
      if (!map.getBounds().contains(ll)) map.panTo(ll);
    }
  }

  map.on("click", function (e) { place(e.latlng, false); });
  lat.addEventListener("change", fromInputs);
  lng.addEventListener("change", fromInputs);

  fetch(el.dataset.grids, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (fc) {
      grids = L.geoJSON(fc, {
        style: gridStyle,
        onEachFeature: function (f, layer) { layer.bindTooltip(text(f.properties.name), { sticky: true }); },
      }).addTo(map);
      // Clicks on a grid polygon set the point too.
      grids.on("click", function (e) { place(e.latlng, false); });
      if (fc.features.length) map.fitBounds(grids.getBounds());
      fromInputs();
    })
    .catch(function () { /* the form still works with typed coordinates */ });

  var locate = document.getElementById("locate");
  if (locate) {
    locate.addEventListener("click", function () {
      if (!navigator.geolocation) {
        status.textContent = locate.dataset.unavailable || "—";
        return;
      }
      status.textContent = "…";
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          status.textContent = "";
          var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
          place(ll, false);
          map.setView(ll, Math.max(map.getZoom(), 16));
        },
        function (err) { status.textContent = err.message; },
        { enableHighAccuracy: true, timeout: 10000 }
      );
    });
    // On patrol the worker stands at the place: locate at once (one tap fewer).
    if (locate.dataset.auto === "1" && !lat.value) locate.click();
  }

  var select = document.getElementById("id_category");
  var search = document.getElementById("category-search");
  if (search && select) {
    // Narrow the list to categories whose name, hint or group holds what was typed; one match is chosen.
    search.addEventListener("input", function () {
      var words = search.value.trim().toLowerCase();
      var shown = [];
      select.querySelectorAll("optgroup").forEach(function (group) {
        var any = false;
        group.querySelectorAll("option").forEach(function (option) {
          var text = (group.label + " " + option.textContent + " " + (option.dataset.hint || "")).toLowerCase();
          option.hidden = words !== "" && text.indexOf(words) === -1;
          if (!option.hidden) { any = true; shown.push(option); }
        });
        group.hidden = !any;
      });
      if (shown.length === 1 && select.value !== shown[0].value) {
        select.value = shown[0].value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }
  var hint = document.getElementById("category-hint");
  function showHint() {
    var opt = select.options[select.selectedIndex];
    hint.textContent = (opt && opt.dataset.hint) || "";
  }
  if (select && hint) { select.addEventListener("change", showHint); showHint(); }
})();
