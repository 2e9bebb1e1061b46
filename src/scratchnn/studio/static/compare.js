// The Compare page: one chart per metric with one line per run, and the runs' settings side by
// side (see studio/compare.py).
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  // distinct, colour-blind-friendly line colours (Okabe-Ito, then Tableau)
  const COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442",
                   "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1"];
  const page = { all: [], data: null, charts: {} };
  window.comparePage = page;
  const colourOf = (name) => COLOURS[page.all.indexOf(name) % COLOURS.length];

  const TITLES = { loss: "training loss", val_loss: "validation loss" };
  function title(metric) {
    if (TITLES[metric]) return TITLES[metric];
    return metric.startsWith("val_") ? `validation ${metric.slice(4)}` : `training ${metric}`;
  }

  // A uPlot chart of one metric: x = epoch (whole numbers), one line per run.
  function lineChart(el, metric, runs, columns) {
    const width = Math.max(300, el.clientWidth - 24);
    const opts = {
      title: `${title(metric)} (${metric})`, width, height: 240,
      scales: { x: { time: false } },
      axes: [{ label: "epoch", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] },
             { label: metric, size: 60, values: (u, ticks) => ticks.map((v) => String(+v.toPrecision(4))) }],
      series: [{ label: "epoch" }].concat(runs.map((n) => ({ label: n, stroke: colourOf(n), width: 2,
                                                             spanGaps: true }))),
    };
    return new uPlot(opts, columns, el);
  }

  function drawCharts(data) {
    const root = $("charts");
    root.innerHTML = "";
    page.charts = {};
    const names = data.runs.map((r) => r.name);
    const longest = Math.max(0, ...data.runs.map((r) => r.epochs));
    const x = Array.from({ length: longest }, (_, i) => i + 1);
    // every panel first, so that the grid has its final column width when the charts measure it
    const panels = data.metrics.map(() => root.appendChild(document.createElement("div")));
    panels.forEach((panel) => { panel.className = "panel"; });
    data.metrics.forEach((metric, k) => {
      const runs = names.filter((n) => data.histories[n][metric]);
      const columns = [x].concat(runs.map((n) => {
        const h = data.histories[n];
        const y = x.map(() => null);
        h.epoch.forEach((e, i) => { if (e >= 1 && e <= longest) y[e - 1] = h[metric][i]; });
        return y;
      }));
      page.charts[metric] = { chart: lineChart(panels[k], metric, runs, columns), runs, columns };
    });
  }

  function cell(value, key) {
    const td = document.createElement("td");
    if (value && typeof value === "object" && value.missing) { td.textContent = "\u2014"; td.className = "missing"; }
    else if (value === null) { td.textContent = key.startsWith("options.") ? "default" : "none"; td.className = "default"; }
    else if (typeof value === "number" && !Number.isInteger(value)) {
      td.textContent = Math.abs(value) >= 1e-3 && Math.abs(value) < 1e5 ? value.toFixed(4).replace(/0+$/, "").replace(/\.$/, "")
        : value.toExponential(3);
      td.title = String(value);
    } else td.textContent = String(value);
    return td;
  }

  function drawTable(data) {
    const table = $("settings");
    table.innerHTML = "";
    const head = document.createElement("tr");
    head.appendChild(document.createElement("th"));
    for (const run of data.runs) {
      const th = document.createElement("th");
      th.innerHTML = `<span class="swatch"></span> `;
      th.querySelector(".swatch").style.background = colourOf(run.name);
      th.appendChild(document.createTextNode(run.name));
      head.appendChild(th);
    }
    table.appendChild(head);
    const only = $("only-differences").checked;
    for (const row of data.settings) {
      if (only && !row.differs) continue;
      const tr = document.createElement("tr");
      if (row.differs) tr.className = "differs";
      const key = document.createElement("td");
      key.className = "key";
      key.textContent = row.key;
      tr.appendChild(key);
      row.values.forEach((v) => tr.appendChild(cell(v, row.key)));
      table.appendChild(tr);
    }
  }

  async function refresh() {
    const chosen = page.all.filter((n) => document.querySelector(`#runs input[value="${CSS.escape(n)}"]`).checked);
    try {
      page.data = await Studio.get(`/api/compare?runs=${encodeURIComponent(chosen.join(","))}`);
      drawCharts(page.data);
      drawTable(page.data);
      const none = page.data.runs.filter((r) => !r.has_history).map((r) => r.name);
      Studio.status(`${chosen.length} of ${page.all.length} runs` +
        (none.length ? `; no history.csv in ${none.join(", ")}` : ""));
    } catch (error) { Studio.status(error.message, true); }
  }

  (async () => {
    await Studio.nav("/compare");
    const { runs } = await Studio.get("/api/runs");
    page.all = runs.map((r) => r.name);
    if (!runs.length) {
      Studio.status("No runs to compare: start the studio with run folders, e.g. scratchnn studio runs/a runs/b", true);
      return;
    }
    const box = $("runs");
    for (const run of runs) {
      const label = document.createElement("label");
      label.innerHTML = `<input type="checkbox" checked> <span class="swatch"></span> `;
      label.querySelector("input").value = run.name;
      label.querySelector(".swatch").style.background = colourOf(run.name);
      label.appendChild(document.createTextNode(run.name));
      label.querySelector("input").onchange = refresh;
      box.appendChild(label);
    }
    $("only-differences").onchange = () => page.data && drawTable(page.data);
    await refresh();
  })().catch((error) => Studio.status(error.message, true));
})();
