/* Draw every <canvas data-chart="bar|line|stock" data-source="<json_script id>"> with Chart.js. */
(function () {
  "use strict";
  var palette = ["#1f4f8f", "#d9822b", "#1d6b3a", "#9b1c1c", "#6b4fa0", "#2b8a9b"];

  function draw(canvas) {
    if (typeof window.Chart === "undefined") { return; }
    var source = document.getElementById(canvas.getAttribute("data-source"));
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var kind = canvas.getAttribute("data-chart");
    var config;
    if (kind === "stock") {
      config = {
        type: "line",
        data: {
          labels: data.labels,
          datasets: [
            // Available is drawn last (on top), dashed, over a wider On hand line: both stay visible
            // when they are equal. Days before the item existed are null: no line, not a 0.
            { label: "On hand", data: data.on_hand, borderColor: palette[0], backgroundColor: palette[0], stepped: true, borderWidth: 5, pointRadius: 5, spanGaps: false, order: 2 },
            { label: "Available", data: data.available, borderColor: palette[1], backgroundColor: palette[1], stepped: true, borderWidth: 2, borderDash: [6, 4], pointRadius: 3, spanGaps: false, order: 1 }
          ]
        }
      };
    } else {
      config = {
        type: kind === "line" ? "line" : "bar",
        data: {
          labels: data.labels,
          datasets: data.datasets.map(function (set, index) {
            var colour = palette[index % palette.length];
            return { label: set.label, data: set.data, backgroundColor: colour, borderColor: colour };
          })
        }
      };
      if (kind === "line" && data.unit) {
        config.options = { scales: { y: { beginAtZero: true, title: { display: true, text: data.unit } } } };
      }
      if (kind === "bar") {
        config.options = { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } };
      }
    }
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    if (!config.options.scales) { config.options.scales = { y: { beginAtZero: true, ticks: { precision: 0 } } }; }
    new window.Chart(canvas, config);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
