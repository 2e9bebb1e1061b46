"""The ``scratchnn`` package itself (``scratchnn/__init__.py``): what importing it loads, and what
its lazy attributes give (each subpackage imported on first use)."""
import subprocess
import sys

import pytest


def _run(code):
    """``code`` run by a fresh interpreter (nothing imported before it); its last printed line."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1]


#: Modules that ``import scratchnn`` must not load: the optional and heavy parts, imported when used.
NOT_AT_IMPORT = ("matplotlib", "safetensors", "concurrent.futures", "threadpoolctl", "json", "csv", "zipfile",
                 "urllib.request", "scratchnn.layers", "scratchnn.models", "scratchnn.saving",
                 "scratchnn.datasets", "scratchnn.model_selection", "scratchnn.distributed",
                 "scratchnn.inspect", "scratchnn.callbacks", "scratchnn.export")


def test_import_scratchnn_loads_only_the_engine():
    code = "import sys, scratchnn; print(sorted(m for m in %r if m in sys.modules))" % (NOT_AT_IMPORT,)
    loaded = _run(code)
    assert loaded == "[]"


def test_subpackages_and_names_load_on_first_use():
    code = ("import sys, scratchnn\n"
            "from scratchnn import Sequential, layers\n"
            "assert Sequential is scratchnn.models.Sequential and layers.Dense is scratchnn.layers.Dense\n"
            "assert scratchnn.Model is scratchnn.models.Model\n"
            "names = dir(scratchnn)\n"
            "assert {'layers', 'models', 'Sequential', 'Model', 'plot', 'Tensor', 'gradcheck'} <= set(names)"
            "\n"
            "assert callable(scratchnn.gradcheck) and 'matplotlib' not in sys.modules\n"
            "print('safetensors' in sys.modules)")
    assert _run(code) == "False"             # building a model does not need the file format
    with pytest.raises(AssertionError, match="has no attribute 'not_a_module'"):
        _run("import scratchnn; scratchnn.not_a_module")


def test_a_registry_asked_before_its_packages_are_imported_fills_itself():
    code = ("from scratchnn import registry\n"
            "assert 'adam' in registry.names('optimizer') and 'callback' in registry.kinds()\n"
            "from scratchnn.layers import LAYERS\n"
            "print(LAYERS.lookup('Sequential').__module__)")
    assert _run(code) == "scratchnn.models.sequential"
    # a saved Sequential read back through scratchnn.saving alone: the models register their class
    code = ("import os, sys, tempfile\n"
            "import scratchnn.models as models, scratchnn.layers as L\n"
            "path = os.path.join(tempfile.mkdtemp(), 'm.scratchnn')\n"
            "models.Sequential([L.Dense(2, input_shape=(3,))]).save(path)\n"
            "print(path)")
    path = _run(code)
    assert _run("import sys; from scratchnn.saving import load_model\n"
                f"m = load_model({path!r}); print(type(m).__name__)") == "Sequential"



def test_import_scratchnn_does_not_load_matplotlib():
    import subprocess
    import sys
    code = ("import sys, scratchnn; from scratchnn.inspect import TrainingMonitor; "
            "assert scratchnn.inspect.TrainingMonitor is TrainingMonitor; print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_subpackage_and_module_is_reachable_as_an_attribute():
    """A package added to src/scratchnn/ must be in LAZY_MODULES, or ``scratchnn.<name>`` fails
    until something else imports it (as ``scratchnn.studio`` once did)."""
    import os
    import scratchnn
    root = os.path.dirname(scratchnn.__file__)
    names = {n[:-3] if n.endswith(".py") else n for n in os.listdir(root) if not n.startswith("_")
             and (n.endswith(".py") or os.path.isfile(os.path.join(root, n, "__init__.py")))}
    names -= {"version", "registry", "gradcheck"}            # imported by scratchnn/__init__.py itself
    assert sorted(names - set(scratchnn.LAZY_MODULES)) == []
