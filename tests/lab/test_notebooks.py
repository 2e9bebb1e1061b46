"""The example notebooks run top to bottom (in quick mode: a slice of the data, fewer epochs).

Each notebook asserts its own lesson inside (e.g. the CNN's test accuracy, Adam below SGD), so a
cell that raises fails this test; here we also check that no cell wrote an error or a traceback.
"""
import importlib.util
import os
import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
if importlib.util.find_spec("ipykernel") is None:     # not imported here: the kernel runs elsewhere
    pytest.skip("ipykernel is not installed", allow_module_level=True)

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))


def test_there_are_the_three_course_notebooks():
    names = [p.stem for p in NOTEBOOKS]
    assert {"01_first_mlp", "02_optimizers", "03_first_cnn"} <= set(names)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch, mnist_mirror):
    monkeypatch.setenv("SCRATCHNN_QUICK", "1")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", os.environ.get("OPENBLAS_NUM_THREADS", "2"))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    images = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"{path.name}: {out.get('ename')}: {out.get('evalue')}"
            if out.output_type == "stream" and out.name == "stderr":
                assert "Traceback" not in out.text and "Warning" not in out.text, out.text
            images += "image/png" in out.get("data", {})
    assert images >= 3, f"{path.name}: expected its figures inline, got {images} images"
