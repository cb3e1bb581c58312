"""``glassnet playground``: a local web page that trains glassnet's real engine and shows the maths of every step.

The page (``static/``: one HTML file, its script and its style sheet, all
written here; nothing is fetched from the internet) draws what the server
computes with glassnet's public API: the same ``Network``, ``train_step``
and ``trace_step`` as everything else. The modules, from the data up:

``data``       the generated 2-D sets, the tutorials' tables, CSV files (``glassnet.tables``), derived features
``settings``   what a page may ask for, checked at the edge, and the limits
``engine``     a session's run: building the network, stepping it batch by batch, export
``pictures``   the network over the plane and the state of its units, as numbers for the page to paint
``maths``      the last step's trace as titled matrices with their formulas
``presets``    the stairs worked example, Desai's table, Rashid's bugs, XOR with two hidden neurons
``server``     HTTP, sessions and the JSON API (``ThreadingHTTPServer``; see its docstring)
"""

from __future__ import annotations

import sys
import threading
import webbrowser

from glassnet.playground.server import PlaygroundServer


def serve(host="127.0.0.1", port=8765, open_browser=True, explicit_host=False, quiet=True):
    """Serve the playground until Ctrl-C; open it in the browser unless ``open_browser`` is False.

    Only 127.0.0.1 (or localhost) is served unless ``explicit_host`` says
    the host was chosen on purpose (``--host``): anyone who can reach the
    address can then train networks on this machine.
    """
    server = PlaygroundServer(host, port, explicit_host=explicit_host, quiet=quiet)
    print(f"glassnet playground at {server.url} (Ctrl-C stops it)", flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"glassnet: warning: serving on {host}: anyone who can reach it can use this playground",
              file=sys.stderr, flush=True)
    if open_browser:
        threading.Timer(0.3, webbrowser.open, (server.url,)).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("glassnet playground stopped", flush=True)
    finally:
        server.server_close()


def add_command(subparsers):
    """Add ``glassnet playground`` to the CLI's subparsers; it calls ``run(args)``."""
    summary = "a local web page: train a network, see every step's maths"
    p = subparsers.add_parser("playground", help=summary, description=summary[0].upper() + summary[1:] + ".")
    p.add_argument("--port", type=int, default=8765, help="the port to serve on, 0 for any free one (default: 8765)")
    p.add_argument("--host", default=None,
                   help="the address to bind; only 127.0.0.1 unless given (default: 127.0.0.1)")
    p.add_argument("--no-browser", action="store_true", help="do not open the page in a browser")
    p.set_defaults(run=run)
    return p


def run(args):
    """``glassnet playground``: serve until Ctrl-C. A port in use or a bad host is a one-line ValueError."""
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be from 0 to 65535, got {args.port}")
    host = args.host if args.host is not None else "127.0.0.1"
    try:
        serve(host, args.port, open_browser=not args.no_browser, explicit_host=args.host is not None)
    except OSError as exc:  # the port is taken, the address is not this machine's
        raise ValueError(f"cannot serve on {host}:{args.port}: {exc.strerror or exc}") from None


__all__ = ["PlaygroundServer", "add_command", "run", "serve"]
