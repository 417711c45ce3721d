(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";
  var status = document.getElementById("status");
  var help = document.getElementById("help");
  var current = -1;

  function say(text) {
    if (status) { status.textContent = text; }
  }

  function entries() {
    return Array.prototype.slice.call(document.querySelectorAll("article.entry"));
  }

  function focusEntry(index) {
    var list = entries();
    if (!list.length) { return; }
    index = Math.max(0, Math.min(list.length - 1, index));
    list.forEach(function (el) { el.classList.remove("current"); el.removeAttribute("aria-current"); });
    var el = list[index];
    el.classList.add("current");
    el.setAttribute("aria-current", "true");
    el.scrollIntoView({ block: "nearest" });
    var link = el.querySelector("a.entry-title");
    if (link) { link.focus({ preventScroll: true }); }
    current = index;
  }

  function currentEntry() {
    var list = entries();
    if (current < 0 && list.length === 1) { current = 0; }
    return list[current] || null;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": token },
      body: body
    }).then(function (response) {
      if (!response.ok) { throw new Error("The server answered " + response.status + "."); }
      return response.json();
    });
  }

  function update(article, state) {
    if (!article) { return; }
    article.setAttribute("data-read", state.read ? "1" : "0");
    article.setAttribute("data-starred", state.starred ? "1" : "0");
    var read = article.querySelector("button.toggle-read");
    if (read) {
      read.textContent = state.read ? "Mark unread" : "Mark read";
      var field = read.form && read.form.querySelector('input[name="read"]');
      if (field) { field.value = state.read ? "0" : "1"; }
    }
    var star = article.querySelector("button.star");
    if (star) {
      star.textContent = state.starred ? "Unstar" : "Star";
      star.setAttribute("aria-pressed", state.starred ? "true" : "false");
      var field2 = star.form && star.form.querySelector('input[name="starred"]');
      if (field2) { field2.value = state.starred ? "0" : "1"; }
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("js-flag")) { return; }
    event.preventDefault();
    var article = form.closest("article.entry");
    post(form.action, new URLSearchParams(new FormData(form))).then(function (state) {
      update(article, state);
      var isStar = /\/star$/.test(form.action);
      say(isStar ? (state.starred ? "Starred." : "Star removed.") :
        (state.read ? "Marked as read." : "Marked as unread."));
    }).catch(function (error) { say(error.message); });
  });

  function refresh() {
    var body = new URLSearchParams();
    body.set("csrf", token);
    say("Asking the server to fetch your feeds…");
    post("/refresh", body).then(function (answer) {
      say(answer.message || "Fetching your feeds now.");
    }).catch(function (error) { say(error.message); });
  }

  function showHelp(show) {
    if (!help) { return; }
    help.hidden = !show;
    if (show) {
      var close = help.querySelector("button");
      if (close) { close.focus(); }
    }
  }

  if (help) {
    help.addEventListener("click", function (event) {
      if (event.target === help || (event.target.closest && event.target.closest("button.close-help"))) {
        showHelp(false);
      }
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && help && !help.hidden) {
      event.preventDefault();
      showHelp(false);
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select" || (target && target.isContentEditable)) { return; }
    var article;
    switch (event.key) {
      case "j":
        focusEntry(current + 1);
        break;
      case "k":
        focusEntry(current < 0 ? 0 : current - 1);
        break;
      case "o":
      case "Enter":
        article = currentEntry();
        if (!article) { return; }
        if (event.key === "Enter" && tag === "a") { return; }
        var link = article.querySelector("a.entry-title");
        if (link) { window.location.href = link.href; }
        break;
      case "m":
        article = currentEntry();
        var read = article && article.querySelector("button.toggle-read");
        if (read) { read.click(); }
        break;
      case "s":
        article = currentEntry();
        var star = article && article.querySelector("button.star");
        if (star) { star.click(); }
        break;
      case "r":
        refresh();
        break;
      case "/":
        var q = document.getElementById("q");
        if (q) { q.focus(); q.select(); }
        break;
      case "?":
        showHelp(help && help.hidden);
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  document.documentElement.classList.add("js");
})();
