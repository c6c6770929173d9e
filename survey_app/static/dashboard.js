// Draws every server-built Plotly figure on the page; the figures arrive as inert JSON blocks.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-figure]").forEach(function (el) {
    var spec = JSON.parse(document.getElementById(el.dataset.figure).textContent);
    Plotly.newPlot(el, spec.data, spec.layout, {responsive: true, displayModeBar: false});
  });
});
