/* Dual reporting pages.
 * Check-in and check-out forms (class "locate") carry the phone's position when the person allows it;
 * without it they still work (the position is optional).
 * The service-centre directory draws its centres from the #centres-data JSON on a plain background. */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form.locate");
  if (forms.length && navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (pos) {
      forms.forEach(function (form) {
        form.querySelector("input[name=lat]").value = pos.coords.latitude.toFixed(6);
        form.querySelector("input[name=lng]").value = pos.coords.longitude.toFixed(6);
      });
    }, function () {}, { timeout: 8000, maximumAge: 60000 });
  }

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  var el = document.getElementById("centres-map");
  if (!el || typeof L === "undefined") return;
  var centres = JSON.parse(document.getElementById("centres-data").textContent);
  var map = L.map(el, { attributionControl: false });
  map.setView([39.9, 116.3], 12);
  var markers = centres.map(function (c) {
    var m = L.marker([c.lat, c.lng]).addTo(map);
    var label = document.createElement("div");
    var name = document.createElement("a");
    name.href = "#centre-" + c.id;
    name.textContent = c.name;
    var hours = document.createElement("div");
    hours.textContent = c.hours;
    label.appendChild(name);
    label.appendChild(hours);
    m.bindPopup(label);
    return m;
  });
  if (markers.length) map.fitBounds(L.featureGroup(markers).getBounds().pad(0.2), { maxZoom: 16 });
})();
