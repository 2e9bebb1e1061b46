"""The ``scratchnn`` command (also ``python -m scratchnn``).

    scratchnn train                          # the course's MLP on MNIST, 5 epochs, a run folder
    scratchnn train --dataset fashion_mnist --hidden 256,128 --dropout 0.2 --epochs 10
    scratchnn train --dataset tiny_shakespeare --model gpt   # a character-level GPT (cli/gpt.py)
    scratchnn generate runs/<name> --prompt "ROMEO:" --tokens 300 --temperature 0.8 --top-k 40
    scratchnn evaluate runs/<name>           # test loss, accuracy and per-class report
    scratchnn evaluate runs/<name> --report  # + confusion matrix, AUC, ROC/PR curves (binary)
    scratchnn search --dataset breast_cancer --grid lr=0.001,0.01 --grid hidden=16,32,64 --cv 5
    scratchnn predict runs/<name> digit.png  # top-3 classes of a picture
    scratchnn export runs/<name>             # runs/<name>/model.onnx, for onnxruntime and others
    scratchnn datasets list | fetch NAME | path [NAME]
    scratchnn lab                            # the learning-lab experiments
    scratchnn lab optimizers --out figs      # run one: figures (PNG), report.txt, numbers.json
    scratchnn train --studio                 # watch and steer the training live in a browser
    scratchnn studio runs                    # browse and compare finished runs (cli/studio.py)

User errors print one line (no traceback): exit status 2 for a mistake of the user (a bad
option, a missing or unsuitable file), 1 for a failure that is not the user's (a data set that
cannot be fetched, a model that outputs NaN, a full disk). A mistyped option or choice shows the
subcommand's usage and the closest valid name ("did you mean --epochs?").
"""
import argparse
import re
import sys

from .. import datasets
from ..functional import ACTIVATIONS
from ..optimizers import OPTIMIZERS
from . import export, gpt, lab, search, studio, train, use
from .data import TASKS, task
from .errors import CLIError, dataset_unavailable, did_you_mean
from .train import MODELS

_INVALID_CHOICE = re.compile(r"invalid choice: '?(?P<given>[^' ]*)'? \(choose from (?P<choices>.*)\)")


class Parser(argparse.ArgumentParser):
    """argparse's parser, with "did you mean ...?" for a mistyped choice (a subcommand, a dataset,
    an optimizer ...) and, through ``unknown_options``, for a mistyped option."""

    def error(self, message):
        found = _INVALID_CHOICE.search(message)
        if found:
            choices = [c.strip().strip("'\"") for c in found["choices"].split(",")]
            message += did_you_mean(found["given"], choices)
        super().error(message)

    def unknown_options(self, extras):
        """Exit with this parser's usage and "unrecognized arguments", suggesting the option
        closest to the first unknown one."""
        options = [o for action in self._actions for o in action.option_strings if o.startswith("--")]
        unknown = [e for e in extras if e.startswith("-")]
        hint = did_you_mean(unknown[0].split("=")[0], options) if unknown else ""
        self.error(f"unrecognized arguments: {' '.join(extras)}{hint}")


def _number(convert, accept, expected):
    """An argparse ``type``: ``convert(text)`` (int or float), refused unless ``accept(value)``;
    the message says what was ``expected`` and what was given."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
        return value
    return parse


_positive_int = _number(int, lambda v: v >= 1, "a positive integer")
_non_negative_int = _number(int, lambda v: v >= 0, "an integer >= 0")
_at_least_two = _number(int, lambda v: v >= 2, "an integer >= 2 (folds)")
_fraction = _number(float, lambda v: 0 <= v < 1, "a number in [0, 1)")
_learning_rate = _number(float, lambda v: 0 < v < float("inf"), "a positive learning rate")
_temperature = _number(float, lambda v: 0 <= v < float("inf"), "a temperature >= 0")
_probability = _number(float, lambda v: 0 < v <= 1, "a probability in (0, 1]")


def _hidden(text):
    try:
        units = tuple(int(u) for u in text.split(",") if u.strip() != "")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected layer widths such as 128,64, got {text!r}") from None
    if any(u < 1 for u in units):
        raise argparse.ArgumentTypeError(f"layer widths must be positive, got {text!r}")
    return units


def parser():
    """The ``scratchnn`` parser; ``parser().subcommands`` maps each subcommand to its parser."""
    p = Parser(prog="scratchnn", description="Train, evaluate and use scratchnn networks.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    t = sub.add_parser("train", help="train a network and write a run folder",
                       description="Train a network on a dataset, evaluate it on the test set and write a "
                                   "run folder (model, history.csv, plots, summary.txt).")
    t.add_argument("--dataset", choices=list(TASKS) + list(gpt.TEXT_DATASETS),
                   metavar="NAME",
                   help=f"one of {', '.join(list(TASKS) + list(gpt.TEXT_DATASETS))} (default: mnist; "
                        "tiny_shakespeare with --model gpt)")
    t.add_argument("--model", default="mlp", choices=list(MODELS) + list(gpt.MODELS),
                   help="mlp (Dense layers, see --hidden), cnn (two Conv2D+MaxPooling2D blocks, "
                        "Dense(128), Dropout; images only) or gpt (a character-level transformer; "
                        "text only, see --layers) (default: mlp)")
    t.add_argument("--hidden", type=_hidden, metavar="UNITS",
                   help="hidden layer widths, e.g. 128,64 (default: 50 for MNIST, as in the course)")
    t.add_argument("--activation", default="relu", choices=sorted(ACTIVATIONS), metavar="NAME",
                   help="hidden-layer activation (default: relu)")
    t.add_argument("--optimizer", choices=OPTIMIZERS.names(), metavar="NAME",
                   help=f"one of {', '.join(OPTIMIZERS.names())} (default: adam; for the gpt, AdamW with "
                        "nanoGPT's settings)")
    t.add_argument("--lr", type=_learning_rate,
                   help="learning rate (default: the optimizer's, 0.001 for adam)")
    t.add_argument("--batch-size", type=_positive_int,
                   help="samples per update (default: 32 for the MNIST mlp, 128 for the cnn)")
    t.add_argument("--epochs", type=_positive_int,
                   help="passes over the training data (default: 5 for MNIST)")
    t.add_argument("--validation-split", type=_fraction, default=0.1, metavar="FRACTION",
                   help="last fraction of the training data held out for validation (default: 0.1; 0: none)")
    t.add_argument("--early-stopping", type=_non_negative_int, metavar="PATIENCE",
                   help="stop when the validation loss has not improved for PATIENCE epochs")
    t.add_argument("--dropout", type=_fraction, default=None, metavar="RATE",
                   help="dropout rate after each hidden layer (default: 0 for the mlp, 0.5 for the cnn)")
    t.add_argument("--seed", type=int, help="random seed (default: a fresh one, recorded in the run)")
    t.add_argument("--out", default="runs", metavar="DIR", help="where run folders go (default: runs)")
    t.add_argument("--name", help="run folder name (default: <date>-<time>-<dataset>)")
    t.add_argument("--quiet", action="store_true", help="print only errors")
    t.add_argument("--distributed", action="store_true",
                   help="data-parallel training over MPI, under mpiexec -n RANKS (mlp, cnn): --batch-size "
                        "samples per rank and step; rank 0 writes the run (pip install 'scratchnn[mpi]')")
    studio.add_train_options(t)
    g = t.add_argument_group("gpt (--model gpt; an epoch is --steps-per-epoch steps, see cli/gpt.py)")
    g.add_argument("--layers", type=_positive_int, help="transformer blocks (default: 4)")
    g.add_argument("--heads", type=_positive_int, help="attention heads per block (default: 4)")
    g.add_argument("--embed", type=_positive_int,
                   help="width of the model, a multiple of --heads (default: 128)")
    g.add_argument("--block-size", type=_positive_int,
                   help="characters the model reads at once (default: 64)")
    g.add_argument("--steps-per-epoch", type=_positive_int,
                   help="training steps per epoch, each on --batch-size random windows (default: 200)")

    ge = sub.add_parser("generate", help="write text with a trained language model (a --model gpt run)",
                        description="Print the prompt followed by --tokens characters sampled from a "
                                    "trained GPT, one at a time. The model reads at most its block size: "
                                    "a longer prompt is cropped to its last block-size characters for the "
                                    "model (it is printed whole).")
    ge.add_argument("run", metavar="RUN_OR_MODEL",
                    help="a run folder of `train --model gpt` (or the model file in it)")
    ge.add_argument("--prompt", default="\n", help="the text to continue (default: a newline)")
    ge.add_argument("--tokens", type=_non_negative_int, default=300,
                    help="characters to generate (default: 300)")
    ge.add_argument("--temperature", type=_temperature, default=0.8,
                    help="< 1 sharper, > 1 flatter, 0 always the most likely character (default: 0.8)")
    ge.add_argument("--top-k", type=_positive_int, metavar="K",
                    help="sample among the K most likely characters")
    ge.add_argument("--top-p", type=_probability, metavar="P",
                    help="sample among the most likely characters that reach probability P")
    ge.add_argument("--seed", type=_non_negative_int, help="random seed: the same seed repeats the same text")

    e = sub.add_parser("evaluate", help="test loss, accuracy and per-class precision/recall/F1 of a run")
    e.add_argument("run", metavar="RUN_OR_MODEL", help="a run folder or a .scratchnn file")
    e.add_argument("--dataset", metavar="NAME", help="the data to test on (default: the run's)")
    e.add_argument("--report", action="store_true",
                   help="also the confusion matrix, ROC AUC and average precision, and for a binary task "
                        "the ROC and precision-recall curves (PNG files next to the run)")

    s = sub.add_parser("search", help="cross-validated grid search over the MLP's hyper-parameters",
                       description="Cross-validate every combination of the --grid values on the training "
                                   "split, print them ranked, refit the best, test it on the test split and "
                                   "write results.csv, heatmap.png and the best model to --out.")
    s.add_argument("--dataset", default="breast_cancer", choices=list(TASKS), metavar="NAME",
                   help=f"one of {', '.join(TASKS)} (default: breast_cancer)")
    s.add_argument("--grid", action="append", metavar="NAME=V1,V2",
                   help="a hyper-parameter and its values, repeatable: lr=0.001,0.01  hidden=16,32,64x32  "
                        "activation=relu,tanh  dropout=0,0.2  batch_size=16,64  epochs=20,50  "
                        "optimizer=sgd,adam")
    s.add_argument("--cv", type=_at_least_two, default=5, help="number of folds (default: 5)")
    s.add_argument("--scoring", metavar="NAME",
                   help="what ranks the candidates: accuracy, f1, roc_auc, r2, neg_mean_squared_error, ... "
                        "(default: accuracy for classification, r2 for regression)")
    s.add_argument("--n-jobs", type=int, default=1, metavar="N",
                   help="fits run in N parallel processes; -1: one per core (default: 1)")
    s.add_argument("--dask-scheduler", metavar="ADDRESS",
                   help="run the fits on a Dask cluster, e.g. tcp://10.0.0.5:8786 (its workers need "
                        "scratchnn; install scratchnn[dask] here); the results equal a run on this machine")
    s.add_argument("--epochs", type=_positive_int, help="epochs per fit (default: the dataset's, as train)")
    s.add_argument("--batch-size", type=_positive_int, help="batch size (default: the dataset's, as train)")
    s.add_argument("--hidden", type=_hidden, metavar="UNITS", help="hidden widths when not in the grid")
    s.add_argument("--activation", default="relu", choices=sorted(ACTIVATIONS), metavar="NAME",
                   help="hidden activation when not in the grid (default: relu)")
    s.add_argument("--dropout", type=_fraction, default=None, metavar="RATE",
                   help="dropout rate when not in the grid (default: 0)")
    s.add_argument("--optimizer", default="adam", choices=OPTIMIZERS.names(), metavar="NAME",
                   help="optimizer when not in the grid (default: adam)")
    s.add_argument("--lr", type=_learning_rate, help="learning rate when not in the grid")
    s.add_argument("--seed", type=int,
                   help="random seed: the split, the folds and every fit (default: a fresh one)")
    s.add_argument("--out", metavar="DIR",
                   help="folder for the results (default: runs/<date>-<time>-search-<dataset>)")
    s.add_argument("--quiet", action="store_true", help="no progress bar; the table and errors only")

    pr = sub.add_parser("predict", help="classify pictures (PNG/JPEG) with a trained image model")
    pr.add_argument("run", metavar="RUN_OR_MODEL", help="a run folder or a .scratchnn file")
    pr.add_argument("images", metavar="IMAGE", nargs="+", help="picture files")
    pr.add_argument("--top", type=_positive_int, default=3, help="how many classes to list (default: 3)")
    pr.add_argument("--dataset", metavar="NAME",
                    help="the data the model was trained on (default: the run's)")

    x = sub.add_parser("export", help="write a trained model as ONNX, to run it outside scratchnn",
                       description="Write the model of a run folder (or a .scratchnn file) as an ONNX file "
                                   "(needs pip install 'scratchnn[onnx]'), beside the model unless --out "
                                   "says where. A layer that cannot be exported is named; nothing is "
                                   "written.")
    x.add_argument("run", metavar="RUN_OR_MODEL", help="a run folder or a .scratchnn file")
    x.add_argument("--format", default="onnx", choices=list(export.FORMATS),
                   help="the file format (default: onnx)")
    x.add_argument("--out", metavar="PATH", help="the file to write, or a folder (default: beside the model)")
    x.add_argument("--opset", type=_number(int, lambda v: v >= 13, "an ONNX opset >= 13"), default=17,
                   help="the ONNX opset version (default: 17)")

    d = sub.add_parser("datasets", help="list, fetch or locate datasets")
    d.add_argument("action", choices=["list", "fetch", "path"])
    d.add_argument("name", nargs="?", metavar="NAME", help="dataset name (for fetch and path)")

    la = sub.add_parser("lab", help="list or run the learning-lab experiments (figures and a report)",
                        description="Each lesson of a deep-learning course as an experiment: without NAME, "
                                    "list them; with NAME (or 'all'), run it and write its figures (PNG), "
                                    "report.txt and numbers.json.")
    la.add_argument("name", nargs="?", metavar="NAME", help="the experiment to run, or 'all'")
    la.add_argument("--out", metavar="DIR",
                    help="where to write the files (default: runs/lab/NAME; with 'all', DIR/NAME)")
    la.add_argument("--quick", action="store_true", help="a smaller, faster run that shows the same things")
    la.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default: 0)")
    la.add_argument("--quiet", action="store_true", help="print only errors")
    studio.add_parser(sub)
    p.subcommands = dict(sub.choices)
    return p


def train_command(args):
    """``train``: a language model (``cli/gpt.py``) or a classifier/regressor (``cli/train.py``)."""
    if args.dataset is None:
        args.dataset = "tiny_shakespeare" if args.model in gpt.MODELS else "mnist"
    if gpt.wants(args):
        if getattr(args, "distributed", False):
            raise CLIError("--distributed trains the mlp and the cnn, not --model gpt", usage=True)
    else:
        gpt.check_other_model(args)
    session = studio.training_studio(args)       # --studio: serves the live page (cli/studio.py)
    try:
        return gpt.train(args, session) if gpt.wants(args) else train.run(args, session)
    finally:
        if session is not None:
            session.close()


def datasets_command(args):
    if args.action == "list":
        for name, spec in TASKS.items():
            if spec.kind == "image":
                folder = datasets.path(name)
                cached = all((folder / f"{f}.gz").exists() for f in datasets.DATASETS[name].files)
                where = "in the cache" if cached else "downloaded on first use"
            else:
                where = "ships with scratchnn"
            print(f"{name:<14} {spec.description} ({where})")
        for name, description in gpt.TEXT_DATASETS.items():     # text, for --model gpt
            print(f"{name:<14} {description}")
        return 0
    if args.action == "path":
        if args.name is None:
            print(datasets.path())
            return 0
    if args.name is None:
        raise CLIError(f"datasets {args.action} needs a dataset NAME: one of {', '.join(TASKS)}", usage=True)
    try:
        spec = task(args.name)
    except KeyError as e:
        raise CLIError(e.args[0] + did_you_mean(args.name, TASKS), usage=True) from None
    if spec.kind != "image":
        print(f"{spec.name} ships with scratchnn: nothing to fetch" if args.action == "fetch"
              else f"{spec.name} ships inside the package: scratchnn.datasets.load_{spec.name}()")
        return 0
    if args.action == "path":
        print(datasets.path(spec.name))
        return 0
    files = datasets.download(spec.name)
    for path in files.values():
        print(path)
    return 0


def main(argv=None):
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    p = parser()
    args, extras = p.parse_known_args(argv)
    if extras:                          # the subcommand's usage, and the option meant
        p.subcommands[args.command].unknown_options(extras)
    args.argv = argv
    commands = {"train": train_command, "evaluate": use.evaluate, "predict": use.predict,
                "search": search.run, "datasets": datasets_command, "lab": lab.run, "generate": gpt.generate,
                "export": export.run, "studio": studio.run}
    try:
        return commands[args.command](args)
    except CLIError as e:
        print(f"scratchnn {args.command}: error: {e}", file=sys.stderr)
        return 2 if e.usage else 1
    except datasets.DatasetUnavailableError as e:        # not the user's mistake: exit status 1
        print(f"scratchnn {args.command}: error: {dataset_unavailable(e)}", file=sys.stderr)
        return 1
    except OSError as e:           # a file that cannot be written (a full disk, no permission ...)
        where = f"{e.filename}: " if e.filename else ""
        print(f"scratchnn {args.command}: error: {where}{e.strerror or e}; check the path, its permissions "
              "and the free space", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"scratchnn {args.command}: interrupted", file=sys.stderr)
        return 130
