/* A rep's day on a Leaflet map (assets/web/vendor/leaflet), from the page's JSON block #day-map-data
   (server/web/chart_data.py): the customers (numbered by their place on the plan; off the plan a violet
   diamond), the planned route (dashed), the check-ins joined in their order, each check-in's line to its
   customer, the check-outs, and flagged check-ins in red with a halo: every kind of mark has the style and
   the legend entry (under the map, drawn by the server) that the SVG has.

   Tiles come from MAP_TILE_URL only (tileUrl); without it the map is a plain background, as the SVG, and
   nothing is fetched. The server's SVG stays in the page for a browser without script and is hidden once the
   map is drawn. No inline script or style markup (the CSP allows neither): texts go in as DOM text. */
(function () {
  "use strict";

  // Icon sizes in px: as large as the SVG's marks (customer r=10, check-in r=5, halo r=12, check-out 6).
  var SIZES = { customer: 20, off_route: 20, check_in: 12, flagged: 24, check_out: 8 };
  var Z = { customer: 0, off_route: 0, check_out: 100, check_in: 200, flagged: 300 };
  var ACCENT = "#1f6feb";

  function pin(mark, label) {
    var box = document.createElement("div");
    var dot = document.createElement("span");
    dot.className = "dot";
    box.appendChild(dot);
    if (label) {
      var text = document.createElement("span");
      text.className = "label";
      text.textContent = label;
      box.appendChild(text);
    }
    var size = SIZES[mark];
    return L.divIcon({
      className: "map-pin map-mark mark-" + mark + " " + mark,
      html: box,
      iconSize: [size, size],
      iconAnchor: [size / 2, size / 2],
    });
  }

  function textNode(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  function marker(map, place, label) {
    return L.marker(place.at, {
      icon: pin(place.mark, label),
      zIndexOffset: Z[place.mark],
      keyboard: false,
      title: "",
    })
      .bindTooltip(textNode(place.title), { className: "map-tooltip", direction: "top" })
      .addTo(map);
  }

  function line(map, points, mark, style) {
    if (points.length < 2) return null;
    style.className = "map-mark mark-" + mark;
    style.interactive = false;
    return L.polyline(points, style).addTo(map);
  }

  // Leaflet's scale bar with the page's words for metres and kilometres.
  function scale(units) {
    var Scale = L.Control.Scale.extend({
      _updateMetric: function (maxMeters) {
        var metres = this._getRoundNum(maxMeters);
        var text = metres < 1000 ? metres + " " + units.m : metres / 1000 + " " + units.km;
        this._updateScale(this._mScale, text, metres / maxMeters);
      },
    });
    return new Scale({ imperial: false, position: "bottomleft" });
  }

  function north(text) {
    var North = L.Control.extend({
      onAdd: function () {
        var box = L.DomUtil.create("div", "map-north");
        box.textContent = text + " ↑";
        return box;
      },
    });
    return new North({ position: "topright" });
  }

  function draw(holder, data) {
    var box = holder.querySelector(".leaflet-box");
    box.hidden = false;
    var map = L.map(box, { scrollWheelZoom: false, zoomSnap: 0.25, attributionControl: !!data.tileUrl });
    if (data.tileUrl) {
      L.tileLayer(data.tileUrl, { maxZoom: 19 }).addTo(map);
    }
    line(map, data.plannedPath, "planned", { color: "#6b7785", weight: 2, dashArray: "6 5" });
    line(map, data.actualPath, "actual", { color: ACCENT, weight: 2.5 });
    data.checkIns.forEach(function (checkIn) {
      if (checkIn.customer) {
        line(map, [checkIn.at, checkIn.customer], "offset", { color: "#334e68", weight: 1.2, dashArray: "2 3" });
      }
    });
    data.customers.forEach(function (customer) { marker(map, customer, customer.label); });
    data.checkOuts.forEach(function (checkOut) { marker(map, checkOut, ""); });
    data.checkIns.forEach(function (checkIn) { marker(map, checkIn, checkIn.label); });
    scale(data.units).addTo(map);
    north(data.north).addTo(map);

    var places = []
      .concat(data.customers, data.checkIns, data.checkOuts)
      .map(function (place) { return place.at; });
    var bounds = L.latLngBounds(places);
    function fit() {
      map.invalidateSize();
      // Zoom 16 at most (about 1 km across), so one customer and its check-in do not fill the whole map.
      map.fitBounds(bounds, { maxZoom: 16, padding: [28, 28] });
    }
    fit();
    holder.classList.add("drawn");
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) return;
      pending = window.requestAnimationFrame(function () {
        pending = null;
        map.invalidateSize();
      });
    });
    return map;
  }

  function start() {
    var holder = document.querySelector(".day-map");
    var source = document.getElementById("day-map-data");
    if (!holder || !source || !window.L) return; // no map today, or the library did not load: the SVG stays
    var data = JSON.parse(source.textContent);
    if (!data.customers.length && !data.checkIns.length && !data.checkOuts.length) return;
    draw(holder, data);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
