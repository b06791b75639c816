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
            { label: "On hand", data: data.on_hand, borderColor: palette[0], backgroundColor: palette[0], stepped: true },
            { label: "Available", data: data.available, borderColor: palette[2], backgroundColor: palette[2], stepped: true }
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
