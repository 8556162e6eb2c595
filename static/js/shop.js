// The shop's few behaviours: choosing seats on the map, the hold's countdown, and checking again
// for a payment being confirmed. The pages work without it (the "best seats" form needs none).
(function () {
  "use strict";
  var map = document.querySelector(".shop-map");
  if (map) {
    var limit = parseInt(map.getAttribute("data-limit"), 10) || 10;
    var field = document.getElementById("seat_ids"), said = document.getElementById("chosen");
    var button = document.getElementById("hold-chosen");
    var chosen = [];
    var render = function () {
      field.value = chosen.map(function (c) { return c.id; }).join(",");
      button.disabled = chosen.length === 0;
      var template = document.getElementById("chosen-text").innerHTML;
      said.textContent = chosen.length ? template.replace("{list}", chosen.map(function (c) { return c.label; }).join(", "))
        : said.getAttribute("data-empty") || said.textContent;
    };
    said.setAttribute("data-empty", said.textContent);
    // seats this buyer was just refused: taken, whatever the (possibly older) map says
    (map.getAttribute("data-taken") || "").split(",").forEach(function (id) {
      var seat = id && map.querySelector('.seat[data-id="' + id + '"]');
      if (seat) { seat.classList.remove("a"); seat.classList.add("s"); }
    });
    map.addEventListener("click", function (event) {
      var seat = event.target.closest ? event.target.closest(".seat") : null;
      if (!seat || !seat.classList.contains("a")) { return; }
      var id = seat.getAttribute("data-id");
      var at = chosen.findIndex(function (c) { return c.id === id; });
      if (at >= 0) {
        chosen.splice(at, 1);
        seat.classList.remove("sel");
      } else if (chosen.length >= limit) {
        said.textContent = document.getElementById("limit-text").innerHTML;
        return;
      } else {
        chosen.push({id: id, label: seat.getAttribute("data-t")});
        seat.classList.add("sel");
      }
      render();
    });
  }
  var countdown = document.querySelector(".countdown[data-expires]");
  if (countdown) {
    var ends = parseInt(countdown.getAttribute("data-expires"), 10), left = countdown.querySelector(".left");
    var tick = function () {
      var ms = ends - Date.now();
      if (ms <= 0) {
        countdown.textContent = document.getElementById("expired-text").innerHTML;
        countdown.classList.add("error");
        document.querySelectorAll("button.pay").forEach(function (b) { b.disabled = true; });
        return;
      }
      var s = Math.floor(ms / 1000), text = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
      left.textContent = document.getElementById("left-text").innerHTML.replace("{time}", text);
      setTimeout(tick, 1000 - (ms % 1000));
    };
    tick();
  }
  document.querySelectorAll("[data-reload-after]").forEach(function (link) {
    setTimeout(function () { window.location.href = link.href; }, 1000 * parseInt(link.getAttribute("data-reload-after"), 10));
  });
}());
