"""``Live``: the callback that connects a ``fit`` to the studio.

    model.fit(x, y, epochs=10, validation_split=0.1, callbacks=[scratchnn.studio.Live()])
    # studio: http://127.0.0.1:PORT/train

It publishes events on the studio's bus (``events.py``) and obeys its controls:

* ``train_begin`` (``epochs``, ``steps``), ``batch`` (``step``, ``epoch``, ``batch``, ``loss`` and
  the other batch logs; at most ``batch_rate`` per second, and always the last batch of an epoch),
  ``epoch`` (``step``, ``epoch`` and the epoch logs, ``val_*`` included), ``train_end``;
* controls (``controls.py``): pause, resume, one more epoch, stop (``model.stop_training``: ``fit``
  ends cleanly, so a run folder is still written), a new learning rate;
* while it trains, the pages' requests to look inside the model run on the training thread,
  between batches (``sources.LiveSource``).

Overhead: publishing one event costs a lock and a dict; the statistics pages show are computed
every ``stats_every`` batches only.
"""
import time
import webbrowser

from ..callbacks import Callback
from .app import Studio
from .controls import Controls
from .sources import LiveSource


class Live(Callback):
    """Show this ``fit`` in the studio, live (see the module's notes).

    Arguments: ``studio`` (a ``Studio`` to publish on; by default a new one is made and started),
    ``host``/``port`` for that new one, ``open_browser`` (open the page; default False),
    ``batch_rate`` (most batch events per second, default 20), ``stats_every`` (batches between two
    records of layer statistics, default 20), ``keep_serving`` (keep the studio open after
    ``fit``; default True, so the page stays readable).
    """

    def __init__(self, studio=None, host="127.0.0.1", port=0, open_browser=False, batch_rate=20.0,
                 stats_every=20, keep_serving=True, print_fn=print):
        super().__init__()
        if float(batch_rate) <= 0:
            raise ValueError(f"Live: batch_rate must be a positive number of events per second, "
                             f"got {batch_rate!r}")
        if int(stats_every) < 1:
            raise ValueError(f"Live: stats_every must be a positive number of batches, got {stats_every!r}")
        if studio is None:
            studio = Studio(host=host, port=port)
        self.studio = studio
        self.open_browser = bool(open_browser)
        self.min_interval = 1.0 / float(batch_rate)
        self.stats_every = int(stats_every)
        self.keep_serving = bool(keep_serving)
        self.print_fn = print_fn
        self.controls = studio.state.setdefault("controls", Controls())
        self.source = None
        self.step = 0
        self.epoch = 0
        self._last_sent = 0.0

    @property
    def url(self):
        return self.studio.url

    def on_train_begin(self, logs=None):
        if not self.studio.running:
            self.studio.start()
            if self.print_fn:
                self.print_fn(f"studio: {self.studio.url}train")
            if self.open_browser:
                webbrowser.open(self.studio.url + "train")
        self.source = self.studio.add_source("live", LiveSource(self.model))
        self.source.begin()
        self.controls.attach(self.model)
        params = self.params or {}
        self.studio.bus.publish("train_begin", epochs=params.get("epochs"), steps=params.get("steps"),
                                step=self.step, learning_rate=self.controls.learning_rate())

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = int(epoch)

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        now = time.monotonic()
        last_of_epoch = (self.params or {}).get("steps") == batch + 1
        if now - self._last_sent >= self.min_interval or last_of_epoch:
            self._last_sent = now
            self.studio.bus.publish("batch", step=self.step, epoch=self.epoch, batch=int(batch),
                                    **(logs or {}))
        self.source.service()
        self.controls.between_batches(self.model, self.source.service, self.studio.bus, self.step)

    def on_epoch_end(self, epoch, logs=None):
        self.studio.bus.publish("epoch", step=self.step, epoch=int(epoch), **(logs or {}))
        self.controls.after_epoch(self.model, self.source.service, self.studio.bus, self.step)

    def on_train_end(self, logs=None):
        self.source.end()
        self.controls.detach()
        self.studio.bus.publish("train_end", step=self.step, epoch=self.epoch,
                                stopped=bool(getattr(self.model, "stop_training", False)))
        if not self.keep_serving:
            self.studio.stop()

    def __repr__(self):
        return f"Live({self.studio!r})"
