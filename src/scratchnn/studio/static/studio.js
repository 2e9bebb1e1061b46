// The studio's shared page code: the session token, JSON requests, the event stream, the
// navigation bar, line charts (uPlot, vendored) and heatmaps on a canvas. No framework.
"use strict";

const Studio = (() => {
  const meta = document.querySelector('meta[name="studio-token"]');
  const token = meta ? meta.content : "";

  async function request(method, path, body) {
    const options = { method, headers: {} };
    if (method === "POST") {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-Studio-Token"] = token;
      options.body = JSON.stringify(body || {});
    }
    const response = await fetch(path, options);
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || `${method} ${path}: ${response.status}`);
    return data;
  }

  // Every event of the bus, in order, live; reconnects by itself (the browser sends the last id).
  // since: only the events after this id (a page that drew the history first).
  function events(onEvent, since) {
    const source = new EventSource("/api/events" + (since ? `?since=${since}` : ""));
    source.onmessage = (message) => onEvent(JSON.parse(message.data));
    return source;
  }

  async function nav(active) {
    const bar = document.getElementById("nav");
    if (!bar) return;
    const { pages } = await request("GET", "/api/pages");
    bar.innerHTML = '<a class="brand" href="/">scratchnn studio</a>' + pages.map((p) =>
      `<a href="${p.path}" title="${p.description}" class="${p.path === active ? "active" : ""}">${p.title}</a>`).join("");
  }

  function status(text, isError) {
    const el = document.getElementById("status");
    if (!el) return;
    el.textContent = text;
    el.className = isError ? "status error" : "status";
  }

  // A line chart: series = [{label, stroke}], axes labelled with xLabel / yLabel.
  function lineChart(el, { title, xLabel, yLabel, series, height = 260, log = false }) {
    const width = Math.max(320, el.clientWidth || 480);
    const opts = {
      title, width, height,
      scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
      axes: [{ label: xLabel }, log ? { label: yLabel, values: (u, ticks) => ticks.map(
        (v) => v === null ? "" : (v >= 0.01 && v < 1e4 ? String(Number(v.toPrecision(2))) : v.toExponential(0))) }
        : { label: yLabel }],
      series: [{ label: xLabel }].concat(series.map((s) => Object.assign({ width: 2, spanGaps: true }, s))),
    };
    const data = [[]].concat(series.map(() => []));
    const chart = new uPlot(opts, data, el);
    return {
      chart, data,
      push(x, values) {          // values in the order of series; null for a gap
        data[0].push(x);
        values.forEach((v, i) => data[i + 1].push(v === undefined ? null : v));
        chart.setData(data);
      },
      set(columns) { columns.forEach((c, i) => { data[i] = c; }); chart.setData(data); },
    };
  }

  // Diverging blue-white-red colour of v in [-1, 1]; sequential (white to dark) of v in [0, 1].
  function diverging(v) {
    const t = Math.max(-1, Math.min(1, v));
    const a = Math.round(255 * (1 - Math.abs(t)));
    return t >= 0 ? [255, a, a] : [a, a, 255];
  }
  function sequential(v) {
    const t = Math.max(0, Math.min(1, v));
    const c = Math.round(255 * (1 - t));
    return [c, c, Math.round(255 - 155 * t)];
  }

  // values: a flat row-major array of rows*cols numbers; drawn scaled up into the canvas.
  function heatmap(canvas, values, rows, cols, { colour = sequential, min, max } = {}) {
    const lo = min !== undefined ? min : Math.min(...values);
    const hi = max !== undefined ? max : Math.max(...values);
    const span = hi - lo || 1;
    const image = new ImageData(cols, rows);
    for (let i = 0; i < rows * cols; i++) {
      const v = colour === diverging ? (2 * (values[i] - lo) / span - 1) : (values[i] - lo) / span;
      const [r, g, b] = colour(v);
      image.data.set([r, g, b, 255], 4 * i);
    }
    const tmp = document.createElement("canvas");
    tmp.width = cols; tmp.height = rows;
    tmp.getContext("2d").putImageData(image, 0, 0);
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(tmp, 0, 0, canvas.width, canvas.height);
  }

  return { token, get: (p) => request("GET", p), post: (p, b) => request("POST", p, b),
           events, nav, status, lineChart, heatmap, diverging, sequential };
})();
