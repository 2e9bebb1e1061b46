// The Attention page: attention maps per layer and head for a prompt, the next-token
// distribution at a temperature with top-k / top-p, and sampling (see studio/attention.py).
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const VISIBLE = { "\n": "\u21b5", " ": "\u2423", "\t": "\u21e5" };
  const show = (token) => VISIBLE[token] || token;
  const MASKED = "#e5e7eb";     // a pair the mask rules out (query i never reads key j > i)
  const page = { models: [], model: null, maps: null, next: null, sample: null, drawn: 0 };
  window.attentionPage = page;

  function query(extra) {
    const params = new URLSearchParams({ source: page.model.source });
    const text = $("prompt").value;
    if (page.model.vocabulary) params.set("prompt", text); else params.set("ids", text);
    for (const [k, v] of Object.entries(extra || {})) params.set(k, v);
    return params.toString();
  }

  function sampling() {
    return { temperature: $("temperature").value, top_k: $("top_k").value, top_p: $("top_p").value };
  }

  // One heatmap with its token labels: rows = queries, columns = keys.
  // `side`: the pixels the T x T cells may take (cells of 3 to `largest` pixels).
  const LEFT = 38, TOP = 34, PAD = 4;
  function drawMap(canvas, scores, labels, title, side, largest = 22) {
    const T = labels.length;
    const cell = Math.max(3, Math.min(largest, Math.floor(side / T)));
    const every = Math.ceil(11 / cell);              // label every k-th token when cells are small
    const left = LEFT, top = TOP, size = T * cell;
    canvas.width = left + size + PAD;
    canvas.height = top + size + PAD;
    Object.assign(canvas.dataset, { cell, left, top });
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    for (let i = 0; i < T; i++) {
      for (let j = 0; j < T; j++) {
        const v = scores[i][j];
        if (v === 0 && j > i) ctx.fillStyle = MASKED;                // masked: the future
        else { const [r, g, b] = Studio.sequential(Math.sqrt(v)); ctx.fillStyle = `rgb(${r},${g},${b})`; }
        ctx.fillRect(left + j * cell, top + i * cell, cell, cell);
      }
    }
    ctx.strokeStyle = "#9aa5b1";
    ctx.strokeRect(left - 0.5, top - 0.5, size + 1, size + 1);
    ctx.fillStyle = "#1f2933";
    ctx.font = `${Math.max(9, Math.min(13, cell))}px ui-monospace, monospace`;
    ctx.textAlign = "center"; ctx.textBaseline = "bottom";
    for (let j = 0; j < T; j += every) ctx.fillText(show(labels[j]), left + (j + 0.5) * cell, top - 2);
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (let i = 0; i < T; i += every) ctx.fillText(show(labels[i]), left - 4, top + (i + 0.5) * cell);
    ctx.fillStyle = "#616e7c";
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "left"; ctx.textBaseline = "top";
    ctx.fillText("key (read) \u2192", left, 2);
    ctx.save();
    ctx.translate(2, top);
    ctx.rotate(Math.PI / 2);
    ctx.textBaseline = "bottom";
    ctx.fillText("query (reads) \u2192", 0, -2);
    ctx.restore();
    canvas.onmousemove = (event) => {
      const box = canvas.getBoundingClientRect();
      const j = Math.floor((event.clientX - box.left - left) / cell);
      const i = Math.floor((event.clientY - box.top - top) / cell);
      if (i < 0 || j < 0 || i >= T || j >= T) return;
      const query = `query ${i} '${show(labels[i])}'`, key = `key ${j} '${show(labels[j])}'`;
      $("readout").textContent = j > i && scores[i][j] === 0
        ? `${title}: ${query} may not read ${key} (masked: the future)`
        : `${title}: ${query} reads ${key} with weight ${scores[i][j].toFixed(4)}`;
    };
  }

  // A map drawn large, with every token labelled (a click on a small map puts it here).
  function focus(layer, h) {
    const box = $("focus");
    const T = page.maps.tokens.length;
    box.hidden = false;
    const side = Math.min($("maps").clientWidth - LEFT - PAD - 40, 36 * T);
    $("focus-title").textContent = `${layer.name}, head ${h + 1} of ${layer.heads}`;
    drawMap($("focus-map"), layer.scores[h], page.maps.tokens, `${layer.name}, head ${h + 1}`, side, 36);
    page.focused = `${layer.name}/${h}`;
  }

  function drawMaps(data) {
    const root = $("maps");
    root.innerHTML = "";
    $("focus").hidden = true;
    page.drawn = 0;
    for (const layer of data.layers) {
      const section = document.createElement("section");
      section.className = "layer";
      section.innerHTML = `<h2></h2><div class="heads"></div>`;
      section.querySelector("h2").textContent = layer.name;
      root.appendChild(section);
      // every head of a layer on one line when it fits
      const gap = 10;
      const side = Math.min(320, Math.floor((root.clientWidth - gap * (layer.heads - 1)) / layer.heads) -
                                 LEFT - PAD - 2);
      layer.scores.forEach((head, h) => {
        const box = document.createElement("div");
        box.className = "head";
        box.innerHTML = `<span class="caption">head ${h + 1} of ${layer.heads}</span><canvas></canvas>`;
        section.querySelector(".heads").appendChild(box);
        const canvas = box.querySelector("canvas");
        drawMap(canvas, head, data.tokens, `${layer.name}, head ${h + 1}`, side);
        canvas.title = "click: show it large";
        canvas.onclick = () => focus(layer, h);
        page.drawn += 1;
      });
    }
  }

  function drawBars(data) {
    const root = $("bars");
    root.innerHTML = "";
    const top = data.next.length ? data.next[0].probability : 1;
    // the tokens that may be drawn, then a few that top-k / top-p cut (so the cut shows)
    const shown = data.next.filter((n, k) => n.probability > 0 || k < data.kept + 3);
    for (const item of shown) {
      const tok = document.createElement("span");
      tok.className = "tok";
      tok.textContent = show(item.token);
      tok.title = `token id ${item.id}, logit ${item.logit.toFixed(3)}`;
      const track = document.createElement("div");
      const bar = document.createElement("div");
      bar.className = "bar";
      bar.style.width = `${(100 * item.probability / (top || 1)).toFixed(2)}%`;
      if (item.probability === 0) bar.style.background = "#e5e7eb";
      track.appendChild(bar);
      const pct = document.createElement("span");
      pct.className = "pct";
      pct.textContent = item.probability === 0 ? "cut" : `${(100 * item.probability).toFixed(1)}%`;
      root.append(tok, track, pct);
    }
    const limits = [data.top_k ? `top-k ${data.top_k}` : null, data.top_p ? `top-p ${data.top_p}` : null]
      .filter(Boolean).join(", ") || "no top-k / top-p";
    $("next-info").textContent = `After the prompt, at temperature ${data.temperature} (${limits}): ` +
      `${data.kept} of ${data.vocabulary_size} tokens possible, entropy ${data.entropy_bits.toFixed(2)} bits. ` +
      `The ${shown.length} most likely (bars relative to the first; "cut": ruled out by top-k / top-p):`;
  }

  function updateCount() {
    if (!page.model) return;
    const text = $("prompt").value;
    const n = page.model.vocabulary ? text.length : text.split(/[\s,]+/).filter(Boolean).length;
    const limit = page.model.context ? ` of at most ${page.model.context}` : "";
    $("count").textContent = `${n} tokens${limit}`;
    $("count").className = page.model.context && n > page.model.context ? "status error" : "muted";
  }

  async function refreshNext() {
    page.next = await Studio.get(`/api/attention/next?${query(sampling())}`);
    drawBars(page.next);
  }

  async function refresh() {
    Studio.status("computing ...");
    try {
      page.maps = await Studio.get(`/api/attention/maps?${query()}`);
      drawMaps(page.maps);
      await refreshNext();
      Studio.status(`${page.maps.tokens.length} tokens, ${page.maps.layers.length} attention layers`);
    } catch (error) {
      Studio.status(error.message, true);
      page.maps = null; page.next = null; page.drawn = 0;     // no stale maps under an error
      $("maps").innerHTML = '<p class="muted">No maps: see the message above.</p>';
      $("bars").innerHTML = ""; $("next-info").textContent = "";
    }
  }

  async function sample() {
    try {
      const data = await Studio.get(`/api/attention/sample?${query({ ...sampling(),
        tokens: $("tokens").value, seed: $("seed").value })}`);
      page.sample = data;
      const out = $("output");
      out.innerHTML = "";
      const sep = page.model.vocabulary ? "" : " ";
      const old = document.createElement("span");
      old.textContent = data.text.slice(0, data.text.length - data.new.length);
      const added = document.createElement("span");
      added.className = "new";
      added.textContent = data.new;
      added.title = "sampled";
      out.append(old, added);
      let ids = page.model.vocabulary ? data.text : data.ids.join(" ");
      let note = "";
      if (data.context && data.ids.length > data.context) {
        ids = page.model.vocabulary ? data.text.slice(-data.context) : data.ids.slice(-data.context).join(sep);
        note = ` (the prompt box keeps the last ${data.context} tokens: the model's context)`;
      }
      $("prompt").value = ids;
      updateCount();
      await refresh();
      Studio.status(`sampled ${data.tokens} tokens with seed ${data.seed}${note}`);
    } catch (error) { Studio.status(error.message, true); }
  }

  function choose(name) {
    page.model = page.models.find((m) => m.source === name);
    const m = page.model;
    const heads = m.layers.map((l) => l.heads).join(", ");
    $("model-info").textContent = `${m.class} '${m.name}' (${m.description}): ${m.layers.length} attention ` +
      `layers (heads ${heads}), context ${m.context || "unbounded"}, ${m.vocabulary_size || "?"} tokens`;
    $("prompt-label").textContent = m.vocabulary ? "prompt (characters of the model's vocabulary)"
      : "prompt (token ids separated by spaces)";
    const start = m.vocabulary ? (m.vocabulary.includes("R") ? "ROMEO:\nWhat say you" : m.vocabulary.slice(0, 8))
      : "1 2 3 4 5 6";
    $("prompt").value = m.context && m.vocabulary ? start.slice(0, m.context) : start;
    updateCount();
  }

  (async () => {
    await Studio.nav("/attention");
    const { models, skipped } = await Studio.get("/api/attention/models");
    page.models = models;
    if (!models.length) {
      const why = skipped.length ? ` (${skipped.map((s) => s.reason).join("; ")})` : "";
      Studio.status("No model with attention layers: start the studio with a run folder of " +
        `\`scratchnn train --model gpt\`${why}.`, true);
      return;
    }
    $("source").innerHTML = "";
    for (const m of models) {
      const option = document.createElement("option");
      option.value = m.source; option.textContent = m.source;
      $("source").appendChild(option);
    }
    const asked = new URLSearchParams(location.search).get("source");     // /attention?source=NAME
    const first = models.find((m) => m.source === asked) || models[0];
    $("source").value = first.source;
    choose(first.source);
    $("source").onchange = () => { choose($("source").value); refresh(); };
    $("show").onclick = refresh;
    $("prompt").oninput = updateCount;
    $("prompt").onkeydown = (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) refresh(); };
    let timer = null;
    for (const id of ["temperature", "top_k", "top_p"])
      $(id).oninput = () => {
        clearTimeout(timer);
        timer = setTimeout(() => refreshNext().then(() => Studio.status("next token updated"))
          .catch((error) => Studio.status(error.message, true)), 200);
      };
    $("sample").onclick = sample;
    $("focus-close").onclick = () => { $("focus").hidden = true; page.focused = null; };
    await refresh();
  })().catch((error) => Studio.status(error.message, true));
})();
