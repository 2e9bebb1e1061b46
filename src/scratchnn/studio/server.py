"""The studio's web server: the standard library's threaded HTTP server, a route table, the pages
and their static files, Server-Sent Events, and the per-session token that guards the controls.

    studio = Studio(runs=["runs/mnist"], port=0)       # app.py: this server with every page
                                                       # port 0: a free one
    studio.start()                                     # serves in a background thread
    print(studio.url)                                  # http://127.0.0.1:PORT/
    ...
    studio.stop()

Routes. A page module registers its handlers with ``studio.route(method, path, handler)``; a
path that ends with ``/`` is a prefix (the handler gets every path below it). A handler gets a
``Request`` and returns a JSON-able value (sent as JSON, 200), a ``Response``, or raises
``StudioError(status, message)`` (sent as ``{"error": message}``).

Security (the issue's rules):

* the server listens on ``127.0.0.1`` unless ``host`` says otherwise (then ``Studio`` warns);
* every ``POST`` must carry the session's token in the ``X-Studio-Token`` header; the token is
  written into each page the server sends, so only pages of this studio have it (another site open
  in the same browser cannot read our pages: the browser's same-origin rule), and it is compared in
  constant time;
* the ``Host`` header must name this server (``127.0.0.1:PORT``, ``localhost:PORT`` or the host it
  was given), which stops DNS-rebinding pages from talking to it;
* only files inside the package's ``static/`` folder and inside the run folders it was given are
  served; a path that resolves elsewhere (``..``, a symbolic link out) is refused with 404.

Events: ``GET /api/events`` is a ``text/event-stream``; each message's data is one event of the
bus (``events.py``) as JSON, with its ``id`` as the SSE id, so a browser that reconnects sends
``Last-Event-ID`` and receives what it missed. A comment line every ``heartbeat`` seconds keeps
idle connections open.
"""
import http.server
import json
import mimetypes
import os
import secrets
import socketserver
import threading
import urllib.parse
import warnings
import webbrowser

from .events import EventBus, dumps

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")

#: Largest request body a handler may receive (a drawn digit or a playground setting is tiny).
MAX_BODY = 4 * 1024 * 1024


class StudioError(Exception):
    """An error a handler reports to the page: an HTTP ``status`` and a message in plain words."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = int(status)
        self.message = str(message)


class Response:
    """A reply other than JSON: ``body`` (bytes or str), its ``content_type``, extra ``headers``."""

    def __init__(self, body, content_type="application/octet-stream", status=200, headers=None):
        self.body = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        self.content_type = content_type
        self.status = int(status)
        self.headers = dict(headers or {})


class Request:
    """What a handler sees: ``method``, ``path`` (decoded, without the query), ``query`` (each name's
    last value as a string), ``headers``, ``body`` (bytes) and ``json()``."""

    def __init__(self, method, path, query, headers, body=b""):
        self.method, self.path, self.query, self.headers, self.body = method, path, query, headers, body

    def json(self):
        if not self.body:
            return {}
        try:
            value = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise StudioError(400, f"the request body is not valid JSON: {error}") from None
        if not isinstance(value, dict):
            raise StudioError(400, f"the request body must be a JSON object, got {type(value).__name__}")
        return value

    def arg(self, name, convert=str, default=None):
        """The query argument ``name`` converted with ``convert``; ``default`` if absent; a 400
        error naming the argument if it does not convert."""
        if name not in self.query:
            if default is None:
                raise StudioError(400, f"missing query argument {name!r}")
            return default
        try:
            return convert(self.query[name])
        except (TypeError, ValueError):
            raise StudioError(400, f"query argument {name!r}: cannot read {self.query[name]!r} "
                                   f"as {getattr(convert, '__name__', convert)}") from None


def safe_join(root, relative):
    """The real path of ``root/relative`` if it lies inside ``root`` (after resolving ``..`` and
    symbolic links), else None."""
    root = os.path.realpath(root)
    target = os.path.realpath(os.path.join(root, relative.lstrip("/")))
    if target != root and not target.startswith(root + os.sep):
        return None
    return target


class StudioServer:
    """The studio's server, its event bus, its model sources, its run folders and its pages (the
    ``Studio`` of ``app.py`` is this server with every page of the package registered).

    Arguments: ``runs`` (run folders it may serve and compare), ``host`` (default
    ``'127.0.0.1'``), ``port`` (default 0: a free one), ``heartbeat`` (seconds between SSE
    keep-alive comments).

    Attributes: ``bus`` (``EventBus``), ``token``, ``url`` (after ``start``), ``sources`` (name ->
    ``ModelSource``, see ``sources.py``), ``runs`` (name -> folder), ``state`` (a dict pages may keep
    small shared things in).
    """

    def __init__(self, runs=(), host="127.0.0.1", port=0, heartbeat=10.0, history=5000):
        self.host, self.port, self.heartbeat = str(host), int(port), float(heartbeat)
        if self.port < 0 or self.port > 65535:
            raise ValueError(f"studio: port must be in 0..65535, got {port}")
        self.token = secrets.token_urlsafe(24)
        self.bus = EventBus(history)
        self.sources = {}
        self.state = {}
        self.runs = {}
        self._routes = {}
        self._prefix_routes = []
        self._pages = []
        self._httpd = None
        self._thread = None
        for folder in runs:
            self.add_run(folder)

    # ------------------------------------------------------------------ setup
    def route(self, method, path, handler):
        """Serve ``handler(request)`` for ``method`` (``'GET'`` or ``'POST'``) at ``path``; a path
        ending with ``/`` serves everything below it. POST handlers need the token (checked here)."""
        method = method.upper()
        if method not in ("GET", "POST"):
            raise ValueError(f"Studio.route: method must be 'GET' or 'POST', got {method!r}")
        if not path.startswith("/"):
            raise ValueError(f"Studio.route: path must start with '/', got {path!r}")
        if path.endswith("/") and path != "/":
            self._prefix_routes.append((method, path, handler))
            self._prefix_routes.sort(key=lambda r: -len(r[1]))
        else:
            self._routes[(method, path)] = handler

    def add_page(self, path, title, filename, description=""):
        """A page in the navigation bar: ``path`` (e.g. ``'/train'``) serves ``static/<filename>``."""
        if not os.path.isfile(os.path.join(STATIC, filename)):
            raise ValueError(f"Studio.add_page: no static file {filename!r} for page {path!r}")
        self._pages.append({"path": path, "title": title, "description": description})
        self._routes[("GET", path)] = lambda request, _f=filename: self.page(_f)

    @property
    def pages(self):
        return list(self._pages)

    def add_run(self, folder, name=None):
        """Let the studio serve and compare the run folder ``folder`` (under ``name``, by default
        the folder's own name, made unique)."""
        folder = os.path.realpath(folder)
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"studio: run folder {folder!r} does not exist or is not a folder")
        base = name or os.path.basename(folder.rstrip(os.sep)) or "run"
        name, k = base, 2
        while name in self.runs and self.runs[name] != folder:
            name, k = f"{base}-{k}", k + 1
        self.runs[name] = folder
        return name

    def add_source(self, name, source):
        """Offer ``source`` (a ``ModelSource``) to the pages that look inside a model."""
        self.sources[name] = source
        self.bus.publish("sources", names=sorted(self.sources))
        return source

    def source(self, name=None):
        """The source ``name``; without a name, the live one if any, else the first."""
        if not self.sources:
            raise StudioError(404, "no model to look at: train with the studio on, or give run folders "
                                   "that hold a model.scratchnn")
        if name is None:
            name = "live" if "live" in self.sources else sorted(self.sources)[0]
        if name not in self.sources:
            raise StudioError(404, f"no model source {name!r}; the studio has {sorted(self.sources)}")
        return self.sources[name]

    # --------------------------------------------------------------- serving
    def page(self, filename):
        """A page's HTML with this session's token written in."""
        with open(os.path.join(STATIC, filename), encoding="utf-8") as f:
            html = f.read()
        return Response(html.replace("{{token}}", self.token), "text/html; charset=utf-8")

    def start(self, open_browser=False):
        """Start serving in a background thread; returns ``self.url``."""
        if self._httpd is not None:
            return self.url
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            warnings.warn(f"studio: listening on {self.host!r}, not only on this computer: anyone who can "
                          "reach it can watch the runs (the controls still need the page's token)",
                          stacklevel=2)
        self._httpd = _Server((self.host, self.port), _handler_for(self))
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="scratchnn-studio",
                                        daemon=True)
        self._thread.start()
        if open_browser:
            webbrowser.open(self.url)
        return self.url

    @property
    def url(self):
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{shown}:{self.port}/"

    @property
    def running(self):
        return self._httpd is not None

    def wait(self):
        """Block until the server stops (Ctrl-C stops it): what ``scratchnn studio`` does."""
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            self.stop()

    def stop(self):
        self.bus.close()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        for source in self.sources.values():
            source.close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        where = self.url if self.running else "not started"
        pages = [p["path"] for p in self._pages]
        return f"{type(self).__name__}({where}, pages={pages}, runs={sorted(self.runs)})"

    # ---------------------------------------------------------------- dispatch
    def find_handler(self, method, path):
        handler = self._routes.get((method, path))
        if handler is not None:
            return handler
        for m, prefix, h in self._prefix_routes:
            if m == method and path.startswith(prefix):
                return h
        return None

    def allowed_host(self, host_header):
        if self.host in ("0.0.0.0", "", "::"):
            return True
        names = {"127.0.0.1", "localhost", "[::1]", self.host}
        return host_header in {f"{n}:{self.port}" for n in names}

    def check_token(self, request):
        given = request.headers.get("X-Studio-Token", "")
        if not secrets.compare_digest(given.encode("utf-8", "replace"), self.token.encode("utf-8")):
            raise StudioError(403, "this control needs the studio page's token (header X-Studio-Token); "
                                   "open the studio from the URL it printed")


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _handler_for(studio):
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "scratchnn-studio"
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):   # quiet: the terminal shows training progress
            pass

        def do_GET(self):
            self._dispatch("GET")

        def do_POST(self):
            self._dispatch("POST")

        def _dispatch(self, method):
            url = urllib.parse.urlsplit(self.path)
            path = urllib.parse.unquote(url.path)
            query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            try:
                if not studio.allowed_host(self.headers.get("Host", "")):
                    raise StudioError(421, "unexpected Host header: open the studio at the URL it printed")
                body = b""
                if method == "POST":
                    length = int(self.headers.get("Content-Length") or 0)
                    if length < 0 or length > MAX_BODY:
                        raise StudioError(413, f"request body of {length} bytes; at most {MAX_BODY}")
                    body = self.rfile.read(length)
                request = Request(method, path, query, self.headers, body)
                if method == "GET" and path == "/api/events":
                    return self._events(request)
                if method == "GET" and path == "/favicon.ico":
                    return self._static("favicon.svg")
                if method == "GET" and path.startswith("/static/"):
                    return self._static(path[len("/static/"):])
                handler = studio.find_handler(method, path)
                if handler is None:
                    raise StudioError(404, f"nothing at {method} {path}")
                if method == "POST":
                    studio.check_token(request)
                result = handler(request)
                self._send(result if isinstance(result, Response)
                           else Response(dumps(result), "application/json"))
            except StudioError as error:
                self._send(Response(dumps({"error": error.message}), "application/json", error.status))
            except (BrokenPipeError, ConnectionResetError):
                pass
            except Exception as error:   # a bug in a handler: tell the page, keep serving
                self._send(Response(dumps({"error": f"{type(error).__name__}: {error}"}),
                                    "application/json", 500))

        def _send(self, response):
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            for k, v in response.headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(response.body)

        def _static(self, relative):
            target = safe_join(STATIC, relative)
            if target is None or not os.path.isfile(target):
                raise StudioError(404, f"no static file {relative!r}")
            with open(target, "rb") as f:
                body = f.read()
            kind = mimetypes.guess_type(target)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind in ("application/javascript",):
                kind += "; charset=utf-8"
            self._send(Response(body, kind))

        def _events(self, request):
            try:
                last = int(request.headers.get("Last-Event-ID") or request.query.get("since") or 0)
            except ValueError:
                last = 0
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "keep-alive")
            self.end_headers()
            self.close_connection = True
            try:
                self.wfile.write(b"retry: 1000\n\n")
                self.wfile.flush()
                while not studio.bus.closed:
                    events = studio.bus.wait_after(last, timeout=studio.heartbeat)
                    if not events:
                        self.wfile.write(b": keep-alive\n\n")
                    for event in events:
                        self.wfile.write(f"id: {event['id']}\ndata: {dumps(event)}\n\n".encode("utf-8"))
                        last = event["id"]
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, OSError):
                pass

    return Handler
