"""``scratchnn train --model gpt`` and ``scratchnn generate`` (``scratchnn/cli/gpt.py``): the run
folder of a tiny GPT (files, record, history, summary with its sample, the recorded validation loss
reproduced from the saved model), generated text (the prompt then N characters of the vocabulary,
repeatable with a seed, greedy at temperature 0, a long prompt cropped to the block size), and the
errors: unknown prompt characters, options of the wrong model, a run that is not a language model.
"""
import csv
import json
import os

import numpy as np
import pytest

from scratchnn.cli import main
from scratchnn.datasets import tiny_shakespeare
from scratchnn.generation import generate
from scratchnn.models import GPT, load_model
from scratchnn.preprocessing import CharTokenizer, TextWindows

from tests.cli.helpers import run_train

PNG = b"\x89PNG\r\n\x1a\n"
TINY = ("--model", "gpt", "--layers", "1", "--heads", "2", "--embed", "16", "--block-size", "16",
        "--batch-size", "4", "--epochs", "2", "--steps-per-epoch", "5", "--seed", "0")
BLOCK = 16


@pytest.fixture(scope="module")
def gpt_run(tmp_path_factory):
    """A tiny GPT trained for 2 epochs of 5 steps (the default dataset of --model gpt)."""
    out = tmp_path_factory.mktemp("text")
    assert run_train(out, "tiny", *TINY) == 0
    return out / "tiny"


def _generate(capsys, run, *extra):
    status = main(["generate", str(run), *extra])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_run_folder_holds_the_model_its_record_and_a_sample(gpt_run):
    assert sorted(os.listdir(gpt_run)) == ["history.csv", "learning_curves.png", "model.scratchnn",
                                           "run.json", "summary.txt"]
    assert (gpt_run / "learning_curves.png").read_bytes()[:8] == PNG
    record = json.loads((gpt_run / "run.json").read_text())
    text = tiny_shakespeare.load_data()
    assert record["dataset"] == "tiny_shakespeare" and record["model"] == "gpt" and record["seed"] == 0
    assert record["vocabulary"] == "".join(sorted(set(text)))                     # 65 characters
    assert record["block_size"] == BLOCK and record["epochs_run"] == 2 and record["steps_per_epoch"] == 5
    with open(gpt_run / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and {"loss", "val_loss"} <= set(rows[0])
    assert float(rows[-1]["val_loss"]) == pytest.approx(record["validation"]["loss"], rel=1e-5)
    sample = record["sample"]["text"]
    assert sample.startswith("\n") and len(sample) == 1 + 300 and set(sample) <= set(record["vocabulary"])
    summary = (gpt_run / "summary.txt").read_text()
    assert "transformer_layer_0 (TransformerDecoder)" in summary and "temperature 0.8" in summary
    assert sample in summary and f"validation loss: {record['validation']['loss']:.4f}" in summary


def test_the_saved_model_reproduces_the_recorded_validation_loss(gpt_run):
    record = json.loads((gpt_run / "run.json").read_text())
    model = load_model(gpt_run / "model.scratchnn")
    assert isinstance(model, GPT) and model.sequence_length == BLOCK and model.num_layers == 1
    tokenizer = CharTokenizer(vocabulary=record["vocabulary"])
    _, val = tiny_shakespeare.train_validation_split(tokenizer.encode(tiny_shakespeare.load_data()))
    windows = TextWindows(val, BLOCK, batch_size=4, steps=20, seed=1, fixed=True)     # seed + 1
    assert model.evaluate(windows, verbose=0) == pytest.approx(record["validation"]["loss"], rel=1e-6)


def test_generate_prints_the_prompt_then_the_new_characters_repeatably(gpt_run, capsys):
    record = json.loads((gpt_run / "run.json").read_text())
    status, out, _ = _generate(capsys, gpt_run, "--prompt", "ROMEO:", "--tokens", "50", "--seed", "3",
                               "--top-k", "20")
    assert status == 0 and out.endswith("\n")
    text = out[:-1]
    assert text.startswith("ROMEO:") and len(text) == 6 + 50 and set(text) <= set(record["vocabulary"])
    again = ("--prompt", "ROMEO:", "--tokens", "50", "--top-k", "20")
    assert _generate(capsys, gpt_run, *again, "--seed", "3")[1] == out
    assert _generate(capsys, gpt_run, *again, "--seed", "4")[1] != out
    status, nucleus, _ = _generate(capsys, gpt_run, "--prompt", "ROMEO:", "--tokens", "20", "--top-p", "0.9",
                                   "--seed", "3")
    assert status == 0 and len(nucleus) == 6 + 20 + 1


def test_temperature_zero_is_the_greedy_continuation(gpt_run, capsys):
    record = json.loads((gpt_run / "run.json").read_text())
    tokenizer = CharTokenizer(vocabulary=record["vocabulary"])
    model = load_model(gpt_run / "model.scratchnn")
    ids = generate(model, tokenizer.encode("KING"), 30, temperature=0, block_size=BLOCK)
    expected = tokenizer.decode(ids)
    status, out, _ = _generate(capsys, gpt_run, "--prompt", "KING", "--tokens", "30", "--temperature", "0")
    assert status == 0 and out == expected + "\n"


def test_a_prompt_longer_than_the_block_size_is_cropped_for_the_model(gpt_run, capsys):
    """The whole prompt is printed; the model reads only its last BLOCK characters, so the new text is
    the one that the prompt's last BLOCK characters give."""
    prompt = "First Citizen:\nBefore we proceed any further, hear me speak."
    assert len(prompt) > BLOCK
    greedy = ("--tokens", "20", "--temperature", "0")
    status, out, _ = _generate(capsys, gpt_run, "--prompt", prompt, *greedy)
    _, tail, _ = _generate(capsys, gpt_run, "--prompt", prompt[-BLOCK:], *greedy)
    assert status == 0 and out.startswith(prompt)
    assert out[len(prompt):] == tail[BLOCK:]


def test_unknown_prompt_characters_are_named(gpt_run, capsys):
    status, out, err = _generate(capsys, gpt_run, "--prompt", "Ça, ROMÉO!")
    assert status == 2 and out == ""
    assert "2 character(s) the model never saw: 'Ç', 'É'" in err and "knows the 65 characters" in err
    status, _, err = _generate(capsys, gpt_run, "--prompt", "")
    assert status == 2 and "the prompt is empty" in err


def test_generate_refuses_a_run_that_is_not_a_language_model(tmp_path, capsys):
    assert run_train(tmp_path, "iris", "--dataset", "iris", "--epochs", "1", "--seed", "0") == 0
    status, _, err = _generate(capsys, tmp_path / "iris")
    assert status == 2 and "is not a language-model run" in err


@pytest.mark.parametrize("argv, message", [
    (("--dataset", "iris", "--layers", "2"), "--layers: option(s) of --model gpt, not of --model mlp"),
    (("--model", "gpt", "--embed", "10", "--heads", "4"), "--embed 10 must be a multiple of --heads 4"),
    (("--model", "gpt", "--dataset", "iris"), "--model gpt trains on text: --dataset tiny_shakespeare"),
    (("--dataset", "tiny_shakespeare",), "--dataset tiny_shakespeare is text: train it with --model gpt"),
    (("--model", "gpt", "--hidden", "32"), "--hidden sets the layers of the mlp"),
])
def test_train_refuses_options_of_the_wrong_model(tmp_path, capsys, argv, message):
    assert main(["train", "--out", str(tmp_path), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not os.listdir(tmp_path)                                  # no run folder was started


def test_another_optimizer_replaces_adamw(tmp_path):
    assert run_train(tmp_path, "sgd", *TINY[:-4], "--epochs", "1", "--optimizer", "sgd", "--lr", "0.05") == 0
    record = json.loads((tmp_path / "sgd" / "run.json").read_text())
    assert np.isfinite(record["validation"]["loss"])
    assert type(load_model(tmp_path / "sgd" / "model.scratchnn").optimizer).__name__ == "SGD"


@pytest.mark.parametrize("vocabulary", [None, 7, ["a", "b"], "aab", "abc"])
def test_generate_refuses_a_run_json_whose_vocabulary_does_not_fit_the_model(gpt_run, tmp_path, capsys,
                                                                             vocabulary):
    import shutil
    run = tmp_path / "run"
    shutil.copytree(gpt_run, run)
    record = json.loads((run / "run.json").read_text())
    record["vocabulary"] = vocabulary          # missing, not text, repeated, or the wrong size
    (run / "run.json").write_text(json.dumps(record))
    status, out, err = _generate(capsys, run, "--prompt", "a", "--tokens", "3")
    assert status == 2 and out == ""
    assert "is not a language-model run" in err and "Traceback" not in err
