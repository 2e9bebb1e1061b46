"""The ``scratchnn`` package itself (``scratchnn/__init__.py``): what importing it loads."""


def test_import_scratchnn_does_not_load_matplotlib():
    import subprocess
    import sys
    code = ("import sys, scratchnn; from scratchnn.inspect import TrainingMonitor; "
            "assert scratchnn.inspect.TrainingMonitor is TrainingMonitor; print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
