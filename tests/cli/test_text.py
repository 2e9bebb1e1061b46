"""How the command line lays out its reports (``scratchnn/cli/text.py``): no line longer than 100
characters, and nothing lost: a wrapped command reads back as the same command, a confusion matrix
split into numbered columns or blocks holds every count."""
import shlex

import numpy as np
import pytest

from scratchnn.cli.data import FASHION_CLASSES
from scratchnn.cli.text import WIDTH, command_lines, confusion_lines, sentence_lines


def _read_matrix(lines, labels):
    """The counts back from ``confusion_lines``: block by block, the numbers after each row's label
    (``labels``: the row labels as printed, without padding)."""
    k, width = len(labels), max(len(label) for label in labels)
    counts = [[] for _ in range(k)]
    body = [line for line in lines if not line.startswith(("(", "predicted classes "))]
    for start in range(0, len(body), k + 1):                     # a header line, then k rows
        for i, line in enumerate(body[start + 1:start + 1 + k]):
            assert line[:width].strip() == labels[i]
            counts[i] += [int(v) for v in line[width:].split()]
    return np.array(counts)


def test_a_confusion_matrix_with_fashion_names_fits(rng):
    # Fashion-MNIST's names made 141-character lines: each column is now as wide as it needs
    counts = rng.integers(0, 1000, (10, 10))
    lines = confusion_lines(counts, FASHION_CLASSES)
    assert max(len(line) for line in lines) <= WIDTH
    assert lines[0].split("  ")[-1] == "Ankle boot" and lines[0].strip().startswith("T-shirt/top")
    assert lines[1].startswith("T-shirt/top ") and lines[10].startswith(" Ankle boot ")
    np.testing.assert_array_equal(_read_matrix(lines, FASHION_CLASSES), counts)


def test_a_confusion_matrix_with_long_names_numbers_its_columns(rng):
    counts = rng.integers(0, 10000, (10, 10))
    names = [f"{name} (a garment)" for name in FASHION_CLASSES]
    lines = confusion_lines(counts, names)
    assert max(len(line) for line in lines) <= WIDTH
    assert lines[0] == "(columns: the predicted classes by number)"
    assert lines[1].split() == [str(i) for i in range(10)]
    assert lines[2].startswith("0 T-shirt/top (a garment) ")
    assert lines[11].startswith("9 Ankle boot (a garment) ")
    np.testing.assert_array_equal(_read_matrix(lines, [f"{i} {n}" for i, n in enumerate(names)]), counts)


def test_a_confusion_matrix_with_short_names_keeps_them_as_headers():
    counts = np.array([[40, 2], [0, 71]])
    lines = confusion_lines(counts, ["malignant", "benign"])
    assert lines[0].split() == ["malignant", "benign"]
    assert lines[1].split() == ["malignant", "40", "2"] and lines[2].split() == ["benign", "0", "71"]


def test_a_confusion_matrix_of_many_classes_comes_in_blocks(rng):
    counts = rng.integers(0, 10000, (40, 40))
    lines = confusion_lines(counts, [f"class {i}" for i in range(40)])
    assert max(len(line) for line in lines) <= WIDTH
    headers = [line for line in lines if line.startswith("predicted classes ")]
    assert len(headers) >= 3 and headers[0].startswith("predicted classes 0 to ")
    np.testing.assert_array_equal(_read_matrix(lines, [f"{i} class {i}" for i in range(40)]), counts)
    long = confusion_lines(np.eye(2, dtype=int), ["x" * 300, "y"])  # a name longer than a line
    assert max(len(line) for line in long) <= WIDTH


@pytest.mark.parametrize("argv", [
    ["scratchnn", "train", "--out", "/data/" + "deep/" * 40, "--name", "it's mine", "--epochs", "3"],
    ["scratchnn", "search"] + ["--grid", "lr=0.001,0.01,0.1", "--grid", "hidden=16,32,64x32"] * 6,
])
def test_a_wrapped_command_reads_back_as_the_same_command(argv):
    lines = command_lines(argv, prefix="command:")
    assert max(len(line) for line in lines) <= WIDTH and len(lines) > 1
    assert all(line.endswith("\\") for line in lines[:-1])
    text = "\n".join(lines)[len("command:"):]
    assert shlex.split(text.replace("\\\n", "")) == argv                # as a POSIX shell joins the lines


def test_sentence_lines_wrap_at_spaces():
    text = "best refit on all 455 training samples: " + ", ".join(f"metric_{i} 0.{i:04d}" for i in range(12))
    lines = sentence_lines(text)
    assert max(len(line) for line in lines) <= WIDTH and " ".join(x.strip() for x in lines) == text
