"""`arkaden provision` (arguments, a run, a summary that never shows a secret) and `arkaden units`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from provisioning.files import INSTALLED_DIR, LOCAL_PORT, TLS_PORT


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("provision", help="create the site CA, device credentials, the broker ACL and device bundles")
    p.add_argument("--site", required=True)
    p.add_argument("--out", required=True, help="output directory (keep it private; see docs/security.md)")
    p.add_argument("--broker-host", action="append", default=None,
                   help="name or address devices use for the broker (repeatable; the first goes into the "
                        "bundles; default arkaden-server); localhost and 127.0.0.1 are always added")
    p.add_argument("--tls-port", type=int, default=TLS_PORT)
    p.add_argument("--local-port", type=int, default=LOCAL_PORT, help="the core's loopback listener")
    p.add_argument("--broker-dir", default=INSTALLED_DIR, help="where the broker files are installed")
    p.add_argument("--rotate", action="append", default=[], metavar="ACCOUNT",
                   help="new password, key and certificate for this account; the old certificate is revoked")
    p.add_argument("--bridge", action="append", default=None, metavar="ID=BOX,BOX",
                   help="a button bridge and the boxes it serves (default: the bridges of the last --bridge run, "
                        "OUT/bridges.toml, else one bridge 'buttons' for all boxes)")
    p.add_argument("--web-name", action="append", default=[], metavar="[ID=]NAME",
                   help="another host name or IP address for the web servers' HTTPS certificates, besides the "
                        "host of their public_url (repeatable; ID=NAME for one web server only)")
    p.set_defaults(func=run)

    p = sub.add_parser("units", help="write the shipped systemd units, the Mosquitto drop-in and arkaden.env.example")
    p.add_argument("--out", required=True, help="directory to write them to (e.g. a staging folder, see "
                                                "docs/deployment.md)")
    p.set_defaults(func=run_units)


def _bridges(values: list[str] | None) -> dict[str, list[str]] | None:
    if values is None:
        return None
    out: dict[str, list[str]] = {}
    for value in values:
        name, sep, boxes = value.partition("=")
        if not sep or not name or not boxes:
            raise ValueError(f"--bridge {value!r}: use ID=BOX[,BOX…]")
        out[name] = [b for b in boxes.split(",") if b]
    return out


def run(args: argparse.Namespace) -> int:
    from host_support.site_file import load_site
    from provisioning.provision import Options, ProvisionError, provision
    from queue_rules.site import SiteConfigError

    try:
        site = load_site(args.site)
        opts = Options(broker_hosts=tuple(args.broker_host or ["arkaden-server"]), tls_port=args.tls_port,
                       local_port=args.local_port, broker_dir=args.broker_dir, rotate=frozenset(args.rotate),
                       bridges=_bridges(args.bridge), web_names=tuple(args.web_name))
        out = Path(args.out)
        report = provision(site, out, opts, source=str(args.site))
    except (SiteConfigError, ProvisionError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in report.lines(out):
        print(line)
    return 0


def run_units(args: argparse.Namespace) -> int:
    from provisioning.units import write_units

    try:
        written = write_units(Path(args.out))
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0
