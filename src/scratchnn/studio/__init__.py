"""The studio: watch and steer learning live in the browser, on your own model and data.

    scratchnn train --studio                       # train and watch (the URL is printed)
    scratchnn studio runs/a runs/b                 # browse and compare finished runs

    model.fit(x, y, callbacks=[scratchnn.studio.Live()])   # from Python or Jupyter

Modules: ``server.py`` (HTTP, routes, token, Server-Sent Events), ``events.py`` (the event bus),
``sources.py`` (the models pages look inside, one thread at a time), ``controls.py`` (pause, resume,
one more epoch, stop, learning rate), ``live.py`` (the ``Live`` callback), ``runs.py`` (run
folders), ``app.py`` (``Studio``: the server with every page), and one module per page: ``train``,
``playground``, ``inside`` (a CNN's feature maps and one convolution step), ``draw``, ``attention``,
``compare`` (``digits.py``: the inputs of the Inside and Draw pages, test images and drawn digits
made MNIST-like). The pages themselves are in ``static/``, with the vendored chart library uPlot
(``static/vendor/uplot``, MIT licence): no CDN, the studio works offline.
"""
from .app import PAGES, Studio
from .controls import Controls
from .events import EventBus
from .live import Live
from .server import Request, Response, StudioError, StudioServer
from .sources import FileSource, LiveSource, ModelSource

__all__ = ["Studio", "StudioServer", "Live", "EventBus", "Controls", "ModelSource", "LiveSource",
           "FileSource", "Request", "Response", "StudioError", "PAGES"]
