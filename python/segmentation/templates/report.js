(function () {
  "use strict";

  // Legend buttons hide and show a segment's shape on the radar chart.
  function wireLegend() {
    var buttons = document.querySelectorAll("#radar-legend .legend-item");
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () {
        var shown = button.getAttribute("aria-pressed") !== "false";
        button.setAttribute("aria-pressed", shown ? "false" : "true");
        var shapes = document.querySelectorAll('svg[data-chart="radar"] .series[data-series="' +
          button.getAttribute("data-series") + '"]');
        Array.prototype.forEach.call(shapes, function (shape) {
          shape.classList.toggle("is-hidden", shown);
        });
      });
    });
  }

  // A chart counts as rendered when its SVG has drawn shapes with a real size on the page.
  function renderedCharts() {
    var charts = document.querySelectorAll("svg.chart");
    var rendered = 0;
    Array.prototype.forEach.call(charts, function (chart) {
      var box = chart.getBoundingClientRect();
      var shapes = chart.querySelectorAll("rect, polygon, line, path, circle");
      if (box.width > 0 && box.height > 0 && shapes.length > 0) {
        rendered += 1;
      }
    });
    return { total: charts.length, rendered: rendered };
  }

  function finish() {
    wireLegend();
    var counts = renderedCharts();
    document.body.setAttribute("data-charts-total", String(counts.total));
    document.body.setAttribute("data-charts-rendered", String(counts.rendered));
    document.body.setAttribute("data-script-errors", String(window.reportErrors.length));
    document.body.setAttribute("data-report-status",
      counts.rendered === counts.total && window.reportErrors.length === 0 ? "rendered" : "incomplete");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", finish);
  } else {
    finish();
  }
})();
