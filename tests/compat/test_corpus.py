"""A fast subset of the compatibility corpus (``bench/compat``): public tf.keras programs run
unchanged on scratchnn (``tensorflow``/``keras`` redirected, as ``bench/compat/harness.py`` does)
and their final numbers agree with those recorded from TensorFlow
(``bench/compat/recorded_tensorflow.json``). The whole corpus, with live TensorFlow, is
``python bench/compat/run.py``; these are the programs that take seconds."""
import importlib.util
import json
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPAT = os.path.join(ROOT, "bench", "compat")


def _load_runner():
    spec = importlib.util.spec_from_file_location("compat_run", os.path.join(COMPAT, "run.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run = _load_runner()

with open(os.path.join(COMPAT, "recorded_tensorflow.json"), encoding="utf-8") as f:
    RECORDED = json.load(f)

#: Programs that need no data set, train for a second at most and whose final number does not
#: depend on random draws (a count, a gradient, a converged fit).
FAST = ["kerasio_functional_api_graphs", "kerasio_sequential_model", "tf_custom_layers", "tf_guide_autodiff",
        "dlai_c1w1_hello_world", "kerasio_masking_padding", "tf_guide_basic_training_loops",
        "mit6s191_lab1_tensorflow_intro"]


#: The optional extra a program needs (it is skipped, with the reason, where that is not installed).
NEEDS = {"tf_guide_basic_training_loops": ("h5py", "h5")}       # save_weights("....weights.h5")


@pytest.mark.parametrize("name", FAST)
def test_a_corpus_program_runs_unchanged_and_agrees_with_tensorflow(name, tmp_path):
    if name in NEEDS:
        module, extra = NEEDS[name]
        pytest.importorskip(module, reason=f"{name} needs {module}: pip install 'scratchnn[{extra}]'")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in [os.path.join(ROOT, "src"),
                                                                    os.environ.get("PYTHONPATH")] if p))
    ours = run.run_one(sys.executable, "scratchnn", os.path.join(COMPAT, "programs", name + ".py"),
                       timeout=600, env=env)
    assert ours["status"] == "ok", f"{name} failed on scratchnn: {ours.get('error')} {ours.get('where', '')}"
    theirs = RECORDED[name]
    assert theirs["status"] == "ok"
    assert run.agreement(ours, theirs) == "agrees", (run.final_metric(ours), run.final_metric(theirs))


def test_the_agreement_rule_is_the_issues():
    def result(**logs):
        return {"status": "ok", "metrics": {"evaluate": logs}}
    assert run.agreement(result(accuracy=0.900), result(accuracy=0.914)) == "agrees"
    assert run.agreement(result(accuracy=0.900), result(accuracy=0.916)) == "differs"
    assert run.agreement(result(loss=1.09), result(loss=1.0)) == "agrees"
    assert run.agreement(result(loss=1.11), result(loss=1.0)) == "differs"
    assert run.agreement({"status": "error"}, result(loss=1.0)) == "fails"
    assert run.agreement(result(loss=1.0), None) == "no reference"


def test_seeded_reruns_compare_the_median_run(tmp_path):
    """``# compat-reruns: 3``: the program runs with seeds 0, 1, 2 (``harness.py --seed``, which
    seeds NumPy's global generator as Keras's ``set_random_seed`` does) and the median run stands."""
    program = tmp_path / "draw.py"
    program.write_text("# compat-metric: value = value\n# compat-reruns: 3\n"
                       "import numpy as np\nvalue = float(np.random.random())\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in [os.path.join(ROOT, "src"),
                                                                    os.environ.get("PYTHONPATH")] if p))
    result = run.run_program(sys.executable, "scratchnn", str(program), timeout=600, env=env)
    expected = [float(np.random.RandomState(seed).random_sample()) for seed in range(3)]  # seed(s)'s draw
    assert result["status"] == "ok" and result["seed"] == sorted(range(3), key=expected.__getitem__)[1]
    assert sorted(result["reruns"].values()) == sorted(expected)
    assert run.final_metric(result) == ("value", sorted(expected)[1])
    program.write_text("# compat-reruns: 2\n")
    with pytest.raises(SystemExit, match="one odd count"):
        run.reruns(str(program))
