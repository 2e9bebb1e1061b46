"""``scratchnn train --distributed`` under ``mpiexec -n 2`` (scratchnn.distributed)."""
import json
import sys

from scratchnn.cli import main
from scratchnn.models import load_model
from scratchnn.optimizers import Adam

from tests.distributed.helpers import run_mpi

TRAIN = ["-m", "scratchnn", "train", "--dataset", "iris", "--epochs", "2", "--seed", "0", "--distributed"]


def test_two_ranks_write_one_run_folder_from_rank_0(tmp_path):
    """Rank 0 alone prints and writes: one header, one folder; the history holds the averaged epochs;
    the model loads with a plain Adam that made the steps of one rank's shard (120 training samples:
    60 per rank, 54 after the 10 % validation split, 7 batches of 8 per epoch)."""
    result = run_mpi(2, TRAIN + ["--out", tmp_path / "runs", "--name", "run"], timeout=240,
                     env={"SCRATCHNN_DISTRIBUTED_TIMEOUT": "120"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.count("scratchnn train: Fisher's iris") == 1
    assert ("distributed over 2 ranks: each trains on 1/2 of the samples, 8 per step, 16 per update"
            in result.stdout)
    assert result.stdout.count("wrote ") == 1
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["run"]
    record = json.loads((tmp_path / "runs" / "run" / "run.json").read_text())
    assert record["ranks"] == 2 and record["epochs_run"] == 2 and record["options"]["distributed"] is True
    lines = (tmp_path / "runs" / "run" / "history.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,") and len(lines) == 3
    model = load_model(tmp_path / "runs" / "run" / "model.scratchnn")
    assert type(model.optimizer) is Adam and model.optimizer.iterations == 2 * 7


def test_an_error_on_rank_0_alone_ends_every_rank_with_its_message(tmp_path):
    """Only rank 0 checks the run folder: its refusal ends the job at once (the others would
    otherwise wait for it until their timeout, here 600 s)."""
    (tmp_path / "runs" / "run").mkdir(parents=True)
    (tmp_path / "runs" / "run" / "keep.txt").write_text("mine")
    result = run_mpi(2, TRAIN + ["--out", tmp_path / "runs", "--name", "run"], timeout=120,
                     env={"SCRATCHNN_DISTRIBUTED_TIMEOUT": "600"})
    assert result.returncode == 2                      # a usage error, as without --distributed
    assert result.stderr.count("exists and is not empty; choose another --name") == 1
    assert "scratchnn train (rank 0 of 2): error: the run folder" in result.stderr
    assert (tmp_path / "runs" / "run" / "keep.txt").read_text() == "mine"


def test_distributed_is_refused_for_the_gpt(capsys):
    assert main(["train", "--model", "gpt", "--distributed", "--quiet"]) == 2
    assert "--distributed trains the mlp and the cnn, not --model gpt" in capsys.readouterr().err


def test_without_mpi4py_the_error_names_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    assert main(["train", "--dataset", "iris", "--distributed", "--out", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "--distributed: scratchnn.distributed needs mpi4py" in err
    assert "pip install 'scratchnn[mpi]'" in err
    assert list(tmp_path.iterdir()) == []

