"""``Studio``: the server of ``server.py`` with every page of the package.

    from scratchnn.studio import Studio
    with Studio(runs=["runs/mnist", "runs/mnist-dropout"]) as studio:
        print(studio.url)        # pages: /train /playground /inside /draw /attention /compare
        studio.wait()

Each page is a module with ``register(studio)`` (its routes and its entry in the navigation bar)
and a file in ``static/``. The core routes, registered here:

* ``GET /`` the home page; ``GET /api/pages``; ``GET /api/state`` (pages, runs, sources, the
  newest event id, whether a run is training);
* ``GET /api/sources`` and ``GET /api/sources/info?source=NAME`` (the layers of a model);
* ``POST /api/control`` ``{"action": "pause" | "resume" | "epoch" | "stop" | "learning_rate",
  "value": ...}`` (token required; ``controls.py``).
"""
from . import attention, compare, draw, inside, playground, runs, train
from .controls import Controls
from .server import StudioServer

#: The page modules, in the order of the navigation bar.
PAGES = (train, playground, inside, draw, attention, compare)


class Studio(StudioServer):
    """The studio with all its pages (see the module's notes; arguments as ``StudioServer``)."""

    def __init__(self, runs=(), host="127.0.0.1", port=0, heartbeat=10.0, history=5000):
        super().__init__(runs=runs, host=host, port=port, heartbeat=heartbeat, history=history)
        self.state.setdefault("controls", Controls())
        self.add_page("/", "Home", "index.html", "what the studio shows")
        self._pages.pop()   # the home page is the title, not an entry of the bar
        self.route("GET", "/api/pages", lambda request: {"pages": self.pages})
        self.route("GET", "/api/state", self._state)
        self.route("GET", "/api/sources", lambda request: {"sources": self._sources()})
        self.route("GET", "/api/sources/info",
                   lambda request: self.source(request.query.get("source") or None).info())
        self.route("POST", "/api/control", self._control)
        _register_pages(self)

    def _sources(self):
        return [{"name": n, "kind": s.kind, "description": s.description}
                for n, s in sorted(self.sources.items())]

    def _state(self, request):
        controls = self.state["controls"]
        return {"pages": self.pages, "runs": sorted(self.runs), "sources": self._sources(),
                "last_event": self.bus.last_id, "training": controls.model is not None,
                "paused": controls.paused, "learning_rate": controls.learning_rate()}

    def _control(self, request):
        body = request.json()
        return self.state["controls"].request(body.get("action"), body.get("value"))


def _register_pages(studio):
    runs.register(studio)
    for page in PAGES:
        page.register(studio)
