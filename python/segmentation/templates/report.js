(function () {
  "use strict";

  // Each chart holds its Vega-Lite specification (JSON); vega-embed, inlined above, draws it.
  function draw(chart) {
    var source = chart.querySelector('script[type="application/json"]');
    var target = document.createElement("div");
    chart.appendChild(target);
    try {
      return window.vegaEmbed(target, JSON.parse(source.textContent), {
        renderer: "svg",
        actions: false,
      }).then(function () { return true; }, function (error) {
        window.reportError("chart " + chart.getAttribute("aria-label") + ": " + String(error));
        return false;
      });
    } catch (error) {
      window.reportError("chart " + chart.getAttribute("aria-label") + ": " + String(error));
      return Promise.resolve(false);
    }
  }

  // A chart counts as rendered when its SVG has drawn marks with a real size on the page.
  function isRendered(chart) {
    var svg = chart.querySelector("svg");
    if (!svg) {
      return false;
    }
    var box = svg.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && svg.querySelectorAll(".role-mark > *").length > 0;
  }

  function finish() {
    var charts = Array.prototype.slice.call(document.querySelectorAll("div.chart"));
    Promise.all(charts.map(draw)).then(function () {
      var rendered = charts.filter(isRendered).length;
      document.body.setAttribute("data-charts-total", String(charts.length));
      document.body.setAttribute("data-charts-rendered", String(rendered));
      // Resources the page fetched (scripts, styles, images, data): none, it is self-contained.
      document.body.setAttribute("data-resource-requests",
        String(performance.getEntriesByType("resource").length));
      document.body.setAttribute("data-script-errors", String(window.reportErrors.length));
      document.body.setAttribute("data-report-status",
        rendered === charts.length && window.reportErrors.length === 0 ? "rendered" : "incomplete");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", finish);
  } else {
    finish();
  }
})();
