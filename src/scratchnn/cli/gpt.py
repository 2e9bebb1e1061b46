"""``scratchnn train --model gpt`` and ``scratchnn generate``: a character-level GPT on tiny
Shakespeare (nanoGPT's laptop recipe), and text from a trained run.

    scratchnn train --dataset tiny_shakespeare --model gpt            # 10 epochs of 200 steps
    scratchnn train --model gpt --layers 2 --embed 64 --epochs 3 --seed 0
    scratchnn generate runs/<name> --prompt "ROMEO:" --tokens 300 --temperature 0.8 --top-k 40

Training: the text's first 90% trains, the last 10% validates (nanoGPT's split); one id per
character (``CharTokenizer``). An **epoch is ``--steps-per-epoch`` steps** (default 200), each on
a batch of ``--batch-size`` (12) windows of ``--block-size`` (64) characters drawn at random from
the training text (``TextWindows``): the text holds a million windows, so "one pass over the
data" means nothing useful here, and a fixed number of steps makes epochs comparable across
block and batch sizes. The defaults, 10 epochs of 200 steps, are nanoGPT's 2000 iterations.
After each epoch the validation loss is measured on 20 fixed batches of validation windows.

The model is ``scratchnn.models.GPT`` (``--layers`` 4, ``--heads`` 4, ``--embed`` 128,
``--dropout`` 0), trained with AdamW as nanoGPT does: learning rate ``--lr`` (1e-3) warmed up
over the first 5% of the steps (at most 100) then cosine-decayed to a tenth of it at the last
step, betas (0.9, 0.99), weight decay 0.1 on kernels and embeddings (not on biases and layer
norms), gradients clipped to a global norm of 1. ``--optimizer`` replaces AdamW by another
optimizer with its defaults (and ``--lr``).

The run folder holds ``model.scratchnn``, ``run.json`` (with the vocabulary, which ``generate``
needs), ``history.csv``, ``learning_curves.png`` and ``summary.txt`` (with 300 characters
generated at temperature 0.8 from a newline).

Generating: the prompt is encoded with the run's vocabulary (a character the model never saw is
an error that names it), then ``--tokens`` characters are sampled one at a time
(``scratchnn.generation.generate``); the prompt and the new characters are printed. The model
reads at most its block size: a longer prompt is cropped to its last ``block_size`` characters
for the model (the whole prompt is still printed), and so is the growing text.
"""
import datetime
import io
import json
import os
import platform
import time

import numpy as np

from .. import callbacks as _callbacks
from .. import optimizers as _optimizers
from ..datasets import tiny_shakespeare
from ..generation import generate as _generate
from ..losses import SparseCategoricalCrossentropy
from ..models import GPT
from ..optimizers.schedules import CosineDecay
from ..preprocessing import CharTokenizer, TextWindows
from ..utils import set_random_seed
from .errors import CLIError, check_out_folder
from .use import load_run

#: The text datasets, and the models that train on them.
TEXT_DATASETS = {"tiny_shakespeare": "tiny Shakespeare, 1,115,394 characters of Shakespeare's plays (ships "
                                     "with scratchnn)"}
MODELS = ("gpt",)
#: The options only the GPT has (``train`` refuses them for the other models).
GPT_OPTIONS = ("layers", "heads", "embed", "block_size", "steps_per_epoch")
DEFAULTS = {"layers": 4, "heads": 4, "embed": 128, "block_size": 64, "batch_size": 12, "epochs": 10,
            "steps_per_epoch": 200, "lr": 1e-3, "dropout": 0.0}
VALIDATION_BATCHES = 20            # nanoGPT's eval_iters on a CPU
SAMPLE = {"prompt": "\n", "tokens": 300, "temperature": 0.8}


def wants(args):
    """Whether ``scratchnn train`` was asked for a language model (this module's work)."""
    return args.model in MODELS or str(args.dataset).replace("-", "_").lower() in TEXT_DATASETS


def check_other_model(args):
    """``train`` without ``--model gpt``: refuse the GPT's options instead of ignoring them."""
    given = [name for name in GPT_OPTIONS if getattr(args, name, None) is not None]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise CLIError(f"{flags}: option(s) of --model gpt, not of --model {args.model}", usage=True)


def _options(args):
    """The GPT's settings: the command's options, else ``DEFAULTS``; contradictions refused."""
    dataset = str(args.dataset).replace("-", "_").lower()
    if dataset not in TEXT_DATASETS:
        raise CLIError(f"--model gpt trains on text: --dataset {' or '.join(TEXT_DATASETS)}, "
                       f"not {args.dataset}", usage=True)
    if args.model not in MODELS:
        raise CLIError(f"--dataset {dataset} is text: train it with --model gpt (not {args.model})",
                       usage=True)
    if args.hidden is not None:
        raise CLIError("--hidden sets the layers of the mlp; the gpt's size is --layers, --heads and --embed",
                       usage=True)
    settings = {name: getattr(args, name, None) for name in DEFAULTS}
    settings = {name: DEFAULTS[name] if value is None else value for name, value in settings.items()}
    if settings["embed"] % settings["heads"]:
        raise CLIError(f"--embed {settings['embed']} must be a multiple of --heads {settings['heads']} (each "
                       "head gets embed / heads features)", usage=True)
    settings["dataset"] = dataset
    return settings


def _optimizer(args, settings, total_steps):
    """nanoGPT's AdamW and learning-rate schedule (see the module docstring), or ``--optimizer``."""
    lr = settings["lr"]
    if args.optimizer is not None:
        optimizer = _optimizers.get(args.optimizer)
        optimizer.learning_rate = lr
        return optimizer
    warmup = min(100, total_steps // 20)
    schedule = CosineDecay(0.0, decay_steps=max(1, total_steps - warmup), alpha=0.1, warmup_target=lr,
                           warmup_steps=warmup)
    optimizer = _optimizers.AdamW(learning_rate=schedule, weight_decay=0.1, beta_1=0.9, beta_2=0.99,
                                  epsilon=1e-8, global_clipnorm=1.0)
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    return optimizer


def _run_dir(args, dataset):
    name = args.name or f"{datetime.datetime.now():%Y%m%d-%H%M%S}-{dataset}-gpt"
    path = os.path.join(args.out, name)
    if os.path.exists(path) and os.listdir(path):
        raise CLIError(f"the run folder {path} exists and is not empty; choose another --name")
    os.makedirs(path, exist_ok=True)
    return path


def train(args, studio=None):
    """``scratchnn train --model gpt``: see the module docstring (``studio``: as ``train.run``'s)."""
    settings = _options(args)
    check_out_folder(args.out)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little") % 2**31
    set_random_seed(seed)
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    block, batch, steps = settings["block_size"], settings["batch_size"], settings["steps_per_epoch"]

    t0 = time.perf_counter()
    text = tiny_shakespeare.load_data()
    tokenizer = CharTokenizer().fit(text)
    train_ids, val_ids = tiny_shakespeare.train_validation_split(tokenizer.encode(text))
    train_windows = TextWindows(train_ids, block, batch_size=batch, steps=steps, seed=seed)
    val_windows = TextWindows(val_ids, block, batch_size=batch, steps=VALIDATION_BATCHES, seed=seed + 1,
                              fixed=True)
    t_data = time.perf_counter() - t0
    model = GPT(tokenizer.vocabulary_size, sequence_length=block, num_layers=settings["layers"],
                num_heads=settings["heads"], hidden_dim=settings["embed"], dropout=settings["dropout"],
                name=f"{settings['dataset']}_gpt")
    model.build((None, block))
    model.compile(optimizer=_optimizer(args, settings, settings["epochs"] * steps),
                  loss=SparseCategoricalCrossentropy(from_logits=True))
    out_dir = _run_dir(args, settings["dataset"])
    say(f"scratchnn train: a character-level GPT on {TEXT_DATASETS[settings['dataset']]}")
    say(f"  {len(train_ids):,} training / {len(val_ids):,} validation characters, "
        f"{tokenizer.vocabulary_size} distinct; {settings['epochs']} epochs of {steps} steps of {batch} "
        f"windows of {block} characters; seed {seed}; run folder {out_dir}")
    summary = io.StringIO()
    model.summary(print_fn=lambda line: summary.write(line + "\n"))
    if not args.quiet:
        print(summary.getvalue(), end="")

    cbs = [_callbacks.CSVLogger(os.path.join(out_dir, "history.csv"))] + (studio.callbacks if studio else [])
    if args.early_stopping is not None:
        cbs.append(_callbacks.EarlyStopping(monitor="val_loss", patience=args.early_stopping,
                                            restore_best_weights=True, verbose=0 if args.quiet else 1))
    t0 = time.perf_counter()
    history = model.fit(train_windows, epochs=settings["epochs"], steps_per_epoch=steps,
                        validation_data=val_windows, callbacks=cbs, verbose=0 if args.quiet else "auto")
    t_train = time.perf_counter() - t0
    t0 = time.perf_counter()
    val_loss = float(model.evaluate(val_windows, verbose=0))
    t_eval = time.perf_counter() - t0
    model.save(os.path.join(out_dir, "model.scratchnn"))
    sample = tokenizer.decode(_generate(model, tokenizer.encode(SAMPLE["prompt"]), SAMPLE["tokens"],
                                        temperature=SAMPLE["temperature"], seed=seed, block_size=block))

    from .. import plot                  # lazily: matplotlib loads only when the figures are drawn
    plot.learning_curves(history, path=os.path.join(out_dir, "learning_curves.png"),
                         title=f"{settings['dataset']}: {model.name}")
    record = {"dataset": settings["dataset"], "kind": "text", "task": "language_model", "model": "gpt",
              "vocabulary": "".join(tokenizer.vocabulary_), "block_size": block, "seed": seed,
              "epochs_run": len(history.epoch), "steps_per_epoch": steps, "batch_size": batch,
              "command": " ".join(["scratchnn"] + list(getattr(args, "argv", []))),
              "options": {k: v for k, v in vars(args).items() if k != "argv"},
              "settings": settings, "validation": {"loss": val_loss, "batches": VALIDATION_BATCHES},
              "sample": {**SAMPLE, "seed": seed, "text": sample},
              "seconds": {"data": t_data, "train": t_train, "evaluate": t_eval}}
    with open(os.path.join(out_dir, "run.json"), "w") as f:
        json.dump(record, f, indent=2, default=list)
    with open(os.path.join(out_dir, "summary.txt"), "w") as f:
        f.write(_summary_text(model, record, summary.getvalue()))
    say("")
    say(f"validation loss {val_loss:.4f} ({VALIDATION_BATCHES} batches of {batch} x {block} characters)")
    say(f"time: data {t_data:.1f} s, training {t_train:.1f} s, validation {t_eval:.1f} s")
    say(f"sample (temperature {SAMPLE['temperature']}):{sample}")
    say(f"wrote {out_dir}/: " + ", ".join(sorted(os.listdir(out_dir))))
    if studio is not None:
        studio.finish(out_dir)
    return 0


def _summary_text(model, record, summary):
    optimizer = model.optimizer
    lines = [f"scratchnn run: a character-level GPT on {record['dataset']}",
             f"command: {record['command']}",
             f"date: {datetime.datetime.now().isoformat(timespec='seconds')}; "
             f"python {platform.python_version()}; numpy {np.__version__}",
             f"seed: {record['seed']}; epochs run: {record['epochs_run']} of {record['steps_per_epoch']} "
             "steps; "
             f"batch: {record['batch_size']} windows of {record['block_size']} characters; "
             f"optimizer: {type(optimizer).__name__} (learning rate {record['settings']['lr']:g})",
             "", summary.rstrip(), "",
             f"validation loss: {record['validation']['loss']:.4f}",
             "time: " + ", ".join(f"{k} {v:.1f} s" for k, v in record["seconds"].items()),
             "", f"sample ({record['sample']['tokens']} characters at temperature "
                 f"{record['sample']['temperature']}, seed {record['seed']}, from a newline):",
             record["sample"]["text"]]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- generate
def _language_model(path):
    model, record, _, _ = load_run(path)
    vocabulary = record.get("vocabulary")
    if record.get("kind") != "text" or not isinstance(model, GPT) or not isinstance(vocabulary, str) \
            or len(set(vocabulary)) != len(vocabulary) or len(vocabulary) != model.vocabulary_size:
        raise CLIError(f"{path} is not a language-model run: generate needs a run of "
                       "`scratchnn train --model gpt` (its run.json holds the vocabulary)", usage=True)
    return model, record


def generate(args):
    """``scratchnn generate RUN``: print the prompt followed by ``--tokens`` generated characters."""
    model, record = _language_model(args.run)
    vocabulary = record["vocabulary"]
    prompt = args.prompt
    if prompt == "":
        raise CLIError("the prompt is empty: give at least one character (the default is a newline)",
                       usage=True)
    unknown = sorted(set(prompt) - set(vocabulary))
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:10]) + (", ..." if len(unknown) > 10 else "")
        raise CLIError(f"the prompt has {len(unknown)} character(s) the model never saw: {shown}; it knows "
                       f"the {len(vocabulary)} characters of {record.get('dataset', 'its text')}: "
                       f"{vocabulary!r}", usage=True)
    tokenizer = CharTokenizer(vocabulary=vocabulary)
    try:
        ids = _generate(model, tokenizer.encode(prompt), args.tokens, temperature=args.temperature,
                        top_k=args.top_k, top_p=args.top_p, seed=args.seed, block_size=model.sequence_length)
    except ValueError as e:
        raise CLIError(str(e).replace("generate: ", ""), usage=True) from None
    print(tokenizer.decode(ids))
    return 0
