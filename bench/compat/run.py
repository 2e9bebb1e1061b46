"""The compatibility corpus: how many public tf.keras programs run on scratchnn unchanged and
agree with TensorFlow.

    python bench/compat/run.py [--only NAME,...] [--tf-python PATH] [--timeout 900] [--record]

Each program in ``bench/compat/programs/`` runs in a fresh process, once with scratchnn (the
names ``tensorflow``/``keras`` redirected to scratchnn, see ``harness.py``) and once with real
TensorFlow when ``--tf-python`` names a Python that can import it (default: this Python, if it
can). Without TensorFlow the numbers recorded from it (``recorded_tensorflow.json``, written by
``--record``) are used, and the table says so.

A program *agrees* when both frameworks ran it to the end and the final metric agrees: an
accuracy within 1.5 points of TensorFlow's, otherwise the loss within 10% of TensorFlow's. The
final metric is the program's ``# compat-metric:`` value where its header declares one, else
the last ``evaluate``'s logs, else the last epoch's logs of the last ``fit``.

A program whose final number depends on random draws that neither framework can share (unseeded
data, initial weights, shuffling) by more than the tolerance declares ``# compat-reruns: N`` (N
odd) in its header, with the measured spread that justifies it: each framework then runs it N
times, seeded 0 .. N-1 (``harness.py --seed``), and the run with the median final metric stands
for the framework (its result lists every run's value under ``reruns``). The tolerance is the
same: it is the medians that are compared.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(HERE, "programs")
RECORDED = os.path.join(HERE, "recorded_tensorflow.json")
ACCURACY_TOLERANCE = 0.015
LOSS_TOLERANCE = 0.10


def programs(only=None):
    paths = sorted(glob.glob(os.path.join(PROGRAMS, "*.py")))
    names = [os.path.splitext(os.path.basename(p))[0] for p in paths]
    if only:
        wanted = set(only)
        unknown = wanted - set(names)
        if unknown:
            raise SystemExit(f"no corpus program named {', '.join(sorted(unknown))}")
        paths = [p for p, n in zip(paths, names) if n in wanted]
    return paths


def reruns(path):
    """N of the program's ``# compat-reruns: N`` header line, else None."""
    with open(path, encoding="utf-8") as f:
        found = re.findall(r"^#\s*compat-reruns:\s*(\S+)\s*$", f.read(), flags=re.M)
    if not found:
        return None
    if len(found) > 1 or not found[0].isdigit() or int(found[0]) % 2 == 0:
        raise SystemExit(f"{os.path.basename(path)}: '# compat-reruns:' takes one odd count, got {found}")
    return int(found[0])


def run_program(python, framework, path, timeout, env=None):
    """The program's result: one run, or the median of its seeded reruns (``# compat-reruns: N``):
    the run whose final metric is the median, with every run's value under ``reruns``. A rerun
    that failed is the result (a program agrees only when every run ran)."""
    n = reruns(path)
    if n is None:
        return run_one(python, framework, path, timeout, env)
    runs = []
    for seed in range(n):
        result = run_one(python, framework, path, timeout, env, seed=seed)
        if result.get("status") != "ok" or final_metric(result)[0] is None:
            return result
        runs.append(result)
    ordered = sorted(runs, key=lambda r: final_metric(r)[1])
    median = dict(ordered[n // 2])
    median["reruns"] = {str(r["seed"]): final_metric(r)[1] for r in runs}
    median["wall_seconds"] = round(sum(r["wall_seconds"] for r in runs), 1)
    return median


def run_one(python, framework, path, timeout, env=None, seed=None):
    """The harness's result dict for one program (status 'timeout' or 'crash' when it gave none)."""
    command = [python, os.path.join(HERE, "harness.py"), "--framework", framework, path]
    if seed is not None:
        command[2:2] = ["--seed", str(seed)]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env=env or os.environ.copy())
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "error": f"no result within {timeout} s", "wall_seconds": timeout}
    wall = time.perf_counter() - start
    for line in reversed(done.stdout.splitlines()):
        if "COMPAT {" in line:
            result = json.loads(line[line.index("COMPAT {") + len("COMPAT "):])
            result["wall_seconds"] = round(wall, 1)
            return result
    tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
    return {"status": "crash", "error": tail[:300], "wall_seconds": round(wall, 1)}


def final_metric(result):
    """(name, value) of the metric compared between frameworks, or (None, None)."""
    metrics = result.get("metrics") or {}
    for source in ("program", "evaluate", "fit"):
        logs = {k: v for k, v in (metrics.get(source) or {}).items() if v is not None}
        if not logs:
            continue
        accuracy = [k for k in logs if k.endswith("accuracy") or k == "acc"]
        accuracy = [k for k in accuracy if not k.startswith("val_")] or accuracy
        if accuracy:
            return accuracy[0], logs[accuracy[0]]
        for key in ("loss", *logs):
            if key in logs:
                return key, logs[key]
    return None, None


def agreement(ours, theirs):
    """'agrees' / 'differs' / 'fails' (scratchnn did not run it) / 'no reference'."""
    if ours.get("status") != "ok":
        return "fails"
    if theirs is None or theirs.get("status") != "ok":
        return "no reference"
    name, value = final_metric(ours)
    ref_name, ref_value = final_metric(theirs)
    if name is None or name != ref_name:
        return "differs"
    if name.endswith("accuracy") or name == "acc":
        return "agrees" if abs(value - ref_value) <= ACCURACY_TOLERANCE else "differs"
    return "agrees" if abs(value - ref_value) <= LOSS_TOLERANCE * abs(ref_value) else "differs"


def can_import_tensorflow(python):
    try:
        subprocess.run([python, "-c", "import tensorflow"], check=True, capture_output=True, timeout=300)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=lambda s: [n for n in s.split(",") if n], default=None)
    parser.add_argument("--tf-python", default=sys.executable,
                        help="a Python that can import tensorflow (default: this one, if it can)")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--record", action="store_true",
                        help="store TensorFlow's results in recorded_tensorflow.json")
    parser.add_argument("--frameworks", default="scratchnn,tensorflow",
                        help="which to run: scratchnn, tensorflow or both (comma-separated)")
    parser.add_argument("--json", help="also write every result to this file")
    args = parser.parse_args(argv)

    paths = programs(args.only)
    frameworks = {f.strip() for f in args.frameworks.split(",") if f.strip()}
    if not frameworks or frameworks - {"scratchnn", "tensorflow"}:
        raise SystemExit(f"--frameworks takes scratchnn and/or tensorflow, got {args.frameworks!r}")
    live_tf = "tensorflow" in frameworks and can_import_tensorflow(args.tf_python)
    recorded = {}
    if os.path.exists(RECORDED):
        with open(RECORDED, encoding="utf-8") as f:
            recorded = json.load(f)
    if args.record and not live_tf:
        raise SystemExit(f"--record needs TensorFlow, which {args.tf_python} cannot import")

    rows, results = [], {}
    for path in paths:
        name = os.path.splitext(os.path.basename(path))[0]
        ours = (run_program(sys.executable, "scratchnn", path, args.timeout) if "scratchnn" in frameworks
                else {"status": "not run"})
        if live_tf:
            theirs = run_program(args.tf_python, "tensorflow", path, args.timeout)
            if args.record:
                recorded[name] = theirs
        else:
            theirs = recorded.get(name)
        verdict = agreement(ours, theirs)
        results[name] = {"scratchnn": ours, "tensorflow": theirs, "verdict": verdict}
        rows.append((name, ours, theirs, verdict))
        print(_row(name, ours, theirs, verdict), flush=True)

    if args.record:
        recorded = {name: recorded[name] for name in sorted(recorded)}
        with open(RECORDED, "w", encoding="utf-8") as f:
            json.dump(recorded, f, indent=1, sort_keys=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1, sort_keys=True)
    _summary(rows, live_tf)


def _fmt(result):
    if result is None:
        return "-"
    if result.get("status") != "ok":
        return result.get("status", "?")
    name, value = final_metric(result)
    return "ran" if name is None else f"{name}={value:.4f}"


def _row(name, ours, theirs, verdict):
    ours_fit = f"{ours.get('fit_seconds', 0):.1f}" if ours.get("status") == "ok" else "-"
    their_fit = f"{theirs.get('fit_seconds', 0):.1f}" if theirs and theirs.get("status") == "ok" else "-"
    line = f"{name:<34} {verdict:<12} {_fmt(ours):<34} {_fmt(theirs):<34} {ours_fit:>7} {their_fit:>7}"
    for framework, result in (("scratchnn", ours), ("tensorflow", theirs)):
        if result and result.get("reruns"):
            values = ", ".join(f"{v:.4f}" for v in result["reruns"].values())
            line += f"\n    {framework}: seeded reruns {values} (median compared)"
        if result and result.get("status") not in ("ok", "not run"):
            line += f"\n    {framework}: {result.get('error', '')} {result.get('where', '')}"
    return line


def _summary(rows, live_tf):
    n = len(rows)
    agree = sum(1 for r in rows if r[3] == "agrees")
    runs = sum(1 for r in rows if r[1].get("status") == "ok")
    ours_fit = sum(r[1].get("fit_seconds", 0) for r in rows if r[1].get("status") == "ok")
    theirs_fit = sum((r[2] or {}).get("fit_seconds", 0) for r in rows if (r[2] or {}).get("status") == "ok")
    source = "live TensorFlow" if live_tf else "TensorFlow's recorded results"
    print(f"\n{n} programs: {runs} run unchanged on scratchnn, {agree} run and agree with {source} "
          f"({100 * agree / max(n, 1):.0f}%); time in fit: scratchnn {ours_fit:.1f} s, "
          f"TensorFlow {theirs_fit:.1f} s")


if __name__ == "__main__":
    main()
