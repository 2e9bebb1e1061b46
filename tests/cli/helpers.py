"""Helpers of the command-line tests."""
from scratchnn.cli import main


def run_train(out, name, *extra):
    """``scratchnn train --out OUT --name NAME --quiet EXTRA...``; the exit status."""
    return main(["train", "--out", str(out), "--name", name, "--quiet", *extra])
