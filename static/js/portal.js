/* Progressive enhancements: contrast, text size, print, mobile menu. No framework. */
(() => {
  "use strict";
  const root = document.documentElement;
  const $$ = (sel) => Array.from(document.querySelectorAll(sel));
  const save = (key, value) => {
    try {
      if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, value);
    } catch (e) { /* private mode: the choice lasts for this page only */ }
  };
  const osMore = window.matchMedia ? window.matchMedia("(prefers-contrast: more)") : null;

  $$('[data-action="contrast"], [data-text-size-group], [data-action="print"], .menu-toggle')
    .forEach((el) => { el.hidden = false; });

  // Contrast: "high" forces the theme, "normal" opts out of the OS preference, absent follows the OS.
  const isHigh = () => {
    const v = root.getAttribute("data-contrast");
    return v === "high" || (!v && !!osMore && osMore.matches);
  };
  const syncContrast = () => {
    $$('[data-action="contrast"]').forEach((b) => b.setAttribute("aria-pressed", String(isHigh())));
  };
  const toggleContrast = () => {
    if (!isHigh()) {
      root.setAttribute("data-contrast", "high");
      save("portal-contrast", "high");
    } else if (osMore && osMore.matches) {
      root.setAttribute("data-contrast", "normal");
      save("portal-contrast", "normal");
    } else {
      root.removeAttribute("data-contrast");
      save("portal-contrast", null);
    }
    syncContrast();
  };
  if (osMore && osMore.addEventListener) osMore.addEventListener("change", syncContrast);

  // Text size: levels 0..3.
  let level = Math.min(3, Math.max(0, parseInt(root.getAttribute("data-text-size"), 10) || 0));
  const syncSize = () => {
    const ends = { "text-smaller": level === 0, "text-reset": level === 0, "text-larger": level === 3 };
    Object.keys(ends).forEach((action) => {
      $$(`[data-action="${action}"]`).forEach((b) => b.setAttribute("aria-disabled", String(ends[action])));
    });
  };
  const setSize = (n) => {
    level = Math.min(3, Math.max(0, n));
    if (level) root.setAttribute("data-text-size", String(level)); else root.removeAttribute("data-text-size");
    save("portal-text-size", level ? String(level) : null);
    syncSize();
  };

  // Mobile menu.
  const setMenu = (toggle, open) => toggle.setAttribute("aria-expanded", String(open));

  document.addEventListener("click", (ev) => {
    const toggle = ev.target.closest(".menu-toggle");
    if (toggle) {
      setMenu(toggle, toggle.getAttribute("aria-expanded") !== "true");
      return;
    }
    const btn = ev.target.closest("[data-action]");
    if (!btn) return;
    switch (btn.getAttribute("data-action")) {
      case "contrast": toggleContrast(); break;
      case "text-larger": setSize(level + 1); break;
      case "text-smaller": setSize(level - 1); break;
      case "text-reset": setSize(0); break;
      case "print": window.print(); break;
      default: break;
    }
  });

  document.addEventListener("keydown", (ev) => {
    if (ev.key !== "Escape") return;
    $$('.menu-toggle[aria-expanded="true"]').forEach((toggle) => {
      setMenu(toggle, false);
      toggle.focus();
    });
  });

  syncContrast();
  syncSize();
})();
