/* Runs in <head> before first paint: js class, saved contrast and text size. */
(function (e) {
  e.classList.remove("no-js");
  e.classList.add("js");
  try {
    var c = localStorage.getItem("portal-contrast"), t = localStorage.getItem("portal-text-size");
    if (c === "high" || c === "normal") e.setAttribute("data-contrast", c);
    if (t === "1" || t === "2" || t === "3") e.setAttribute("data-text-size", t);
  } catch (x) { /* storage unavailable (private mode): defaults */ }
})(document.documentElement);
