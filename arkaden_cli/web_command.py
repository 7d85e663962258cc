"""`arkaden web`: the counsellors' desk pages, the clients' phone pages and the public board (web_app)."""

from __future__ import annotations

import argparse
import os
import ssl
import sys
from datetime import UTC, datetime
from pathlib import Path

from . import common
from .common import broker_from, site_or_exit, with_broker, with_sim_clock

DEFAULT_USERS = "/var/lib/arkaden-web/web-users.json"


def _listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, not {text!r}")
    return host.strip("[]"), int(port)


def _tls_problem(cert: str, key: str) -> str:
    """Why this certificate and key cannot serve HTTPS, in one line; "" when they can."""
    for what, path in (("--https-cert", cert), ("--https-key", key)):
        if not Path(path).is_file():
            return f"{what} {path}: no such file"
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        return f"--https-cert {cert} / --https-key {key}: not a matching PEM certificate and key ({exc.reason or exc})"
    except OSError as exc:
        return f"--https-cert {cert} / --https-key {key}: cannot read ({exc.strerror or exc})"
    return ""


def cmd_web(args: argparse.Namespace) -> int:
    from web_app.accounts import AccountError
    from web_app.server import ServerOptions, build, serve

    site = site_or_exit(args.site)
    if not site.web:
        print(f"error: {args.site} has no [[web]] entry: add one (docs/web.md)", file=sys.stderr)
        return 2
    device = args.device or site.web[0].id
    if device not in {w.id for w in site.web}:
        print(f"error: no web server {device!r} in {args.site} (known: {', '.join(w.id for w in site.web)})",
              file=sys.stderr)
        return 2
    if (args.https_cert is None) != (args.https_key is None):
        print("error: give --https-cert and --https-key together", file=sys.stderr)
        return 2
    host, port = args.listen or (("127.0.0.1", 8080) if args.insecure_http else ("0.0.0.0", 8443))
    if args.https_cert is None and not args.insecure_http:
        print("error: give --https-cert/--https-key (from `arkaden provision`, or the site's own), or "
              "--insecure-http for a test on this machine only", file=sys.stderr)
        return 2
    if args.insecure_http and host not in ("127.0.0.1", "localhost", "::1"):
        print(f"error: --insecure-http listens on this machine only (--listen 127.0.0.1:{port}): passwords and "
              "tokens would cross the network in clear", file=sys.stderr)
        return 2
    if args.https_cert is not None:
        problem = _tls_problem(args.https_cert, args.https_key)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
    if not Path(args.users).is_file():
        print(f"warning: no accounts file {args.users} yet: nobody can log in to a desk until `arkaden users add` "
              "makes one", file=sys.stderr)
    broker = broker_from(args)
    clock = common.clock(site, None, 1.0, lambda: datetime.now(UTC), sim=args.sim_clock)
    try:
        web, feed = build(site, broker_host=broker.host, broker_port=broker.port, device_id=device,
                          users=Path(args.users), auth=broker.auth, clock=clock,
                          secure_cookies=not args.insecure_http)
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    serve(web, feed, ServerOptions(host, port, Path(args.https_cert) if args.https_cert else None,
                                   Path(args.https_key) if args.https_key else None))
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("web", help="the counsellors' desk pages and the clients' phone pages (HTTPS)")
    p.add_argument("--site", required=True, help="the site file (with a [[web]] entry)")
    p.add_argument("--device", default=None, help="the [[web]] id to speak as (default: the site's first)")
    p.add_argument("--listen", type=_listen, default=None, metavar="HOST:PORT",
                   help="where browsers connect (default 0.0.0.0:8443, with --insecure-http 127.0.0.1:8080; "
                        "the systemd unit uses 0.0.0.0:443)")
    p.add_argument("--https-cert", default=None, help="the server certificate (PEM), e.g. from `arkaden provision`")
    p.add_argument("--https-key", default=None, help="its private key (PEM)")
    p.add_argument("--insecure-http", action="store_true",
                   help="plain HTTP on 127.0.0.1 only: for the demo and tests on one machine")
    p.add_argument("--users", default=os.environ.get("ARKADEN_USERS", DEFAULT_USERS),
                   help=f"the desk accounts file (`arkaden users`; default $ARKADEN_USERS or {DEFAULT_USERS})")
    with_broker(p)
    with_sim_clock(p)
    p.set_defaults(func=cmd_web)
