// Shared by the Inside a CNN and Draw pages: the model source selector, the test-image picker,
// and drawing 28x28 images and quantised feature maps (integers 0..255 with the layer's lo/hi).
"use strict";

const Digits = (() => {
  const el = (id) => document.getElementById(id);
  const fmt = (v, digits = 3) => (v === null || v === undefined) ? "-" : Number(v).toFixed(digits);

  // Fill <select id=selectId> with the model sources; returns the chosen name (or null).
  async function sources(selectId) {
    const { sources } = await Studio.get("/api/sources");
    const select = el(selectId);
    select.innerHTML = sources.map((s) =>
      `<option value="${s.name}">${s.name}${s.description ? " - " + s.description : ""}</option>`).join("");
    const live = sources.find((s) => s.kind === "live");
    if (live) select.value = live.name;
    return sources.length ? select.value : null;
  }

  // An image of grey levels 0..255 (row-major) drawn as ink on paper.
  function image(canvas, pixels, rows = 28, cols = 28) {
    Studio.heatmap(canvas, pixels, rows, cols, { min: 0, max: 255 });
  }

  // Codes 0..255 of a map whose values span [lo, hi]: diverging colours around 0 when the values
  // have both signs (blue < 0 < red), sequential otherwise.
  function map(canvas, codes, rows, cols, lo, hi) {
    if (lo < 0 && hi > 0) {
      const values = codes.map((c) => lo + (c / 255) * (hi - lo));
      const m = Math.max(-lo, hi);
      Studio.heatmap(canvas, values, rows, cols, { colour: Studio.diverging, min: -m, max: m });
    } else {
      Studio.heatmap(canvas, codes, rows, cols, { min: 0, max: 255 });
    }
  }

  // A labelled canvas: <figure><canvas><figcaption>.
  function figure(parent, width, height, caption, title) {
    const fig = document.createElement("figure");
    fig.className = "map";
    const canvas = document.createElement("canvas");
    canvas.width = width; canvas.height = height;
    canvas.className = "pixelated";
    if (title) canvas.title = title;
    const cap = document.createElement("figcaption");
    cap.textContent = caption;
    fig.append(canvas, cap);
    parent.appendChild(fig);
    return canvas;
  }

  function query(params) {
    return Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== "")
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
  }

  return { el, fmt, sources, image, map, figure, query };
})();
