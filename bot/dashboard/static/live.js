// Live updates of a deployment page. The element marked data-live names
// its event stream; when the server says the deployment moved, the page
// is fetched again and that element's content swapped. Without
// JavaScript (or EventSource) nothing happens: the page is a plain page.
(function () {
  "use strict";
  var live = document.querySelector("[data-live]");
  if (!live || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var source = new EventSource(live.getAttribute("data-live"));
  var pending = null;
  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById(live.id);
        if (!next) { return; }
        // Keep what the viewer is typing: a reason being written is not lost.
        var typing = document.activeElement && live.contains(document.activeElement) && document.activeElement.tagName === "TEXTAREA";
        if (typing) { return; }
        live.innerHTML = next.innerHTML;
        live.setAttribute("data-revision", next.getAttribute("data-revision"));
      })
      .catch(function () { /* the next event tries again */ });
  }
  source.addEventListener("revision", function (e) {
    if (live.getAttribute("data-revision") === e.data) { return; }
    clearTimeout(pending);
    pending = setTimeout(refresh, 100);
  });
  source.addEventListener("done", function () { source.close(); });
})();
