// warrantydesk: keyboard shortcuts and live refresh. Every page works
// without this file; it only adds speed. No inline script anywhere (CSP
// script-src 'self'), so everything hooks in from here.
//
// Keys (never while typing in a field; ? lists them, so does /help):
//   j / k      move the selection down / up in a list; Enter opens it
//   /          focus the search box
//   r n a s    on a ticket: reply, note, assignee, status
//   g + key    go to a view; the targets are the links in the help overlay
//              (a[data-goto]), rendered from handlers/live.go
//   ?          show the shortcuts; Esc closes
//
// Live refresh: a page with <body data-live-since> asks
// /api/ui/changes?since= every data-live-interval ms. When tickets changed
// it reloads itself, unless the agent has typed something: then it shows
// "N new or updated tickets — show" instead, so nothing typed is lost.
(function () {
  "use strict";

  // typing reports whether el takes text or choices from the keyboard.
  function typing(el) {
    if (!el || !el.tagName) return false;
    if (el.isContentEditable) return true;
    var tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    var type = (el.getAttribute("type") || "text").toLowerCase();
    return ["button", "submit", "reset", "checkbox", "radio", "hidden", "image"].indexOf(type) < 0;
  }

  // ---- list selection -------------------------------------------------
  var selected = -1;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr[data-href]"));
  }

  function select(i) {
    var list = rows();
    if (list.length === 0) return false;
    i = Math.max(0, Math.min(list.length - 1, i));
    list.forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-selected"); });
    var row = list[i];
    row.classList.add("selected");
    row.setAttribute("aria-selected", "true");
    var link = row.querySelector("a[href]");
    if (link) link.focus();
    selected = i;
    return true;
  }

  function openSelected() {
    var list = rows();
    if (selected < 0 || selected >= list.length) return false;
    var href = list[selected].getAttribute("data-href");
    if (!href) return false;
    window.location.href = href;
    return true;
  }

  // ---- focusing fields on a ticket -----------------------------------
  // Each key names a data-shortcut value and the ids the ticket page uses.
  var fields = {
    "/": ["search", "q"],
    r: ["reply", "reply-text"],
    n: ["note", "note-text"],
    a: ["assignee", "agent"],
    s: ["status", "status"]
  };

  function focusField(key) {
    var names = fields[key];
    if (!names) return false;
    var el = document.querySelector('[data-shortcut="' + names[0] + '"]') || document.getElementById(names[1]);
    if (!el || el.disabled) return false;
    // A field inside a closed <details> is opened first.
    for (var p = el.parentElement; p; p = p.parentElement) {
      if (p.tagName === "DETAILS" && !p.open) p.open = true;
    }
    el.focus();
    if (el.select && el.tagName === "INPUT") el.select();
    if (el.scrollIntoView) el.scrollIntoView({ block: "center" });
    return true;
  }

  // ---- help overlay ---------------------------------------------------
  function helpDialog() { return document.getElementById("shortcut-help"); }

  function showHelp() {
    var d = helpDialog();
    if (!d) { window.location.href = "/help"; return; }
    if (d.open) return;
    if (typeof d.showModal === "function") d.showModal(); else d.setAttribute("open", "");
  }

  // ---- g shortcuts ----------------------------------------------------
  var gPending = false;
  var gTimer = null;

  function goTo(key) {
    var link = document.querySelector('#shortcut-help a[data-goto="' + key + '"]');
    if (!link) return false;
    window.location.href = link.getAttribute("href");
    return true;
  }

  // swallow is the key whose keypress must not reach the field a shortcut
  // just focused (else "a" would pick the first agent starting with "a",
  // and "r" would type an "r" into the reply).
  var swallow = null;
  document.addEventListener("keypress", function (ev) {
    if (swallow !== null && ev.key === swallow) ev.preventDefault();
    swallow = null;
  }, true);
  document.addEventListener("keyup", function () { swallow = null; }, true);

  document.addEventListener("keydown", function (ev) {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "Escape" && typing(ev.target)) {
      ev.target.blur();
      return;
    }
    if (typing(ev.target)) return;
    var d = helpDialog();
    if (d && d.open) return; // the dialog handles its own keys (Esc closes it)

    if (gPending) {
      gPending = false;
      clearTimeout(gTimer);
      if (goTo(ev.key)) ev.preventDefault();
      return;
    }
    var handled = false;
    switch (ev.key) {
      case "j": handled = select(selected + 1); break;
      case "k": handled = select(selected < 0 ? 0 : selected - 1); break;
      case "Enter":
        // A focused link or button does its own thing on Enter.
        if (ev.target && ev.target.closest && ev.target.closest("a[href], button")) return;
        handled = openSelected();
        break;
      case "?": showHelp(); handled = true; break;
      case "g":
        gPending = true;
        gTimer = setTimeout(function () { gPending = false; }, 1500);
        handled = true;
        break;
      default:
        handled = focusField(ev.key);
    }
    if (handled) {
      ev.preventDefault();
      swallow = ev.key;
    }
  });

  // ---- live refresh ---------------------------------------------------
  // fieldState is what a form control holds: its value, or which options
  // or boxes are chosen.
  function fieldState(el) {
    if (el.tagName === "SELECT") {
      var chosen = [];
      for (var j = 0; j < el.options.length; j++) chosen.push(el.options[j].selected ? 1 : 0);
      return chosen.join("");
    }
    if (el.type === "checkbox" || el.type === "radio") return el.checked ? "1" : "0";
    return el.value;
  }

  // initial holds every control's state when the page was loaded.
  var initial = [];
  function remember() {
    var els = document.querySelectorAll("input, textarea, select");
    for (var i = 0; i < els.length; i++) {
      if (els[i].type !== "hidden") initial.push([els[i], fieldState(els[i])]);
    }
  }

  // dirty reports whether the agent has typed or chosen something not yet
  // sent, or is typing right now.
  function dirty() {
    if (typing(document.activeElement)) return true;
    for (var i = 0; i < initial.length; i++) {
      if (fieldState(initial[i][0]) !== initial[i][1]) return true;
    }
    return false;
  }

  function startLive() {
    var body = document.body;
    var since = body.getAttribute("data-live-since");
    if (!since || !window.fetch) return;
    remember();
    var interval = parseInt(body.getAttribute("data-live-interval"), 10) || 10000;
    var banner = document.getElementById("live-banner");
    var changed = 0;

    function show(n) {
      if (!banner) return;
      var text = n === 1 ? banner.getAttribute("data-text-one") : banner.getAttribute("data-text-many").replace("%d", n);
      banner.querySelector(".live-text").textContent = text;
      banner.hidden = false;
    }

    function check() {
      if (document.hidden) return;
      fetch("/api/ui/changes?since=" + encodeURIComponent(since), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      }).then(function (res) {
        return res.ok ? res.json() : null;
      }).then(function (data) {
        if (!data || !data.changed) return;
        changed = data.changed;
        if (dirty()) {
          show(changed);
        } else {
          window.location.reload();
        }
      }).catch(function () { /* offline or logged out: try again later */ });
    }

    setInterval(check, interval);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) check(); });
    // Once the agent has sent or cleared what was typed, a waiting change
    // can be shown at once.
    document.addEventListener("focusout", function () {
      setTimeout(function () { if (changed && !dirty()) window.location.reload(); }, 0);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startLive);
  } else {
    startLive();
  }
})();
