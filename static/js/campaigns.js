/* Campaign pages are static and may be read long after the build: correct the status badge,
   the countdown and the site-wide banner from the reader's clock. Without JS, the build-time
   status shows. */
(function () {
  "use strict";
  var DAY = 86400000;
  var now = Date.now();
  function status(el) {
    var start = Date.parse(el.getAttribute("data-campaign-start"));
    var end = Date.parse(el.getAttribute("data-campaign-end"));
    return now < start ? "upcoming" : now < end ? "active" : "ended";
  }
  function localDay(ms) {
    var d = new Date(ms);
    return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate());
  }
  document.querySelectorAll(".campaign-status[data-campaign-start]").forEach(function (el) {
    var s = status(el);
    if (el.getAttribute("data-status") !== s) {
      el.setAttribute("data-status", s);
      el.textContent = el.getAttribute("data-label-" + s);
    }
  });
  document.querySelectorAll("[data-countdown]").forEach(function (el) {
    var s = status(el);
    var today = localDay(now);
    var text = "";
    if (s === "active") {
      var last = localDay(Date.parse(el.getAttribute("data-campaign-end")) - 1);
      var left = Math.round((last - today) / DAY);
      text = left === 0 ? el.getAttribute("data-label-last-day")
        : el.getAttribute("data-label-days-left").replace("{n}", left);
    } else if (s === "upcoming") {
      var first = localDay(Date.parse(el.getAttribute("data-campaign-start")));
      text = el.getAttribute("data-label-days-to-start")
        .replace("{n}", Math.round((first - today) / DAY));
    }
    el.textContent = text;
  });
  document.querySelectorAll(".campaign-banner[data-campaign-end]").forEach(function (el) {
    if (now >= Date.parse(el.getAttribute("data-campaign-end"))) {
      el.hidden = true;
    }
  });
}());
