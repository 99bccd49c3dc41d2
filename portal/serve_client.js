// Live preview client, injected by `serve` into every page (never into a built site).
// It loads livereload's client (which reloads the page after each rebuild) and, when the last
// rebuild failed, lays an overlay over the last good page listing every "path:line: message".
(function () {
  "use strict";
  var live = document.createElement("script");
  live.src = "/livereload.js?port=" + (window.location.port || (window.location.protocol === "https:" ? 443 : 80));
  document.head.appendChild(live);

  function showErrors(errors) {
    var overlay = document.createElement("div");
    overlay.id = "portal-build-errors";
    overlay.setAttribute("role", "alert");
    var s = overlay.style;
    s.position = "fixed"; s.inset = "0"; s.zIndex = "2147483647"; s.overflow = "auto";
    s.background = "rgba(20, 0, 0, 0.94)"; s.color = "#fff"; s.padding = "2rem";
    s.font = "16px/1.5 monospace";
    var title = document.createElement("h2");
    title.textContent = "Lỗi khi dựng trang (build failed): sửa các lỗi dưới đây rồi lưu lại tệp";
    title.style.color = "#ffd2d2"; title.style.marginTop = "0";
    overlay.appendChild(title);
    var list = document.createElement("ul");
    errors.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      item.style.marginBottom = "0.5rem";
      list.appendChild(item);
    });
    overlay.appendChild(list);
    var note = document.createElement("p");
    note.textContent = "Trang phía sau là bản dựng đúng gần nhất. Lớp này tự biến mất khi lỗi được sửa.";
    overlay.appendChild(note);
    document.body.appendChild(overlay);
  }

  fetch("/__portal__/status.json", { cache: "no-store" })
    .then(function (response) { return response.json(); })
    .then(function (status) {
      if (!status.ok && status.errors.length) {
        if (document.readyState === "loading") {
          document.addEventListener("DOMContentLoaded", function () { showErrors(status.errors); });
        } else {
          showErrors(status.errors);
        }
      }
    });
})();
