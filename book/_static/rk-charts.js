// reportkit: charts on a narrow screen (a phone). Every chart is drawn by vegaEmbed(el, spec,
// options) from the very spec print uses; the site spec fills its container's width. Below
// about 600 px that squeezed the bars behind 260 px of labels and cut the legend. Here, before
// a chart is drawn in a narrow container: axis labels may take at most 40 % of the width,
// legends go under the plot, and a grid with labels in its cells (a year-by-district heat map)
// that would be drawn at under 60 % of its print width keeps that width and scrolls sideways.
(function () {
  const embed = window.vegaEmbed;
  if (typeof embed !== "function") return;
  const NARROW = 600;

  function capLabels(node, limit) {
    if (Array.isArray(node)) { node.forEach((n) => capLabels(n, limit)); return; }
    if (!node || typeof node !== "object") return;
    if (node.axis && typeof node.axis === "object" && (node.axis.labelLimit || 0) > limit) node.axis.labelLimit = limit;
    Object.keys(node).forEach((k) => { if (k !== "data" && k !== "datasets") capLabels(node[k], limit); });
  }

  // labels written in the cells of a grid (a heat map): squeezed, they run into each other
  function cellLabels(node) {
    if (Array.isArray(node)) return node.some(cellLabels);
    if (!node || typeof node !== "object") return false;
    const mark = typeof node.mark === "string" ? node.mark : node.mark && node.mark.type;
    const x = node.encoding && node.encoding.x;
    if (mark === "text" && x && (x.type === "ordinal" || x.type === "nominal")) return true;
    return ["layer", "hconcat", "vconcat", "concat", "spec"].some((k) => cellLabels(node[k]));
  }

  function narrow(el, spec) {
    const width = el.clientWidth;
    if (!width || width >= NARROW) return spec;
    const s = JSON.parse(JSON.stringify(spec));
    const limit = Math.round(width * 0.4);
    capLabels(s, limit);
    s.config = Object.assign({}, s.config);
    s.config.axisY = Object.assign({}, s.config.axisY, { labelLimit: limit });
    s.config.legend = Object.assign({}, s.config.legend, { orient: "bottom", direction: "horizontal", columns: 2 });
    const print = s.usermeta && s.usermeta.rkWidth;
    if (print && cellLabels(s) && width - limit - 40 < 0.6 * print) {
      s.width = print;                       // its print width, inside a box that scrolls
      s.autosize = { type: "pad" };
      el.classList.add("rk-vis-scroll");
    }
    return s;
  }

  window.vegaEmbed = function (el, spec, options) {
    return embed(el, narrow(el, spec), options);
  };
  Object.keys(embed).forEach((k) => { window.vegaEmbed[k] = embed[k]; });
})();
