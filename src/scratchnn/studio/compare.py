"""The Compare page: the curves of several finished runs overlaid, one chart per metric with one
line per run, and their settings side by side with the values that differ highlighted.

    scratchnn studio runs/iris-a runs/iris-b runs/iris-c     # then open /compare

Route: ``GET /api/compare?runs=a,b`` (default: every run the studio was given):

* ``runs``: for each run, its name, the number of epochs in its ``history.csv`` and whether it has one;
* ``metrics``: every column of the histories but ``epoch``, ordered ``loss``, ``val_loss``, then
  each other metric followed by its ``val_`` twin;
* ``histories``: run -> ``{"epoch": [1, 2, ...], metric: [...]}`` (epochs counted from 1, as the
  curves show them; ``history.csv`` counts from 0), a missing or non-numeric cell as null;
* ``settings``: rows ``{"key", "values", "differs", "missing"}`` from each run's ``run.json``, nested
  entries as dotted keys (``test.accuracy``, ``options.lr``), lists joined with commas; the
  model and training settings first, then the results, then the rest. Left out: what differs
  between any two runs without saying anything about them (the command line, the output folder
  and name, timings, the generated sample, a language model's vocabulary), and an ``options.X``
  that the record also states as resolved (``X`` or ``settings.X``), and a row that is null (a
  default) in every run that has it. ``values`` holds one cell per run: the value, None where the
  record says null (a default), or ``{"missing": true}`` where the run's record lacks the entry;
  ``differs``: the runs that have the entry do not all agree; ``missing``: some run lacks it.
"""

from .runs import run_history, run_info
from .server import StudioError

#: run.json entries not shown: they differ between any two runs without describing them.
HIDDEN = {"command", "seconds", "options.command", "options.out", "options.name", "options.quiet",
          "sample.text",           "vocabulary", "argv"}
#: The settings shown first, in this order (matched on the last part of the key).
FIRST = ("dataset", "kind", "task", "model", "hidden", "activation", "layers", "heads", "embed", "block_size",
         "optimizer", "lr", "batch_size", "epochs", "epochs_run", "steps_per_epoch", "dropout",
         "validation_split",          "early_stopping", "seed")
RESULTS = ("test", "validation")
MISSING = {"missing": True}


def flatten(record, prefix=""):
    """``{"a": {"b": 1}, "c": [1, 2]}`` -> ``{"a.b": 1, "c": "1, 2"}`` (without ``HIDDEN`` keys)."""
    out = {}
    for key, value in record.items():
        path = f"{prefix}{key}"
        if path in HIDDEN:
            continue
        if isinstance(value, dict):
            out.update(flatten(value, path + "."))
        elif isinstance(value, (list, tuple)):
            out[path] = ", ".join(str(v) for v in value)
        else:
            out[path] = value
    return out


def _order(key):
    head, _, leaf = key.rpartition(".")
    if head in RESULTS:
        return (1, RESULTS.index(head), key)
    if leaf in FIRST:
        return (0, FIRST.index(leaf), key)
    return (2, 0, key)


def settings_table(records):
    """The settings rows for ``records`` (one flattened ``run.json`` per run, in order)."""
    keys = set().union(*records) if records else set()
    resolved = {k for k in keys if not k.startswith("options.")}
    keys = {k for k in keys if not (k.startswith("options.") and
                                    (k[8:] in resolved or "settings." + k[8:] in resolved))}
    rows = []
    for key in sorted(keys, key=_order):
        values = [r.get(key, MISSING) for r in records]
        present = [v for v in values if v is not MISSING]
        if all(v is None for v in present):
            continue                     # a default everywhere: says nothing about one run against another
        rows.append({"key": key, "values": values, "differs": any(v != present[0] for v in present[1:]),
                     "missing": len(present) < len(values)})
    return rows


def metric_order(names):
    """``loss``, ``val_loss``, then each other metric followed by its ``val_`` twin."""
    names = [n for n in names if n != "epoch"]
    bases = sorted({n[4:] if n.startswith("val_") else n for n in names},
                   key=lambda b: (b != "loss", b))
    ordered = []
    for base in bases:
        ordered += [n for n in (base, "val_" + base) if n in names]
    return ordered


def compare(studio, names):
    """The page's data for the runs ``names`` (see the module's notes)."""
    runs, histories, records, metrics = [], {}, [], set()
    for name in names:
        folder = studio.runs[name]
        info = run_info(name, folder)
        settings = info["settings"] if isinstance(info["settings"], dict) else {}
        records.append(flatten(settings))
        found = run_history(folder)
        columns = found or {}
        length = max((len(c) for c in columns.values()), default=0)
        epochs = columns.get("epoch")
        if epochs and all(e is not None for e in epochs):
            columns["epoch"] = [e + 1 for e in epochs]
        else:
            columns["epoch"] = [float(i + 1) for i in range(length)]
        histories[name] = columns
        metrics.update(columns)
        runs.append({"name": name, "epochs": length, "has_history": found is not None})
    return {"runs": runs, "metrics": metric_order(sorted(metrics)), "histories": histories,
            "settings": settings_table(records)}


def register(studio):
    studio.add_page("/compare", "Compare", "compare.html", "several runs side by side")

    def handler(request):
        raw = request.query.get("runs")
        if raw is None:
            names = sorted(studio.runs)
        else:
            names = [n for n in raw.split(",") if n]
            unknown = [n for n in names if n not in studio.runs]
            if unknown or len(set(names)) != len(names):
                raise StudioError(400, f"argument 'runs': expected distinct names among "
                                       f"{sorted(studio.runs)} "
                                       f"separated by commas, received {raw!r}")
        return compare(studio, names)

    studio.route("GET", "/api/compare", handler)
