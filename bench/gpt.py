"""nanoGPT's laptop recipe on tiny Shakespeare: scratchnn's GPT against the same model in PyTorch.

The recipe is the CPU command of nanoGPT's README (character level, config/train_shakespeare_char.py
with the overrides ``--device=cpu --compile=False --eval_iters=20 --block_size=64 --batch_size=12
--n_layer=4 --n_head=4 --n_embd=128 --max_iters=2000 --lr_decay_iters=2000 --dropout=0.0``):

* a GPT of 4 pre-norm blocks, 4 heads, width 128, 64-character windows, no dropout, GELU, biases
  (Keras's layout; nanoGPT's default has none), learned positions, untied output layer; every
  kernel and embedding Normal(0, 0.02), the two projections into the residual stream of each block
  Normal(0, 0.02 / sqrt(2 * 4)), biases 0 (nanoGPT's ``_init_weights``);
* batches of 12 random windows (nanoGPT's ``get_batch``), cross-entropy over every position;
* AdamW with nanoGPT's settings: betas (0.9, 0.99), eps 1e-8, weight decay 0.1 on kernels and
  embeddings only (biases and layer norms excluded, as nanoGPT's parameter groups), gradients
  clipped to a global norm of 1.0, learning rate 1e-3 warmed up over 100 iterations then cosine
  down to 1e-4 at iteration 2000 (nanoGPT's ``get_lr``);
* 2000 iterations; the validation loss (nanoGPT reports about 1.88 with its model).

Both frameworks train on the very same batches, in alternation: ``--chunk`` iterations of one,
then of the other (the order swapped every chunk), so that a change in the machine's load hits
both. Each chunk is timed in wall-clock seconds and in CPU seconds of the process (which a busy
machine inflates much less); s/iter is the median over chunks, and ``/torch`` the median of the
per-chunk ratios.

The PyTorch model is written here from ``torch.nn`` primitives, nanoGPT's way (one (128, 384)
query/key/value projection, ``scaled_dot_product_attention(is_causal=True)``): the same function
and parameter count as scratchnn's (which keeps Keras's separate query, key and value kernels).
``scratchnn_ref`` (``--frameworks``) is scratchnn with its fast kernels off (the readable code).

Validation loss: the mean cross-entropy over ``--eval-batches`` fixed batches of the last 10% of
the text (the same windows for every framework), after ``--iters`` iterations (and every
``--eval-interval``).

Memory: each framework in a fresh subprocess builds its model, then trains ``--memory-steps``
iterations: "train +MiB" is the rise of the resident set's high-water mark during them (VmHWM
after the kernel's mark is reset, minus VmRSS before: activations, gradients and optimizer state,
plus what the allocator keeps); for scratchnn "traced MiB" is tracemalloc's peak of the NumPy
arrays (and Python objects) allocated during those steps (PyTorch's allocations are invisible to
tracemalloc).

    python bench/gpt.py [--iters 200] [--rounds 1] [--threads 1] [--chunk 10]
                        [--frameworks scratchnn,torch] [--eval-batches 40] [--eval-interval 0]

``--threads N`` sets the BLAS threads of NumPy, PyTorch's intra-op threads and scratchnn's kernel
threads (default 1: on a small machine shared with other work, several threads per process spin
and wait for each other, which slows every framework several times over).
"""
import argparse
import math
import os
import statistics
import sys
import time


def _threads_from_argv(argv, default=1):
    """--threads N, read before NumPy and PyTorch start their thread pools."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return str(default)


THREADS = _threads_from_argv(sys.argv)
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "SCRATCHNN_NUM_THREADS"):
    os.environ[_name] = THREADS

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import mlp  # noqa: E402  (machine description, RSS helpers)

RECIPE = {"block_size": 64, "batch_size": 12, "num_layers": 4, "num_heads": 4, "hidden_dim": 128,
          "learning_rate": 1e-3, "min_lr": 1e-4, "warmup_iters": 100, "lr_decay_iters": 2000,
          "beta_1": 0.9, "beta_2": 0.99, "epsilon": 1e-8, "weight_decay": 0.1, "grad_clip": 1.0,
          "init_std": 0.02}
FRAMEWORKS = ("scratchnn", "torch", "scratchnn_ref")
MARK = "@@RESULT@@ "
MiB = 1024 * 1024


def learning_rate(it, recipe=RECIPE):
    """nanoGPT's ``get_lr``: linear warmup, then cosine decay to ``min_lr`` at ``lr_decay_iters``."""
    lr, min_lr = recipe["learning_rate"], recipe["min_lr"]
    warmup, decay = recipe["warmup_iters"], recipe["lr_decay_iters"]
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    if it > decay:
        return min_lr
    ratio = (it - warmup) / (decay - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)


def load_tokens():
    """(vocabulary size, train ids, validation ids): tiny Shakespeare, characters, 90% / 10%."""
    from scratchnn.datasets import tiny_shakespeare
    from scratchnn.preprocessing import CharTokenizer
    text = tiny_shakespeare.load_data()
    tokenizer = CharTokenizer().fit(text)
    train, val = tiny_shakespeare.train_validation_split(tokenizer.encode(text))
    return tokenizer.vocabulary_size, train, val


# ------------------------------------------------------------------------ the two models
class ScratchnnRunner:
    """``scratchnn.models.GPT`` compiled with AdamW as nanoGPT trains; one ``train_on_batch`` per step."""

    def __init__(self, vocab, seed, fast=True):
        import scratchnn as snn
        from scratchnn.backend import fast_kernels
        self.name = "scratchnn" if fast else "scratchnn_ref"
        self.fast, self.fast_kernels = fast, fast_kernels
        r = RECIPE
        snn.utils.set_random_seed(seed)
        self.model = snn.models.GPT(vocab, sequence_length=r["block_size"], num_layers=r["num_layers"],
                                    num_heads=r["num_heads"], hidden_dim=r["hidden_dim"], dropout=0.0,
                                    initializer_range=r["init_std"])
        self.model.build((None, r["block_size"]))
        optimizer = snn.optimizers.AdamW(learning_rate=learning_rate, weight_decay=r["weight_decay"],
                                         beta_1=r["beta_1"], beta_2=r["beta_2"], epsilon=r["epsilon"],
                                         global_clipnorm=r["grad_clip"])
        optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
        self.model.compile(optimizer=optimizer,
                           loss=snn.losses.SparseCategoricalCrossentropy(from_logits=True))
        self.parameters = self.model.count_params()
        self.version = snn.__version__

    def step(self, x, y):
        with self.fast_kernels(self.fast):
            return self.model.train_on_batch(x, y)

    def loss(self, x, y):
        with self.fast_kernels(self.fast):
            return self.model.test_on_batch(x, y)


class TorchRunner:
    """The same GPT in PyTorch (nanoGPT's modules, with biases), AdamW with two parameter groups."""

    def __init__(self, vocab, seed):
        import torch
        from torch import nn
        torch.manual_seed(seed)
        torch.set_num_threads(int(THREADS))
        self.torch, self.name, self.version = torch, "torch", torch.__version__
        r = RECIPE
        d, heads, n_layers, block = r["hidden_dim"], r["num_heads"], r["num_layers"], r["block_size"]
        functional = torch.nn.functional

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
                self.c_attn, self.c_proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
                self.c_fc, self.mlp_proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

            def forward(self, x):
                b, t, _ = x.shape
                q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
                q, k, v = (a.view(b, t, heads, d // heads).transpose(1, 2) for a in (q, k, v))
                y = functional.scaled_dot_product_attention(q, k, v, is_causal=True)
                x = x + self.c_proj(y.transpose(1, 2).reshape(b, t, d))
                return x + self.mlp_proj(functional.gelu(self.c_fc(self.ln_2(x))))

        class GPT(nn.Module):
            def __init__(self):
                super().__init__()
                self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(block, d)
                self.blocks = nn.ModuleList(Block() for _ in range(n_layers))
                self.ln_f, self.lm_head = nn.LayerNorm(d), nn.Linear(d, vocab)
                for name, p in self.named_parameters():             # nanoGPT's _init_weights
                    if name.endswith("bias"):
                        nn.init.zeros_(p)
                    elif p.dim() == 2:
                        std = r["init_std"] / math.sqrt(2 * n_layers) if name.endswith(
                            ("c_proj.weight", "mlp_proj.weight")) else r["init_std"]
                        nn.init.normal_(p, 0.0, std)

            def forward(self, ids):
                x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
                for block in self.blocks:
                    x = block(x)
                return self.lm_head(self.ln_f(x))

        self.model = GPT()
        decay = [p for p in self.model.parameters() if p.dim() >= 2]
        no_decay = [p for p in self.model.parameters() if p.dim() < 2]
        self.optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": r["weight_decay"]},
                                            {"params": no_decay, "weight_decay": 0.0}],
                                           lr=r["learning_rate"], betas=(r["beta_1"], r["beta_2"]),
                                           eps=r["epsilon"])
        self.parameters = sum(p.numel() for p in self.model.parameters())
        self.iteration = 0

    def _loss(self, x, y):
        logits = self.model(self.torch.from_numpy(x))
        return self.torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                      self.torch.from_numpy(y).reshape(-1))

    def step(self, x, y):
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(self.iteration)
        loss = self._loss(x, y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.torch.nn.utils.clip_grad_norm_(self.model.parameters(), RECIPE["grad_clip"])
        self.optimizer.step()
        self.iteration += 1
        return loss.item()

    def loss(self, x, y):
        with self.torch.no_grad():
            return self._loss(x, y).item()


def make_runner(framework, vocab, seed):
    if framework == "torch":
        return TorchRunner(vocab, seed)
    return ScratchnnRunner(vocab, seed, fast=framework == "scratchnn")


# ------------------------------------------------------------------------ batches
class Batches:
    """The training batches (the same for every framework) and the fixed validation batches."""

    def __init__(self, train, val, seed, eval_batches):
        from scratchnn.preprocessing import windows_at
        self.windows_at, self.train, self.val = windows_at, train, val
        self.block, self.batch = RECIPE["block_size"], RECIPE["batch_size"]
        self.seed = seed
        rng = np.random.default_rng(10_000 + seed)
        self.eval_starts = rng.integers(0, len(val) - self.block, size=(eval_batches, self.batch))

    def training(self, iters):
        """The start positions of every training batch, (iters, batch_size)."""
        rng = np.random.default_rng(seed=self.seed)
        return rng.integers(0, len(self.train) - self.block, size=(iters, self.batch))

    def train_batch(self, starts):
        return self.windows_at(self.train, starts, self.block)

    def val_loss(self, runner):
        return statistics.fmean(runner.loss(*self.windows_at(self.val, starts, self.block))
                                for starts in self.eval_starts)


# ------------------------------------------------------------------------ timing
def train_interleaved(runners, batches, iters, chunk, eval_interval, log):
    """Train every runner for ``iters`` iterations on the same batches, ``chunk`` iterations at a
    time in alternation. Returns {name: {"wall": [...], "cpu": [...], "sizes": [...], "losses": [...],
    "evals": [(iteration, val loss)]}}."""
    starts = batches.training(iters)
    out = {r.name: {"wall": [], "cpu": [], "sizes": [], "losses": [], "evals": []} for r in runners}
    order = list(runners)
    for lo in range(0, iters, chunk):
        hi = min(iters, lo + chunk)
        for runner in order:
            record = out[runner.name]
            wall, cpu = time.perf_counter(), time.process_time()
            for it in range(lo, hi):
                record["losses"].append(runner.step(*batches.train_batch(starts[it])))
            record["wall"].append(time.perf_counter() - wall)
            record["cpu"].append(time.process_time() - cpu)
            record["sizes"].append(hi - lo)
        order.reverse()                                  # ABBA: neither always runs first
        if eval_interval and (hi % eval_interval == 0 or hi == iters):
            for runner in runners:
                loss = batches.val_loss(runner)
                out[runner.name]["evals"].append((hi, loss))
                recent = np.mean(out[runner.name]["losses"][-chunk:])
                log(f"  iter {hi:5d}  {runner.name:<13} train loss {recent:.4f}  val loss {loss:.4f}  "
                    f"lr {learning_rate(hi - 1):.2e}  load {load_average()}")
    return out


def per_iteration(record, key):
    """Seconds per iteration of every chunk."""
    return [t / n for t, n in zip(record[key], record["sizes"])]


# ------------------------------------------------------------------------ memory
def memory_worker(framework, steps, seed):
    """In a fresh process: the RSS rise (and for scratchnn the traced peak) over ``steps`` steps."""
    import tracemalloc
    vocab, train, val = load_tokens()
    runner = make_runner(framework, vocab, seed)
    batches = Batches(train, val, seed, 1)
    starts = batches.training(steps)
    data = [batches.train_batch(s) for s in starts]
    rss_before = mlp.proc_status_kib("VmRSS")
    reset = mlp.reset_peak_rss()
    traced = framework.startswith("scratchnn")
    if traced:
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
    for x, y in data:
        runner.step(x, y)
    peak_traced = tracemalloc.get_traced_memory()[1] - base if traced else None
    hwm = mlp.proc_status_kib("VmHWM") if reset else None
    result = {"framework": framework, "rss_before": rss_before and rss_before * 1024,
              "train_plus": (hwm - rss_before) * 1024 if hwm and rss_before else None,
              "traced_peak": peak_traced}
    print(MARK + __import__("json").dumps(result), flush=True)


def measure_memory(framework, steps, seed):
    import json
    import subprocess
    cmd = [sys.executable, os.path.abspath(__file__), "--memory-worker", framework, "--memory-steps",
           str(steps), "--seed", str(seed), "--threads", THREADS]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return {"error": " | ".join(tail)}


# ------------------------------------------------------------------------ report
def load_average():
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def fmt(value, spec=".3f"):
    return "-" if value is None or value != value else format(value, spec)


def report(results, rounds, memory, args, parameters, load_before, load_after):
    names = [fw for fw in FRAMEWORKS if fw in results]
    print(f"\n[gpt] nanoGPT's laptop recipe: {RECIPE['num_layers']} layers, {RECIPE['num_heads']} heads, "
          f"width {RECIPE['hidden_dim']}, block {RECIPE['block_size']}, batch {RECIPE['batch_size']}, "
          f"AdamW 1e-3 (warmup 100, cosine to 1e-4 at 2000), {args.iters} iterations x {rounds} round(s)")
    header = (f"  {'framework':<14}{'params':>9}{'s/iter':>9}{'cpu s/it':>10}{'/torch':>8}{'/torch cpu':>11}"
              f"{'train loss':>11}{'val loss':>10}{'train +MiB':>11}{'traced MiB':>11}")
    print(header)
    print("  " + "-" * (len(header) - 2))
    torch_rounds = results.get("torch")
    for fw in names:
        recs = results[fw]
        wall = [v for r in recs for v in per_iteration(r, "wall")]
        cpu = [v for r in recs for v in per_iteration(r, "cpu")]
        ratio = ratio_cpu = None
        if torch_rounds and fw != "torch":
            ratio = statistics.median(a / b for r, t in zip(recs, torch_rounds)
                                      for a, b in zip(per_iteration(r, "wall"), per_iteration(t, "wall")))
            ratio_cpu = statistics.median(a / b for r, t in zip(recs, torch_rounds)
                                          for a, b in zip(per_iteration(r, "cpu"), per_iteration(t, "cpu")))
        train_loss = statistics.fmean(np.mean(r["losses"][-args.chunk:]) for r in recs)
        val = statistics.fmean(r["evals"][-1][1] for r in recs)
        mem = memory.get(fw, {})
        print(f"  {fw:<14}{parameters[fw]:>9,}{fmt(statistics.median(wall)):>9}"
              f"{fmt(statistics.median(cpu)):>10}{fmt(ratio, '.2f'):>8}{fmt(ratio_cpu, '.2f'):>11}"
              f"{fmt(train_loss, '.4f'):>11}{fmt(val, '.4f'):>10}"
              f"{fmt(mem.get('train_plus') and mem['train_plus'] / MiB, '.1f'):>11}"
              f"{fmt(mem.get('traced_peak') and mem['traced_peak'] / MiB, '.1f'):>11}")
        if "error" in mem:
            print(f"    memory worker failed: {mem['error']}")
    if rounds > 1:
        for fw in names:
            vals = ", ".join(f"{r['evals'][-1][1]:.4f}" for r in results[fw])
            print(f"  {fw}: val loss per round {vals}")
    print(f"\ns/iter, cpu s/it: median over chunks of {args.chunk} iterations of wall-clock / process CPU "
          "seconds per iteration | /torch: median of the per-chunk ratios (chunks run in alternation)")
    print(f"train loss: mean of the last {args.chunk} training batches | val loss: mean cross-entropy over "
          f"{args.eval_batches} fixed batches of {RECIPE['batch_size']}x{RECIPE['block_size']} validation "
          "characters")
    if args.memory_steps:
        print(f"train +MiB: rise of the resident set's high-water mark over {args.memory_steps} training "
              "steps in a fresh process | traced MiB: tracemalloc's peak over those steps (scratchnn only)")
    print(f"load average (1, 5, 15 min): {load_before} before, {load_after} after; threads per framework: "
          f"{THREADS}")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iters", type=int, default=200,
                        help="training iterations per round (the recipe: 2000)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="train fresh models this many times (default 1)")
    parser.add_argument("--threads", type=int, default=1, help="threads for every framework (default 1)")
    parser.add_argument("--chunk", type=int, default=10, help="iterations per timed chunk (default 10)")
    parser.add_argument("--frameworks", default="scratchnn,torch",
                        help=f"comma-separated, from {', '.join(FRAMEWORKS)} (default scratchnn,torch)")
    parser.add_argument("--eval-batches", type=int, default=40, help="fixed validation batches (default 40)")
    parser.add_argument("--eval-interval", type=int, default=0,
                        help="also print the validation loss every this many iterations (0: at the end only)")
    parser.add_argument("--memory-steps", type=int, default=5,
                        help="training steps of the memory measurement (0: skip it; default 5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_worker:
        memory_worker(args.memory_worker, args.memory_steps, args.seed)
        return
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    for f in frameworks:
        if f not in FRAMEWORKS:
            parser.error(f"unknown framework {f!r} (choose from {', '.join(FRAMEWORKS)})")
    for name in ("iters", "rounds", "chunk", "eval_batches", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")

    load_before = load_average()
    print(f"machine: {mlp.platform.processor() or mlp.platform.machine()}, {mlp.cores()} cores usable, "
          f"python {mlp.platform.python_version()}, numpy {np.__version__}")
    print(f"numpy BLAS: {mlp.blas_info()}")
    vocab, train, val = load_tokens()
    print(f"data: tiny Shakespeare, {vocab} characters, {len(train):,} training and {len(val):,} "
          f"validation characters")
    batches = Batches(train, val, args.seed, args.eval_batches)
    log = print
    results, parameters = {}, {}
    for round_ in range(args.rounds):
        runners = [make_runner(fw, vocab, args.seed + round_) for fw in frameworks]
        for runner in runners:
            parameters[runner.name] = runner.parameters
        if round_ == 0:
            print("versions: " + ", ".join(f"{r.name} {r.version}" for r in runners))
        out = train_interleaved(runners, batches, args.iters, args.chunk, args.eval_interval, log)
        if not args.eval_interval:
            for runner in runners:
                out[runner.name]["evals"].append((args.iters, batches.val_loss(runner)))
        for name, record in out.items():
            results.setdefault(name, []).append(record)
    load_after = load_average()
    memory = {}
    if args.memory_steps:
        for fw in frameworks:
            memory[fw] = measure_memory(fw, args.memory_steps, args.seed)
    report(results, args.rounds, memory, args, parameters, load_before, load_after)


if __name__ == "__main__":
    main()
