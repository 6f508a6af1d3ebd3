// Keyboard shortcuts for the ticket list. The pages work without this file.
//   /      focus the search box
//   j / k  move the selection down / up in a list
//   Enter  open the selected row
(function () {
  "use strict";

  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  var selected = -1;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr[data-href]"));
  }

  function select(i) {
    var list = rows();
    if (list.length === 0) return;
    i = Math.max(0, Math.min(list.length - 1, i));
    list.forEach(function (r) { r.classList.remove("selected"); });
    list[i].classList.add("selected");
    var link = list[i].querySelector("a");
    if (link) link.focus();
    selected = i;
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    if (ev.key === "/") {
      var search = document.querySelector("[data-shortcut=search]");
      if (search) {
        ev.preventDefault();
        search.focus();
        search.select();
      }
    } else if (ev.key === "j") {
      select(selected + 1);
    } else if (ev.key === "k") {
      select(selected - 1);
    }
  });
})();
