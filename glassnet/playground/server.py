"""The playground's HTTP server: one page, its three static files, and a JSON API over sessions.

Why the standard library's ``ThreadingHTTPServer``: the playground serves
one person's browser on their own machine, so it needs no framework and
glassnet gains no dependency; a thread per connection keeps one tab's long
request (an epoch of batch size 1, a CSV upload) from holding up the other
tabs, and NumPy releases the GIL inside its products. Each session has a
lock, so a tab's requests run one at a time on its network.

Safety: it binds 127.0.0.1 unless a host is given explicitly, answers only
requests addressed to that host (a page on another site cannot reach it by
DNS rebinding), refuses POSTs from another origin, bounds request bodies,
sessions (number, idle time) and the work of each request
(``settings.LIMITS``), and answers a bad request with a 4xx status and one
line of JSON, ``{"error": "..."}``, then goes on serving.

API (every POST takes and returns JSON; ``session`` is the id that
``/api/session`` handed out)::

    GET  /                          the page; /static/playground.js, /static/playground.css
    POST /api/session               {} -> a new session's state, the presets and the limits
    POST /api/configure             {session, settings, notation, adapt} -> state (new data and network);
                                    adapt: true fits the output and init to the data instead of refusing
    POST /api/preset                {session, name} -> state, with the preset's settings
    POST /api/reset                 {session, notation} -> state: the same seed, the same starting weights
    POST /api/step                  {session, steps, notation} -> frame after that many batches
    POST /api/frame                 {session, notation} -> the current frame again (no step)
    POST /api/epoch                 {session, notation} -> frame at the end of the current epoch
    POST /api/upload                {session, name, text} -> state, training on the CSV file's columns
    POST /api/export                {session} -> the model file's bytes (application/octet-stream)
    POST /api/report                {session, format, notation} -> the last step worked out (markdown or html)
    POST /api/close                 {session} -> {"closed": true}
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

from glassnet.playground.engine import Session
from glassnet.playground.presets import PRESETS, preset_settings
from glassnet.playground.settings import LIMITS, RequestError, check_notation, check_steps

LOOPBACK = ("127.0.0.1", "localhost", "::1")
STATIC = {"index.html": "text/html; charset=utf-8", "playground.js": "text/javascript; charset=utf-8",
          "playground.css": "text/css; charset=utf-8"}
# The page runs only its own code: no inline script, nothing from another origin.
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
          "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class Sessions:
    """The open sessions: at most ``limit``, each forgotten after ``ttl`` seconds unused."""

    def __init__(self, limit=None, ttl=None):
        self.limit = LIMITS["max_sessions"] if limit is None else limit
        self.ttl = LIMITS["session_ttl_s"] if ttl is None else ttl
        self.open = {}
        self.lock = threading.Lock()

    def create(self) -> Session:
        with self.lock:
            self._sweep()
            if len(self.open) >= self.limit:
                raise RequestError(f"too many open sessions ({self.limit}); close another playground tab or wait "
                                   f"{self.ttl // 60} minutes for an idle one to expire", 429)
            session = Session(secrets.token_urlsafe(12))
            self.open[session.id] = session
            return session

    def get(self, session_id) -> Session:
        if not isinstance(session_id, str):
            raise RequestError("the request needs a 'session': the id /api/session gave")
        with self.lock:
            self._sweep()
            session = self.open.get(session_id)
            if session is None:
                raise RequestError(f"no session {session_id[:40]!r} (sessions expire after {self.ttl // 60} minutes "
                                   "unused): reload the page", 404)
            session.last_used = time.monotonic()
            return session

    def close(self, session_id):
        with self.lock:
            self.open.pop(session_id, None)

    def _sweep(self):
        now = time.monotonic()
        for key in [k for k, s in self.open.items() if now - s.last_used > self.ttl]:
            del self.open[key]


class PlaygroundServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` that holds the sessions and the page's files."""

    daemon_threads = True  # a browser's open connection never keeps the process alive

    def __init__(self, host="127.0.0.1", port=8765, explicit_host=False, quiet=True, sessions=None):
        if host not in LOOPBACK and not explicit_host:
            raise ValueError(f"the playground serves only 127.0.0.1; binding {host!r} needs --host given explicitly")
        super().__init__((host, port), Handler)
        self.host, self.explicit_host, self.quiet = host, explicit_host, quiet
        self.sessions = sessions or Sessions()
        folder = resources.files("glassnet.playground") / "static"
        self.static = {name: (folder / name).read_bytes() for name in STATIC}

    def handle_error(self, request, client_address):
        """A browser that went away mid-answer (a closed tab) is no error worth a traceback."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        host = self.server_address[0]
        shown = "127.0.0.1" if host in ("127.0.0.1", "0.0.0.0", "") else host
        return f"http://{'[' + shown + ']' if ':' in shown else shown}:{self.server_address[1]}/"


class Handler(BaseHTTPRequestHandler):
    """One request: a static file, or a JSON API call answered in one piece."""

    protocol_version = "HTTP/1.1"  # keep-alive: the page's many small requests share one connection
    disable_nagle_algorithm = True  # else headers and body, written apart, wait ~40 ms for a delayed ACK
    server_version = "glassnet-playground"

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        if not self.server.quiet:
            super().log_message(format, *args)

    # ------------------------------------------------------------------ GET
    def do_GET(self):
        if not self._allowed_host():
            return
        path = self.path.split("?", 1)[0]
        name = "index.html" if path in ("/", "/index.html") else path[len("/static/"):] if path.startswith(
            "/static/") else None
        if name not in STATIC:
            return self._error(RequestError(f"no page at {path[:80]!r}; the playground is at /", 404))
        self._send(200, self.server.static[name], STATIC[name], page=name == "index.html")

    # ------------------------------------------------------------------ POST
    def do_POST(self):
        self.body_read = False  # one handler serves every request of a keep-alive connection
        if not self._allowed_host():
            return
        action = self.path.split("?", 1)[0].removeprefix("/api/")
        try:
            handler = ACTIONS.get(action) if self.path.startswith("/api/") else None
            if handler is None:
                raise RequestError(f"no API call {self.path[:80]!r}; the calls are /api/{', /api/'.join(ACTIONS)}", 404)
            self._check_origin()
            body = self._body()
            result = handler(self.server.sessions, body)
            if not isinstance(result, bytes):
                result = json.dumps(result, allow_nan=False, separators=(",", ":")).encode()
        except RequestError as exc:
            return self._error(exc)
        except (ValueError, TypeError, KeyError, FileNotFoundError) as exc:  # glassnet's own one-line refusals
            return self._error(RequestError(_first_line(exc)))
        except Exception as exc:  # never a traceback to the page; the server goes on
            return self._error(RequestError(f"internal error: {type(exc).__name__}: {_first_line(exc)}", 500))
        if action == "export":
            return self._send(200, result, "application/octet-stream", download="glassnet-playground.safetensors")
        if action == "report":
            html = body.get("format") == "html"
            return self._send(200, result, "text/html; charset=utf-8" if html else "text/markdown; charset=utf-8",
                              download="glassnet-step." + ("html" if html else "md"))
        self._send(200, result, "application/json")

    def do_PUT(self):
        self.body_read = False
        self._error(RequestError("the playground's API takes POST", 405))

    do_DELETE = do_PATCH = do_PUT

    # ------------------------------------------------------------------ pieces
    def _allowed_host(self) -> bool:
        """Answer only requests addressed to this server by a loopback name (unless a host was given)."""
        if self.server.explicit_host:
            return True
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
        if host in LOOPBACK:
            return True
        self._error(RequestError(f"this server answers requests to 127.0.0.1 only, not {host[:60]!r}", 403))
        return False

    def _check_origin(self):
        origin = self.headers.get("Origin")
        if origin is None or self.server.explicit_host:
            return
        port = self.server.server_address[1]
        if origin not in {f"http://{h}:{port}" for h in ("127.0.0.1", "localhost", "[::1]")}:
            raise RequestError(f"requests from another page ({origin[:60]}) are refused", 403)

    def _body(self) -> dict:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise RequestError("a POST needs a Content-Length header", 411)
        length = int(length)
        if length > LIMITS["max_body_bytes"]:
            self.close_connection = True  # the body is not read
            raise RequestError(f"the request body has {length:,} bytes; at most {LIMITS['max_body_bytes']:,}", 413)
        raw = self.rfile.read(length)
        self.body_read = True
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RequestError(f"the request body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise RequestError(f"the request body must be a JSON object, got {type(body).__name__}")
        return body

    def _error(self, exc: RequestError):
        if self.command != "GET" and not self.body_read:
            self.close_connection = True  # its unread body would be taken for the next request
        body = json.dumps({"error": _first_line(exc)}).encode()
        self._send(exc.status, body, "application/json")

    def _send(self, status, body, content_type, page=False, download=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if page:
            self.send_header("Content-Security-Policy", POLICY)
        if download:
            self.send_header("Content-Disposition", f'attachment; filename="{download}"')
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


def _first_line(exc) -> str:
    text = str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:500]


# ---------------------------------------------------------------------- the API calls
def _notation(body):
    return check_notation(body.get("notation", "standard"))


def _with_session(work):
    """An API call that runs ``work(session, body)`` holding the session's lock."""
    def call(sessions, body):
        session = sessions.get(body.get("session"))
        with session.lock:
            return work(session, body)
    return call


def _new_session(sessions, body):
    session = sessions.create()
    with session.lock:
        state = session.state()
    presets = {name: {k: p[k] for k in ("title", "about", "notation")} for name, p in PRESETS.items()}
    return {**state, "presets": presets, "limits": LIMITS}


def _configure(session, body):
    notation = _notation(body)  # every part of a request is checked before any work
    session.configure(body.get("settings", {}), adapt=body.get("adapt") is True)
    return session.state(notation)


def _preset(session, body):
    name = body.get("name")
    if name not in PRESETS:
        raise RequestError(f"preset must be one of {', '.join(PRESETS)}; got {str(name)[:40]!r}")
    session.configure(preset_settings(name))  # every setting, so nothing of the session's own stays
    return {**session.state(PRESETS[name]["notation"]), "notation": PRESETS[name]["notation"]}


def _reset(session, body):
    notation = _notation(body)
    session.reset()
    return session.state(notation)


def _step(session, body):
    steps, notation = check_steps(body.get("steps", 1)), _notation(body)
    session.step(steps)
    return session.frame(notation)


def _frame(session, body):
    return session.frame(_notation(body))


def _epoch(session, body):
    notation = _notation(body)
    session.step(epoch=True)
    return session.frame(notation)


def _upload(session, body):
    notation = _notation(body)
    name, text = body.get("name", "upload.csv"), body.get("text")
    info = session.upload(name if isinstance(name, str) else "upload.csv", text)
    session.configure({"dataset": "csv", "target": None, "plot": None}, adapt=True)
    return {**session.state(notation), "upload": info}


def _export(session, body):
    return session.export()


def _report(session, body):
    return session.report(body.get("format"), _notation(body)).encode()


def _close(sessions, body):
    sessions.close(body.get("session"))
    return {"closed": True}


ACTIONS = {
    "session": _new_session,
    "configure": _with_session(_configure),
    "preset": _with_session(_preset),
    "reset": _with_session(_reset),
    "step": _with_session(_step),
    "epoch": _with_session(_epoch),
    "frame": _with_session(_frame),
    "upload": _with_session(_upload),
    "export": _with_session(_export),
    "report": _with_session(_report),
    "close": _close,
}
