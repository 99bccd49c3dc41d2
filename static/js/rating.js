/* The "Đánh giá bài viết" widget: sends the vote in place, announces the result politely, and
   remembers the reader's own vote. Without JavaScript the form posts and the service answers
   303 back to the article. */
(() => {
  "use strict";
  const form = document.querySelector("form[data-rating-article]");
  if (!form || !window.fetch) return;
  const d = form.dataset;
  const article = d.ratingArticle;
  const key = "portal-rating:" + article;
  const status = form.querySelector(".rating-status");
  const live = form.querySelector("[data-rating-live]");
  const fill = (text, n) => text.replace("{n}", String(n));
  const remembered = () => {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  };
  const remember = (stars) => {
    try { localStorage.setItem(key, String(stars)); } catch (e) { /* private mode */ }
  };
  const show = (score) => {
    live.textContent = score.votes
      ? d.ratingLabel.replace("{score}", score.average.toFixed(1).replace(".", d.ratingDecimal))
          .replace("{votes}", String(score.votes))
      : d.ratingNone;
  };
  const check = (stars) => {
    const input = form.querySelector(`input[name="stars"][value="${stars}"]`);
    if (input) input.checked = true;
  };

  const mine = remembered();
  if (mine && /^[1-5]$/.test(mine)) {
    check(mine);
    status.textContent = fill(d.ratingYours, mine);
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const chosen = form.querySelector('input[name="stars"]:checked');
    const stars = chosen ? parseInt(chosen.value, 10) : NaN;
    if (!(stars >= 1 && stars <= 5)) {
      status.textContent = d.ratingChoose;
      return;
    }
    status.textContent = "";
    fetch(form.action, {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ article, stars }),
    })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((score) => {
        show(score);
        remember(stars);
        form.dataset.ratingState = "sent";
        status.textContent = fill(d.ratingThanks, stars);
      })
      .catch(() => { status.textContent = d.ratingFailed; });
  });
})();
