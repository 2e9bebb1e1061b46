"""``Live``: the callback that connects a ``fit`` to the studio.

    model.fit(x, y, epochs=10, validation_split=0.1, callbacks=[scratchnn.studio.Live()])
    # studio: http://127.0.0.1:PORT/train     (in a notebook, the page is shown below the cell)

It publishes events on the studio's bus (``events.py``; the fields are listed in ``train.py``) and
obeys its controls:

* ``train_begin``, ``batch`` (at most ``batch_rate`` per second, and always the last batch of an
  epoch), ``epoch`` (training and validation logs), ``train_end``;
* ``stats`` at the first batch, then every ``stats_every`` batches but at most once every
  ``stats_interval`` seconds: per-layer gradient norms, the share of inactive ReLU units,
  update/weight ratios and weight histograms against the initial ones, measured by a
  ``scratchnn.inspect.TrainingMonitor`` on the training thread (the model's public hooks only; the
  monitor is handed only the batches to record), and once more when training ends;
* ``hint``: each ``scratchnn.inspect.Diagnostics`` hint in plain words, with the control that
  fixes it where one does (``train.hint_fix``: "learning rate too high -> 0.0001");
* controls (``controls.py``): pause, resume, one more epoch, stop (``model.stop_training``: ``fit``
  ends cleanly, so a run folder is still written), a new learning rate;
* while it trains, the pages' requests to look inside the model run on the training thread,
  between batches (``sources.LiveSource``).

Overhead: publishing an event costs a lock and a small dict (and the server thread's JSON); a
record of the statistics costs one forward pass of ``probe_size`` samples and a few reductions over
the weights (a few milliseconds for the MNIST MLP), hence the time limits: ``batch_rate`` and
``stats_interval`` are counted in seconds of the training thread's processor time
(``time.thread_time``), so the studio's share stays the same on a busy machine, where training gets
the processor only part of the time (``bench/studio.py`` measures it).
"""
import math
import time
import webbrowser

from ..callbacks import Callback
from ..inspect import Diagnostics, TrainingMonitor
from ..inspect.capture import leaf_layers
from .app import Studio
from .controls import Controls
from .sources import LiveSource
from .train import LoggedBus, hint_fix, train_log

#: The statistics a ``stats`` event carries per layer (see ``scratchnn.inspect.statistics``).
STATS = ("gradient_norm", "dead_fraction", "update_ratio", "weight_mean", "weight_std",
         "activation_mean", "activation_std")


class Live(Callback):
    """Show this ``fit`` in the studio, live (see the module's notes).

    Arguments: ``studio`` (a ``Studio`` to publish on; by default a new one is made and started),
    ``host``/``port`` for that new one, ``open_browser`` (open the page; default False),
    ``batch_rate`` (most batch events per second of training, default 10), ``stats_every`` (fewest
    batches between two records of layer statistics, default 10), ``stats_interval`` (fewest seconds
    of training between two records, default 0.5; 0: every ``stats_every`` batches exactly), ``stats``
    (False: no statistics), ``probe_size`` (samples the
    activations are measured on, default 64), ``hints`` (run ``Diagnostics``, default True),
    ``keep_serving`` (keep the studio open after ``fit``; default True, so the page stays
    readable), ``notebook`` (in a Jupyter notebook, show the page under the cell: ``'iframe'``,
    ``'link'`` or None; default ``'iframe'``), ``print_fn`` (where the URL is printed; None: nowhere).
    """

    def __init__(self, studio=None, host="127.0.0.1", port=0, open_browser=False, batch_rate=10.0,
                 stats_every=10, stats_interval=0.5, probe_size=64, stats=True, hints=True,
                 keep_serving=True,
                 notebook="iframe", print_fn=print):
        super().__init__()
        if not (isinstance(batch_rate, (int, float)) and math.isfinite(batch_rate) and batch_rate > 0):
            raise ValueError(f"Live: batch_rate must be a positive number of events per second, "
                             f"got {batch_rate!r}")
        for name, value in (("stats_every", stats_every), ("probe_size", probe_size)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Live: {name} must be a positive integer, got {value!r}")
        if not (isinstance(stats_interval, (int, float)) and math.isfinite(stats_interval)
                and stats_interval >= 0):
            raise ValueError(f"Live: stats_interval must be a number of seconds >= 0, got {stats_interval!r}")
        if notebook not in ("iframe", "link", None):
            raise ValueError(f"Live: notebook must be 'iframe', 'link' or None, got {notebook!r}")
        if studio is None:
            studio = Studio(host=host, port=port)
        self.studio = studio
        self.open_browser = bool(open_browser)
        self.min_interval = 1.0 / float(batch_rate)
        self.stats_every = stats_every
        self.stats_interval = float(stats_interval)
        self.keep_serving = bool(keep_serving)
        self.notebook = notebook
        self.print_fn = print_fn
        self.controls = studio.state.setdefault("controls", Controls())
        self.log = train_log(studio)
        self.events = LoggedBus(studio.bus, self.log)
        # every=1: it records each batch it is handed; Live hands it only the batches due
        self.monitor = TrainingMonitor(every=1, probe_size=probe_size, bins=30) if stats else None
        self.diagnostics = Diagnostics(print_fn=None, probe_size=probe_size) if hints else None
        self.source = None
        self.step = 0
        self.epoch = 0
        self._last_sent = -math.inf
        self._records = 0
        self._hints = 0
        self._stats_due = False
        self._stats_step = self._stats_time = None
        self.clock = time.thread_time     # the training thread's processor time (see the notes)

    @property
    def url(self):
        return self.studio.url

    @property
    def page_url(self):
        return self.studio.url + "train"

    def _helpers(self):
        return [c for c in (self.monitor, self.diagnostics) if c is not None]

    def set_model(self, model):
        super().set_model(model)
        for helper in self._helpers():
            helper.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for helper in self._helpers():
            helper.set_params(params)

    def on_train_begin(self, logs=None):
        if not self.studio.running:
            self.studio.start()
            if self.print_fn:
                self.print_fn(f"studio: {self.page_url}")
            if self.open_browser:
                webbrowser.open(self.page_url)
            if self.notebook:
                show_in_notebook(self.page_url, self.notebook)
        self.step, self.epoch, self._last_sent, self._records, self._hints = 0, 0, -math.inf, 0, 0
        self._stats_due, self._stats_step, self._stats_time = False, None, None
        if self.monitor is not None:     # the layers that learn or apply an activation (not a scaler's
            self.monitor.layers = [layer for layer in leaf_layers(self.model)       # fixed statistics)
                                   if layer.trainable_weights or layer.output_activation() is not None]
        for helper in self._helpers():
            helper.on_train_begin(logs)
        self.source = self.studio.add_source("live", LiveSource(self.model))
        self.source.begin()
        self.controls.attach(self.model)
        params = self.params or {}
        self.events.publish("train_begin", epochs=params.get("epochs"), steps=params.get("steps"),
                            step=self.step, learning_rate=self.controls.learning_rate())

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = int(epoch)
        for helper in self._helpers():
            helper.on_epoch_begin(epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        if self.diagnostics is not None:
            self.diagnostics.on_train_batch_begin(batch, logs)
        if self.monitor is not None:
            now = self.clock()
            self._stats_due = self._stats_step is None or (
                self.step - self._stats_step >= self.stats_every
                and now - self._stats_time >= self.stats_interval)
            if self._stats_due:
                self._stats_step, self._stats_time = self.step, now
                self.monitor.on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.diagnostics is not None:
            self.diagnostics.on_train_batch_end(batch, logs)
        if self._stats_due:
            self._stats_due = False
            self.monitor.on_train_batch_end(batch, logs)
        now = self.clock()
        last_of_epoch = (self.params or {}).get("steps") == batch + 1
        if now - self._last_sent >= self.min_interval or last_of_epoch:
            self._last_sent = now
            self.events.publish("batch", step=self.step, epoch=self.epoch, batch=int(batch), **(logs or {}))
        self._publish_stats()
        self._publish_hints()
        self.source.service()
        self.controls.between_batches(self.model, self.source.service, self.events, self.step)

    def on_epoch_end(self, epoch, logs=None):
        if self.diagnostics is not None:
            self.diagnostics.on_epoch_end(epoch, logs)
        self.events.publish("epoch", step=self.step, epoch=int(epoch), **(logs or {}))
        self._publish_hints()
        self.controls.after_epoch(self.model, self.source.service, self.events, self.step)

    def on_train_end(self, logs=None):
        for helper in self._helpers():
            helper.on_train_end(logs)
        self._publish_stats()
        self._publish_hints()
        self.source.end()
        self.controls.detach()
        self.events.publish("train_end", step=self.step, epoch=self.epoch,
                            stopped=bool(getattr(self.model, "stop_training", False)))
        if not self.keep_serving:
            self.studio.stop()

    # ------------------------------------------------------------------ what the page is sent
    def _publish_stats(self):
        """A ``stats`` event for each record the monitor made since the last call."""
        monitor = self.monitor
        if monitor is None or len(monitor.steps) == self._records:
            return
        self._records = len(monitor.steps)
        names = monitor.layer_names
        rows = monitor.records[-len(names):] if names else []
        layers = [{"layer": r["layer"], "class": monitor.layer_classes.get(r["layer"]),
                   **{k: r[k] for k in STATS if k in r}} for r in rows]
        histograms, initial = {}, {}
        for name, kept in monitor.weight_histograms.items():
            histograms[name] = {"edges": kept[-1]["edges"], "counts": kept[-1]["counts"]}
            initial[name] = {"edges": kept[0]["edges"], "counts": kept[0]["counts"]}
        self.events.publish("stats", step=self.step, epoch=self.epoch,
                            learning_rate=self.controls.learning_rate(), layers=layers,
                            histograms=histograms, initial=initial)
        # what is published is kept by the TrainLog: the monitor keeps only the newest record and
        # the first and newest histograms, so a long run does not grow its memory
        del monitor.records[:-len(names) or len(monitor.records)]
        monitor.steps.clear()
        self._records = 0
        for store in (monitor.weight_histograms, monitor.activation_histograms):
            for kept in store.values():
                del kept[1:-1]

    def _publish_hints(self):
        """A ``hint`` event for each new ``Diagnostics`` hint, with its fix if a control applies it."""
        if self.diagnostics is None:
            return
        for hint in self.diagnostics.hints[self._hints:]:
            self.events.publish("hint", hint=hint.kind, epoch=hint.epoch, message=hint.message,
                                step=self.step, fix=hint_fix(hint.kind, self.controls.learning_rate()))
        self._hints = len(self.diagnostics.hints)

    def __repr__(self):
        return f"Live({self.studio!r})"


def show_in_notebook(url, how="iframe"):
    """In a Jupyter notebook, show ``url`` under the cell (an embedded page, or a link); elsewhere
    do nothing. Returns whether it showed it. IPython is optional: imported here, when used."""
    try:
        from IPython import get_ipython
        from IPython.display import HTML, IFrame, display
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:     # a terminal IPython: the URL suffices
        return False
    if how == "iframe":
        display(IFrame(url, width="100%", height=760))
    else:
        display(HTML(f'<a href="{url}" target="_blank">scratchnn studio: {url}</a>'))
    return True
