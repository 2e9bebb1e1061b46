"""``ProgbarLogger``: Keras 3's progress line, drawn with tqdm.

What it prints (``verbose=1``; ``Epoch i/E`` only when there is more than one epoch)::

    Epoch 3/10
     937/1875 ━━━━━━━━━━━━━━━━━━━━ 1s 1ms/step - accuracy: 0.9688 - loss: 0.1012   (redrawn in place)
    1875/1875 ━━━━━━━━━━━━━━━━━━━━ 2s 1ms/step - accuracy: 0.9712 - loss: 0.0968 - val_accuracy: ...

(the final line goes on with ``val_accuracy: 0.9650 - val_loss: 0.1203``).

While the epoch runs the time field is the ETA (``45s``, ``1:03``, ``1:02:03``), at the end the
elapsed time; the time per step excludes the first step (``1ms/step``, ``412us/step``).
Values print as ``.4f``, or ``.4e`` when ``|v| <= 1e-3``. With unknown steps the count reads
``    234/Unknown`` and the bar is omitted; the first epoch's count becomes the total of the
next ones. ``verbose=2`` prints one line per epoch, with no bar::

    1875/1875 - 2s - 1ms/step - accuracy: 0.9712 - loss: 0.0968

``evaluate`` and ``predict`` print the same kind of line; inside ``fit`` the validation pass
prints nothing.

How it maps onto tqdm: one ``tqdm`` per epoch (``tqdm.auto``: a widget in Jupyter, text in
a terminal), created at the first batch, advanced with ``update`` at every batch and closed
(``leave=True``) at the end of the epoch. tqdm decides when to redraw (at most every
``mininterval`` seconds, and it checks the clock only every ``miniters`` updates), and only
then is the line built: the count, bar, times and metrics are extra fields of the bar's
``format_dict`` laid out by ``bar_format``. So a batch costs one ``update`` call, and the
metrics are formatted a few times per second, not once per batch. In a notebook tqdm's
widget replaces the text bar.
"""
import os
import sys
import time

from .base import Callback

_WIDTH = 20                        # bar characters, as Keras
_BOLD, _GREEN, _GREY, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


def format_value(value):
    """A metric value as Keras prints it: ``0.1234``, or ``1.2340e-04`` when ``|v| <= 1e-3``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        try:
            import numpy as np
            v = float(np.mean(value))
        except (TypeError, ValueError):
            return str(value)
    return f"{v:.4f}" if abs(v) > 1e-3 else f"{v:.4e}"


def format_step_time(seconds, unit="step"):
    """``' 2s/step'``, ``' 13ms/step'`` or ``' 412us/step'`` (with the leading space)."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit}"
    return f" {seconds * 1e6:.0f}us/{unit}"


def format_eta(seconds):
    """``'45s'``, ``'1:03'`` or ``'1:02:03'`` (whole seconds, truncated)."""
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


# ----------------------------------------------------------------------------- tqdm glue
_TQDM = None            # (tqdm.auto class, whether it is the notebook one, tqdm.std class)
_BAR_CLASSES = {}


def _tqdm_classes():
    global _TQDM
    if _TQDM is None:        # imported on first use: tqdm.auto pulls in asyncio
        import warnings

        from tqdm.std import TqdmWarning
        from tqdm.std import tqdm as std_tqdm
        with warnings.catch_warnings():
            # A notebook without ipywidgets gets text bars; tqdm would also warn "IProgress not
            # found" on the first fit, a message that is about tqdm and not about the user's model.
            warnings.filterwarnings("ignore", message="IProgress not found", category=TqdmWarning)
            from tqdm.auto import tqdm as auto_tqdm
        notebook = any(c.__module__ == "tqdm.notebook" for c in auto_tqdm.__mro__)
        _TQDM = (auto_tqdm, notebook, std_tqdm)
    return _TQDM


def _bar_class(base):
    """``base`` (a tqdm class) whose line is laid out by its ProgbarLogger."""
    cls = _BAR_CLASSES.get(base)
    if cls is None:
        class KerasStyleBar(base):
            def __init__(self, logger, **kwargs):
                self._logger = logger          # set first: tqdm draws from __init__
                super().__init__(**kwargs)

            @property
            def format_dict(self):
                fields = super().format_dict
                fields.update(self._logger._line_fields(fields["n"]))
                return fields

        cls = _BAR_CLASSES[base] = KerasStyleBar
    return cls


_NO_TRIM = 1 << 20          # an ``ncols`` that never trims


def _terminal_width(stream):
    """The width of the terminal ``stream`` writes to, or ``_NO_TRIM`` if it is not a terminal."""
    try:
        if stream.isatty():
            cols = os.get_terminal_size(stream.fileno()).columns
            if cols > 0:
                return cols
    except (AttributeError, ValueError, OSError):
        pass
    return _NO_TRIM


def _ansi_ok(stream, explicit):
    """Colours and bold as Keras prints them: on a terminal, in Jupyter, in PyCharm's console."""
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError):
        pass
    return not explicit and (_in_jupyter() or "PYCHARM_HOSTED" in os.environ)


def _in_jupyter():
    """True inside a Jupyter kernel (not merely when some code imported ipykernel)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return type(shell).__name__ == "ZMQInteractiveShell"


class ProgbarLogger(Callback):
    """Prints the progress of ``fit``, ``evaluate`` and ``predict`` (see the module docstring).

    ``fit``/``evaluate``/``predict`` add one when ``verbose != 0``; the verbosity, the epoch
    count and the steps per epoch come from ``params`` (``'auto'`` means 1).

    * ``stream``: where to write; ``None`` (default) is ``sys.stdout`` as Keras, looked up at
      each epoch, and in Jupyter a tqdm widget. Pass a file (e.g. ``io.StringIO``) to capture
      the text.
    * ``mininterval``: at most one redraw per this many seconds (Keras's 0.05 s).
    """

    def __init__(self, stream=None, mininterval=0.05):
        super().__init__()
        self.stream = stream
        self.mininterval = mininterval
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self._in_fit = False
        self._bar = None
        self._ansi = False
        self._reset()

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._in_fit = True              # inside fit the validation pass is silent

    def on_epoch_begin(self, epoch, logs=None):
        self._reset()
        if self.verbose and self.epochs > 1:
            self._write(f"Epoch {epoch + 1}/{self.epochs}\n")

    def on_train_batch_end(self, batch, logs=None):
        self._advance(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize(logs)

    def on_train_end(self, logs=None):
        self._close_bar()
        self._in_fit = False             # the same logger may then serve evaluate()

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._reset()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._advance(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finalize(logs)

    def on_predict_begin(self, logs=None):
        self._reset()

    def on_predict_batch_end(self, batch, logs=None):
        self._advance(batch, None)           # the outputs are not metrics

    def on_predict_end(self, logs=None):
        self._finalize(logs)

    # ------------------------------------------------------------------ state
    def _reset(self):
        self._close_bar()
        if self.verbose == 1:
            _tqdm_classes()        # import tqdm (~50 ms the first time) before the clock starts
        self._seen = 0
        self._logs = None          # the latest batch logs (a reference; read only when drawing)
        self._final_logs = None
        self._values = {}
        self._order = []           # keys in display order: each batch's new keys sorted, as Keras
        self._known = set()
        self._final = False
        self._start = time.monotonic()
        self._t_first = None       # time at the end of the first step (excluded from per-step time)

    def _close_bar(self):
        bar, self._bar = self._bar, None
        if bar is not None:
            bar.close()

    def _write(self, text):
        stream = self.stream if self.stream is not None else sys.stdout
        stream.write(text)
        stream.flush()

    def _advance(self, batch, logs):
        """Per-batch work: two attribute stores and tqdm's ``update`` (which rarely redraws)."""
        self._seen = n = batch + 1
        self._logs = logs
        bar = self._bar
        if bar is not None:
            bar.update(n - bar.n)
        elif self.verbose == 1:
            if n == 1:
                self._t_first = time.monotonic()
            self._open_bar()

    def _open_bar(self):
        auto_tqdm, notebook, std_tqdm = _tqdm_classes()
        explicit = self.stream is not None
        use_widget = notebook and not explicit
        stream = self.stream if explicit else sys.stdout
        self._ansi = not use_widget and _ansi_ok(stream, explicit)
        cls = _bar_class(std_tqdm if explicit else auto_tqdm)
        if use_widget:
            fmt, size = "{k_left}{bar}{k_right}", {}
        else:
            # tqdm trims each line to ``ncols``: the terminal's width while the line is redrawn in
            # place (a wrapped line could not be), no limit for the final line (see _finalize).
            fmt, size = "{k_left}{k_bar}{k_right}", {"ncols": _terminal_width(stream), "nrows": 50}
        self._bar = cls(self, total=self.target or None, initial=self._seen, file=stream, bar_format=fmt,
                        mininterval=self.mininterval, leave=True, dynamic_ncols=False, unit="step",
                        disable=False, **size)
        return self._bar

    def _finalize(self, logs):
        if self.target is None:
            self.target = self._seen     # Keras: the length of the first epoch is the total from now on
        self._final_logs = logs
        self._final = True
        if self.verbose == 1:
            bar = self._bar if self._bar is not None else self._open_bar()
            bar.n = self._seen
            if not isinstance(bar.ncols, str) and bar.ncols is not None:
                bar.ncols = _NO_TRIM
            self._close_bar()            # tqdm draws the final line and ends it with a newline
        elif self.verbose == 2 and self.target:
            self._write(self._summary_line() + "\n")
        self._final = False
        self._final_logs = None

    # ------------------------------------------------------------------ text
    def _format_metrics(self):
        """``' - accuracy: 0.9712 - loss: 0.0968'``: called only when a line is drawn."""
        values, order, known = self._values, self._order, self._known
        logs = self._logs
        if logs:
            new = [k for k in logs if k not in known]
            if new:
                new.sort()
                order.extend(new)
                known.update(new)
            values.update(logs)
        final = self._final_logs
        if final:
            for k in final:              # epoch-end keys (val_*, learning_rate) in the logs' order
                if k not in known:
                    order.append(k)
                    known.add(k)
            values.update(final)
        return "".join(f" - {k}: {format_value(values[k])}" for k in order)

    def _step_time(self, n, now):
        if not n:
            return 0.0
        if self._t_first is not None and n > 1:
            return (now - self._t_first) / (n - 1)
        return (now - self._start) / n

    def _line_fields(self, n):
        """The fields of the verbose=1 line: ``k_left`` (count), ``k_bar``, ``k_right`` (times, metrics)."""
        now = time.monotonic()
        n = int(n)
        per_step = self._step_time(n, now)
        target, ansi = self.target, self._ansi
        if target:
            count = f"{n:{len(str(target))}d}/{target}"
            done = max(0, min(_WIDTH, int(_WIDTH * n / target)))
            if ansi:
                left = f"{_BOLD}{count}{_RESET} "
                bar = f"{_GREEN}{'━' * done}{_RESET}" if done else ""
                bar += f"{_GREY}{'━' * (_WIDTH - done)}{_RESET}"
            else:
                left = count + " "
                bar = "━" * done + "─" * (_WIDTH - done)
            timing = f"{now - self._start:.0f}s" if self._final else format_eta(per_step * (target - n))
        else:
            left, bar = f"{n:7d}/Unknown", ""
            timing = f"{now - self._start:.0f}s"
        if ansi:
            timing = f"{_BOLD}{timing}{_RESET}"
        right = f" {timing}{format_step_time(per_step)}{self._format_metrics()}"
        return {"k_left": left, "k_bar": bar, "k_right": right}

    def _summary_line(self):
        """The verbose=2 line: ``1875/1875 - 2s - 1ms/step - accuracy: ... - loss: ...``."""
        elapsed = time.monotonic() - self._start
        n, target = self._seen, self.target
        per_step = elapsed / n if n else 0.0      # Keras: the whole epoch over the steps
        return (f"{n:{len(str(target))}d}/{target} - {elapsed:.0f}s -{format_step_time(per_step)}"
                f"{self._format_metrics()}")
