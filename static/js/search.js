/* The search page: queries the static Pagefind index in the reader's browser.
   Pagefind already ignores tone and vowel marks ("cai cach" finds "cải cách"). "đ" is a letter
   of its own, so each typed "d" is also tried as "đ" ("dong thi dua" finds "động thi đua"),
   and the results of those variants are merged by score.
   The index is split into shards of consecutive years (or months of a large year), newest
   first (the newest also holds campaigns and pages): a search covers the recent years first,
   so readers on slow links fetch little, and a button adds the older years. */
(function () {
  "use strict";
  var form = document.querySelector("[data-search-form]");
  if (!form) { return; }
  var input = form.querySelector("input[name=q]");
  var filters = form.querySelector("[data-search-filters]");
  var status = document.querySelector("[data-search-status]");
  var list = document.querySelector("[data-search-results]");
  var more = document.querySelector("[data-search-more]");
  var older = document.querySelector("[data-search-older]");
  var PAGE = 10;
  var MAX_VARIANTS = 8;
  var FIRST_PAGES = Number(form.getAttribute("data-first-pages")) || 1000;
  var shards = form.getAttribute("data-shards").split(" ").filter(Boolean);
  var sizes = form.getAttribute("data-shard-pages").split(" ").map(Number);
  var root = form.getAttribute("data-bundle-root");
  var base = form.getAttribute("data-base-path") || "/";
  var merged = 0;
  var pagefind = null;
  var found = [];
  var shown = 0;
  var generation = 0;

  function label(name, values) {
    var text = form.getAttribute("data-label-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("{" + key + "}").join(values[key]);
    });
    return text;
  }

  /* How many shards to search: from `from` on, until FIRST_PAGES pages (at least one). */
  function nextCount(from) {
    var to = from;
    var pages = 0;
    while (to < shards.length && (to === from || pages < FIRST_PAGES)) {
      pages += sizes[to];
      to++;
    }
    return to;
  }

  function mergeUpTo(count) {
    var chain = Promise.resolve();
    shards.slice(merged, count).forEach(function (shard) {
      chain = chain.then(function () {
        return pagefind.mergeIndex(root + shard + "/", { baseUrl: base });
      });
    });
    return chain.then(function () { merged = Math.max(merged, count); showOlder(); });
  }

  function showOlder() {
    var rest = shards.slice(merged);
    older.hidden = rest.length === 0 || !input.value.trim();
    if (rest.length) {
      /* Shards are named after their first and last year ("2019-2022") or month
         ("2023.01-2023.02", a year split for size): the button names the years. */
      var first = rest[rest.length - 1].split("-")[0].split(".")[0];
      var last = rest[0].split("-").pop().split(".")[0];
      var span = first === last ? first : first + "–" + last;
      older.textContent = older.getAttribute("data-label").split("{years}").join(span);
    }
  }

  function load() {
    if (pagefind) { return Promise.resolve(pagefind); }
    if (!shards.length) { return Promise.reject(new Error("no index")); }
    return import(root + shards[0] + "/pagefind.js").then(function (module) {
      pagefind = module;
      merged = 1;
      return pagefind.options({ baseUrl: base, bundlePath: root + shards[0] + "/" });
    }).then(function () { return mergeUpTo(nextCount(0)); }).then(function () { return pagefind; });
  }

  /* "dong" → ["dong", "đong"]; words with one or two d's also get each single swap. */
  function wordVariants(word) {
    var positions = [];
    for (var i = 0; i < word.length; i++) { if (word[i] === "d") { positions.push(i); } }
    var out = [word];
    if (positions.length) {
      out.push(word.replace(/d/g, "đ"));
      if (positions.length === 2) {
        positions.forEach(function (p) { out.push(word.slice(0, p) + "đ" + word.slice(p + 1)); });
      }
    }
    return out.filter(function (w, index) { return out.indexOf(w) === index; });
  }

  function queryVariants(query) {
    var words = query.normalize("NFC").toLowerCase().split(/\s+/).filter(Boolean);
    var combos = [[]];
    words.forEach(function (word) {
      var next = [];
      wordVariants(word).forEach(function (variant) {
        combos.forEach(function (combo) {
          if (next.length < MAX_VARIANTS) { next.push(combo.concat([variant])); }
        });
      });
      combos = next;
    });
    return combos.map(function (combo) { return combo.join(" "); });
  }

  function selectedFilters() {
    var chosen = {};
    var kind = form.querySelector("input[name=kind]:checked");
    var category = form.querySelector("select[name=category]");
    if (kind && kind.value) { chosen.kind = kind.value; }
    if (category && category.value) { chosen.category = category.value; }
    return chosen;
  }

  function render(result) {
    var item = document.createElement("li");
    item.className = "search-result";
    var heading = document.createElement("h2");
    heading.className = "result-title";
    var link = document.createElement("a");
    link.href = result.url;
    link.textContent = (result.meta && result.meta.title) || result.url;
    heading.appendChild(link);
    item.appendChild(heading);
    var meta = [];
    if (result.meta && result.meta.date) { meta.push(result.meta.date); }
    if (result.filters && result.filters.kind) { meta.push(result.filters.kind.join(", ")); }
    if (meta.length) {
      var line = document.createElement("p");
      line.className = "result-meta";
      line.textContent = meta.join(" · ");
      item.appendChild(line);
    }
    var excerpt = document.createElement("p");
    excerpt.className = "result-excerpt";
    excerpt.innerHTML = result.excerpt; /* Pagefind escapes the text; only <mark> is markup */
    item.appendChild(excerpt);
    return item;
  }

  function showMore() {
    var batch = found.slice(shown, shown + PAGE);
    shown += batch.length;
    more.hidden = shown >= found.length;
    return Promise.all(batch.map(function (r) { return r.data(); })).then(function (data) {
      data.forEach(function (d) { list.appendChild(render(d)); });
    });
  }

  function search(query) {
    var mine = ++generation;
    list.innerHTML = "";
    list.hidden = true;
    more.hidden = true;
    found = [];
    shown = 0;
    if (!query.trim()) { status.textContent = ""; return Promise.resolve(); }
    status.textContent = label("searching");
    var chosen = selectedFilters();
    return load().then(function (pf) {
      return Promise.all(queryVariants(query).map(function (q) {
        return pf.search(q, { filters: chosen });
      }));
    }).then(function (responses) {
      if (mine !== generation) { return; }
      var best = {};
      responses.forEach(function (response) {
        response.results.forEach(function (r) {
          if (!best[r.id] || best[r.id].score < r.score) { best[r.id] = r; }
        });
      });
      found = Object.keys(best).map(function (id) { return best[id]; })
        .sort(function (a, b) { return b.score - a.score; });
      list.hidden = found.length === 0;
      return showMore().then(function () {
        status.textContent = found.length
          ? label("results", { n: found.length, q: query.trim() })
          : label("none", { q: query.trim() });
      });
    }).catch(function () {
      status.textContent = label("unavailable");
    });
  }

  function remember(query) {
    var params = new URLSearchParams();
    params.set("q", query);
    var chosen = selectedFilters();
    Object.keys(chosen).forEach(function (key) { params.set(key, chosen[key]); });
    history.replaceState(null, "", "?" + params.toString());
  }

  filters.hidden = false;
  var params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  if (params.get("kind")) {
    var radio = form.querySelector("input[name=kind][value=\"" + CSS.escape(params.get("kind")) + "\"]");
    if (radio) { radio.checked = true; }
  }
  var select = form.querySelector("select[name=category]");
  if (select && params.get("category")) { select.value = params.get("category"); }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    remember(input.value);
    search(input.value);
  });
  filters.addEventListener("change", function () {
    if (input.value.trim()) { remember(input.value); search(input.value); }
  });
  more.addEventListener("click", function () { showMore(); });
  older.addEventListener("click", function () {
    mergeUpTo(nextCount(merged)).then(function () { search(input.value); });
  });
  if (input.value.trim()) { search(input.value); }
}());
