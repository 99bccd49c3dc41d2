/* Album lightbox: an enhancement over thumbnails that already link to the full images.
   A native <dialog>: Esc closes it, arrow keys and buttons move, focus goes back to the
   thumbnail that opened it. Nothing moves on its own. */
(() => {
  "use strict";
  document.querySelectorAll("[data-lightbox]").forEach((grid) => {
    const links = Array.from(grid.querySelectorAll("a[data-large]"));
    if (!links.length || typeof HTMLDialogElement !== "function") return;
    const labels = grid.dataset;
    const dialog = document.createElement("dialog");
    dialog.className = "lightbox";
    dialog.setAttribute("aria-label", labels.labelDialog);
    const figure = document.createElement("figure");
    const image = document.createElement("img");
    const caption = document.createElement("figcaption");
    const status = document.createElement("p");
    status.className = "lightbox-status";
    status.setAttribute("aria-live", "polite");
    figure.append(image, caption);
    const button = (cls, label, text) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `lightbox-button ${cls}`;
      b.setAttribute("aria-label", label);
      b.textContent = text;
      return b;
    };
    const previous = button("lightbox-previous", labels.labelPrevious, "‹");
    const next = button("lightbox-next", labels.labelNext, "›");
    const close = button("lightbox-close", labels.labelClose, "×");
    const controls = document.createElement("div");
    controls.className = "lightbox-controls";
    controls.append(previous, status, next, close);
    dialog.append(figure, controls);
    document.body.append(dialog);

    let current = 0;
    let opener = null;
    const show = (index) => {
      current = (index + links.length) % links.length;
      const link = links[current];
      const thumb = link.querySelector("img");
      const text = link.parentElement.querySelector("figcaption");
      image.src = link.dataset.large;
      image.alt = thumb ? thumb.alt : "";
      if (thumb) {  // the photo's own size, so the dialog does not jump while it loads
        image.setAttribute("width", thumb.getAttribute("width"));
        image.setAttribute("height", thumb.getAttribute("height"));
      }
      caption.textContent = text ? text.textContent : "";
      caption.hidden = !text;
      status.textContent = `${current + 1} / ${links.length}`;
    };
    links.forEach((link, index) => {
      link.addEventListener("click", (event) => {
        if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
        event.preventDefault();
        opener = link;
        show(index);
        dialog.showModal();
        close.focus();
      });
    });
    previous.addEventListener("click", () => show(current - 1));
    next.addEventListener("click", () => show(current + 1));
    close.addEventListener("click", () => dialog.close());
    dialog.addEventListener("keydown", (event) => {
      if (event.key === "ArrowLeft") { show(current - 1); event.preventDefault(); }
      if (event.key === "ArrowRight") { show(current + 1); event.preventDefault(); }
    });
    dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
    dialog.addEventListener("close", () => {
      // Back to the thumbnail of the photo last shown, so the reader keeps their place.
      const target = links[current] || opener;
      if (target) target.focus();
    });
  });
})();
