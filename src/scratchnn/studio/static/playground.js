// The Playground page: controls built from /api/playground/options, the configuration mirrored in
// the URL (the server writes the canonical query), frames fetched by long poll and drawn: the
// decision boundary with the points, each unit's heatmap, the weights as links, the loss curves.
"use strict";

(async () => {
  await Studio.nav("/playground");
  const options = await Studio.get("/api/playground/options");
  const fields = options.fields;
  const names = new Set(fields.map((f) => f.name));
  const $ = (id) => document.getElementById(id);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const RED = "#dc2626", BLUE = "#2563eb", DARK_RED = "#991b1b", DARK_BLUE = "#1e3a8a";

  // Counters a test (or a curious student in the console) can read.
  const page = window.playground = { frames: 0, session: null, state: null, config: null, frame: null };

  // ------------------------------------------------------------------ controls
  const LABELS = { dataset: "data set", points: "points", noise: "noise", test_fraction: "test fraction",
    features: "inputs", hidden: "hidden units (per layer)", activation: "activation", optimizer: "optimizer",
    learning_rate: "learning rate", l2: "L2 penalty", batch_size: "batch size", epochs: "epochs", seed: "seed" };
  for (const f of fields) {
    const label = document.createElement(f.kind === "features" ? "div" : "label");   // no label in a label
    label.title = f.doc;
    label.append(LABELS[f.name] || f.name);
    let input;
    if (f.kind === "features") {               // one checkbox per input feature
      label.className = "wide";
      input = document.createElement("div");
      input.className = "row";
      for (const c of f.choices) {
        const box = document.createElement("label");
        box.className = "check";
        box.innerHTML = `<input type="checkbox" value="${c}" id="pg-feature-${c}">${f.labels[c]}`;
        box.querySelector("input").addEventListener("change", () => restart(page.state === "running"));
        input.append(box);
      }
    } else if (f.kind === "choice") {
      input = document.createElement("select");
      for (const c of f.choices) input.add(new Option(c, c));
    } else {
      input = document.createElement("input");
      input.type = "text";
      if (f.kind === "units") input.placeholder = `e.g. 4,2 (at most ${f.max_layers} layers of ${f.max_units})`;
      else input.placeholder = `${f.min} to ${f.max}`;
    }
    input.id = "pg-" + f.name;
    if (f.kind !== "features") {
      input.name = f.name;
      input.addEventListener("change", () => restart(page.state === "running"));
    }
    label.append(input);
    $("controls").append(label);
  }
  const featureBoxes = () => Array.from(document.querySelectorAll("#pg-features input"));
  const readControls = () => Object.fromEntries(fields.map((f) => [f.name, f.kind === "features"
    ? featureBoxes().filter((b) => b.checked).map((b) => b.value).join(",")
    : $("pg-" + f.name).value.trim()]));
  const writeControls = (config) => {
    for (const f of fields) {
      const v = config[f.name];
      if (f.kind === "features") {
        const chosen = Array.isArray(v) ? v : String(v).split(",").map((n) => n.trim());
        featureBoxes().forEach((b) => { b.checked = chosen.includes(b.value); });
      }
      else $("pg-" + f.name).value = Array.isArray(v) ? v.join(",") : String(v);
    }
  };
  const featureLabels = fields.find((f) => f.kind === "features").labels;

  // ------------------------------------------------------------------ sessions
  function adopt(reply) {
    page.session = reply.session;
    page.config = reply.config;
    page.points = reply.points;
    page.lastFrame = -1;
    writeControls(reply.config);
    history.replaceState(null, "", "/playground?" + reply.query);
    setState(reply.state, reply.message);
    buildNetwork(reply.config);
  }
  async function start(config, paused) {
    page.starting = true;
    try {
      adopt(await Studio.post("/api/playground/start", { config, paused }));
    } catch (err) {
      Studio.status(err.message, true);
    } finally {
      page.starting = false;
    }
  }
  const restart = (running) => start(readControls(), !running);
  function setState(state, message) {
    page.state = state;
    $("play").textContent = state === "running" ? "Pause" : "Train";
    Studio.status(message || (state === "running" ? "training" : state), state === "failed");
  }
  async function control(action) {
    try {
      await Studio.post("/api/playground/control", { action, session: page.session });
    } catch (err) {
      Studio.status(err.message, true);
    }
  }
  $("play").onclick = () => {
    if (page.state === "running") control("pause");
    else if (page.state === "stopped" || page.state === "failed") restart(true);
    else control("resume");
  };
  $("step").onclick = () => control("step");
  $("reset").onclick = () => restart(page.state === "running");
  $("stop").onclick = () => control("stop");

  // ------------------------------------------------------------------ the network
  const net = $("network");
  let nodes = [], links = [];
  function buildNetwork(config) {
    net.innerHTML = "";
    const sizes = [config.features.length].concat(config.hidden, [1]);
    const width = net.clientWidth || 600, height = net.clientHeight || 440, top = 22;
    const most = Math.max(...sizes);
    const box = Math.max(10, Math.min(44, Math.floor((height - top - 8) / most) - 6));
    const gapY = (height - top - 8) / most;
    const colX = (c) => 52 + c * (width - 62 - box) / (sizes.length - 1);
    nodes = sizes.map((n, c) => Array.from({ length: n }, (_, i) => {
      const y = top + (height - top - 8 - n * gapY) / 2 + i * gapY + (gapY - box) / 2;
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = box;
      canvas.style.left = colX(c) + "px";
      canvas.style.top = y + "px";
      canvas.style.width = canvas.style.height = box + "px";
      canvas.title = c === 0 ? `input ${featureLabels[config.features[i]]}` : c === sizes.length - 1 ? "output: P(class 1)"
        : `hidden layer ${c}, unit ${i + 1}`;
      net.append(canvas);
      if (c === 0) {                            // the input's name, left of its square
        const name = document.createElement("div");
        name.className = "input-label";
        name.textContent = featureLabels[config.features[i]];
        name.style.top = (y + box / 2 - 9) + "px";
        net.append(name);
      }
      return { canvas, x: colX(c) + box / 2, y: y + box / 2, half: box / 2 };
    }));
    sizes.forEach((n, c) => {
      const label = document.createElement("div");
      label.className = "col-label";
      label.textContent = c === 0 ? "input" : c === sizes.length - 1 ? "output" : `hidden ${c} (${n})`;
      label.style.left = (colX(c) + box / 2 - 50) + "px";
      label.style.width = "100px";
      net.append(label);
    });
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    links = [];
    for (let c = 0; c + 1 < sizes.length; c++) {
      const layer = [];
      for (const a of nodes[c]) {
        const row = [];
        for (const b of nodes[c + 1]) {
          const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
          line.setAttribute("x1", a.x + a.half); line.setAttribute("y1", a.y);
          line.setAttribute("x2", b.x - b.half); line.setAttribute("y2", b.y);
          line.setAttribute("stroke-opacity", "0.75");
          svg.append(line);
          row.push(line);
        }
        layer.push(row);
      }
      links.push(layer);
    }
    net.prepend(svg);
  }

  function drawUnits(column, layer, S) {       // a layer's units as the frame sends them: bytes
    const bytes = Uint8Array.from(atob(layer.data), (ch) => ch.charCodeAt(0));
    for (let u = 0; u < layer.units && column && column[u]; u++) {
      const values = Array.from(bytes.subarray(u * S * S, (u + 1) * S * S), (q) => q / 127.5 - 1);
      Studio.heatmap(column[u].canvas, values, S, S, { colour: Studio.diverging, min: -1, max: 1 });
    }
  }

  function drawNetwork(frame) {
    const S = frame.units.size;
    drawUnits(nodes[0], frame.units.inputs, S);
    frame.units.layers.forEach((layer, l) => drawUnits(nodes[l + 1], layer, S));
    const out = nodes[nodes.length - 1][0];
    Studio.heatmap(out.canvas, frame.grid.output, frame.grid.size, frame.grid.size,
      { colour: Studio.diverging, min: 0, max: 1 });
    let biggest = 1e-9;
    for (const w of frame.weights) for (const row of w.kernel) for (const v of row) biggest = Math.max(biggest, Math.abs(v));
    frame.weights.forEach((w, l) => {
      if (!links[l]) return;
      w.kernel.forEach((row, i) => row.forEach((v, j) => {
        const line = links[l][i] && links[l][i][j];
        if (!line) return;
        line.setAttribute("stroke", v >= 0 ? RED : BLUE);
        line.setAttribute("stroke-width", (0.4 + 5 * Math.abs(v) / biggest).toFixed(2));
        line.setAttribute("data-weight", v);
      }));
    });
  }

  // ------------------------------------------------------------------ the decision boundary
  const board = $("boundary"), ctx = board.getContext("2d");
  const M = { left: 42, right: 10, top: 10, bottom: 40 };
  const W = board.width - M.left - M.right, H = board.height - M.top - M.bottom;
  const shade = document.createElement("canvas");
  function drawBoundary(frame) {
    const E = frame.grid.extent, S = frame.grid.size;
    shade.width = shade.height = S;                     // one pixel per grid cell, then smoothed
    Studio.heatmap(shade, frame.grid.output, S, S, { colour: Studio.diverging, min: 0, max: 1 });
    ctx.clearRect(0, 0, board.width, board.height);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(shade, M.left, M.top, W, H);
    ctx.fillStyle = "rgba(255,255,255,0.5)";           // lighter, so the points stand out
    ctx.fillRect(M.left, M.top, W, H);
    const px = (x) => M.left + (x + E) / (2 * E) * W, py = (y) => M.top + (E - y) / (2 * E) * H;
    const drawPoints = (set, ring) => {
      const { x, y } = set;
      for (let i = 0; i < y.length; i++) {
        ctx.beginPath();
        ctx.arc(px(x[i][0]), py(x[i][1]), 3.6, 0, 2 * Math.PI);
        ctx.fillStyle = y[i] ? (ring ? "#fff" : DARK_RED) : (ring ? "#fff" : DARK_BLUE);
        ctx.fill();
        ctx.lineWidth = ring ? 2.2 : 1;
        ctx.strokeStyle = ring ? (y[i] ? DARK_RED : DARK_BLUE) : "#fff";
        ctx.stroke();
      }
    };
    if (page.points) { drawPoints(page.points.train, false); drawPoints(page.points.test, true); }
    ctx.strokeStyle = "#9aa5b1"; ctx.lineWidth = 1;
    ctx.strokeRect(M.left, M.top, W, H);
    ctx.fillStyle = "#1f2933"; ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (let t = -1; t <= 1; t += 0.5) {
      ctx.fillText(String(t), px(t), M.top + H + 4);
      ctx.fillRect(px(t), M.top + H, 1, 4);
    }
    ctx.fillText("x1", M.left + W / 2, M.top + H + 22);
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (let t = -1; t <= 1; t += 0.5) {
      ctx.fillText(String(t), M.left - 6, py(t));
      ctx.fillRect(M.left - 4, py(t), 4, 1);
    }
    ctx.save();
    ctx.translate(12, M.top + H / 2); ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "center"; ctx.fillText("x2", 0, 0);
    ctx.restore();
  }

  // ------------------------------------------------------------------ curves and figures
  const chart = Studio.lineChart($("loss-chart"), {
    title: "Loss per epoch (binary cross-entropy, without the L2 penalty)", xLabel: "epoch", yLabel: "loss",
    series: [{ label: "training", stroke: BLUE }, { label: "test", stroke: RED }], height: 240, log: true });
  const pct = (a) => (a === null || a === undefined ? "-" : `${Math.round(100 * a)}%`);
  const num = (v) => (v === null || v === undefined ? "-" : v < 0.001 ? v.toExponential(1) : v.toFixed(3));

  function draw(frame) {
    page.frame = frame;
    if (frame.state !== page.state) setState(frame.state, frame.message);
    drawBoundary(frame);
    drawNetwork(frame);
    chart.set([frame.curve.epoch, frame.curve.train, frame.curve.test]);
    $("figures").innerHTML = `epoch <b>${frame.epoch}</b> &middot; training loss <b>${num(frame.train_loss)}</b> ` +
      `(accuracy ${pct(frame.train_accuracy)}) &middot; test loss <b>${num(frame.test_loss)}</b> ` +
      `(accuracy ${pct(frame.test_accuracy)})`;
    page.frames += 1;
  }

  // ------------------------------------------------------------------ start and follow
  const given = {};
  for (const [k, v] of new URLSearchParams(location.search)) if (names.has(k)) given[k] = v;
  const state = await Studio.get("/api/playground/state");
  if (state.session && (Object.keys(given).length === 0 || state.query === location.search.slice(1))) adopt(state);
  else {
    writeControls({ ...options.defaults, ...given });   // a link with a mistake: shown, to be fixed
    await start(given, true);
  }

  for (;;) {
    if (!page.session) { await sleep(300); continue; }
    try {
      const frame = await Studio.get(`/api/playground/frame?after=${page.lastFrame}&wait=2`);
      if (frame.session !== page.session) {
        // a session started elsewhere (another tab): follow it, unless this page is starting one
        if (!page.starting) adopt(await Studio.get("/api/playground/state"));
        else await sleep(50);
        continue;
      }
      if (frame.frame !== page.lastFrame) {
        page.lastFrame = frame.frame;
        draw(frame);
      }
      if (frame.state !== "running") await sleep(300);
    } catch (err) {
      Studio.status(err.message, true);
      await sleep(1000);
    }
  }
})().catch((e) => Studio.status(e.message, true));
