// What the console's pages did in inline handlers, here so that the Content-Security-Policy
// allows scripts from this site only (no inline script, no eval: htmx's allowEval is off).
(function () {
  "use strict";
  // A button that empties a panel: <button type="button" data-clear="assign-panel">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-clear]");
    if (!button) return;
    var panel = document.getElementById(button.getAttribute("data-clear"));
    if (panel) panel.innerHTML = "";
  });
  // The board refreshes itself every 2 s, but not while someone is choosing in it.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.hasAttribute("data-pause-while-focused")) return;
    if (elt.querySelector("select:focus, input:focus")) event.preventDefault();
  });
})();
