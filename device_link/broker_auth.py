"""How a client logs in to the broker: user and password, TLS with a client certificate, or a device bundle."""

from __future__ import annotations

import argparse
import ssl
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 1883


class BrokerConfigError(ValueError):
    """A broker login that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class BrokerAuth:
    """Credentials for one MQTT client. The password never appears in repr() or logs."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None

    @property
    def tls(self) -> bool:
        return self.ca is not None

    def apply(self, client: Any) -> None:
        """Set the login on a paho client before it connects."""
        if self.username is not None:
            client.username_pw_set(self.username, self.password)
        if self.ca is not None:
            client.tls_set(ca_certs=str(self.ca), certfile=str(self.cert) if self.cert else None,
                           keyfile=str(self.key) if self.key else None, cert_reqs=ssl.CERT_REQUIRED,
                           tls_version=ssl.PROTOCOL_TLS_CLIENT)


@dataclass(frozen=True)
class BrokerSettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    auth: BrokerAuth | None = None
    device_id: str | None = None
    role: str | None = None


def _read_secret(path: Path, source: str) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise BrokerConfigError(f"{source}: cannot read {path}: {exc.strerror or exc}") from None


def _existing(path: Path, source: str) -> Path:
    if not path.is_file():
        raise BrokerConfigError(f"{source}: {path} does not exist")
    return path


def load_broker_config(path: str | Path) -> BrokerSettings:
    """Read a device bundle's `device.toml` (written by `arkaden provision`); paths are relative to it."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BrokerConfigError(f"{p}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise BrokerConfigError(f"{p}: {exc}") from None
    broker = data.get("broker")
    if not isinstance(broker, dict):
        raise BrokerConfigError(f"{p}: no [broker] table")
    base = p.parent

    def rel(key: str) -> Path | None:
        value = broker.get(key)
        return None if value is None else _existing(base / str(value), str(p))

    password_file = rel("password_file")
    auth = BrokerAuth(
        username=broker.get("username"),
        password=_read_secret(password_file, str(p)) if password_file else None,
        ca=rel("ca"), cert=rel("cert"), key=rel("key"),
    )
    if (auth.cert is None) != (auth.key is None):
        raise BrokerConfigError(f"{p}: cert and key go together")
    raw_device = data.get("device")
    device: dict[str, Any] = raw_device if isinstance(raw_device, dict) else {}
    try:
        port = int(broker.get("port", DEFAULT_PORT))
    except (TypeError, ValueError):
        raise BrokerConfigError(f"{p}: broker.port is not a number") from None
    return BrokerSettings(host=str(broker.get("host", DEFAULT_HOST)), port=port, auth=auth,
                          device_id=device.get("id"), role=device.get("role"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--host/--port and the login options every MQTT subcommand shares."""
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"the MQTT broker (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"its port (default {DEFAULT_PORT})")
    group = parser.add_argument_group("broker login (production brokers refuse anonymous clients)")
    group.add_argument("--broker-config", default=None,
                       help="a device bundle's device.toml from `arkaden provision`: host, port and login "
                            "(--host/--port, when given with other values than the defaults, win)")
    group.add_argument("--broker-user", default=None)
    group.add_argument("--broker-password-file", default=None,
                       help="file holding the password (never on the command line)")
    group.add_argument("--tls-ca", default=None,
                       help="CA certificate: connect with TLS and check the broker against it")
    group.add_argument("--tls-cert", default=None, help="client certificate (with --tls-key)")
    group.add_argument("--tls-key", default=None)


def from_args(args: argparse.Namespace) -> BrokerSettings:
    """Host, port and login from the command line; raises BrokerConfigError with a clear message."""
    if getattr(args, "broker_config", None):
        settings = load_broker_config(args.broker_config)
        host = args.host if args.host != DEFAULT_HOST else settings.host
        port = args.port if args.port != DEFAULT_PORT else settings.port
        return BrokerSettings(host, port, settings.auth, settings.device_id, settings.role)
    user = getattr(args, "broker_user", None)
    password_file = getattr(args, "broker_password_file", None)
    ca, cert, key = (getattr(args, name, None) for name in ("tls_ca", "tls_cert", "tls_key"))
    if (cert is None) != (key is None):
        raise BrokerConfigError("--tls-cert and --tls-key go together")
    if (cert or key) and not ca:
        raise BrokerConfigError("--tls-cert needs --tls-ca (the CA the broker's certificate is signed by)")
    if password_file and not user:
        raise BrokerConfigError("--broker-password-file needs --broker-user")
    if not (user or ca):
        return BrokerSettings(args.host, args.port)
    auth = BrokerAuth(
        username=user,
        password=_read_secret(Path(password_file), "--broker-password-file") if password_file else None,
        ca=_existing(Path(ca), "--tls-ca") if ca else None,
        cert=_existing(Path(cert), "--tls-cert") if cert else None,
        key=_existing(Path(key), "--tls-key") if key else None,
    )
    return BrokerSettings(args.host, args.port, auth)


def settings_or_exit(args: argparse.Namespace) -> BrokerSettings:
    """`from_args` for a command's main(): a bad login option prints one clear line and exits with status 2."""
    try:
        return from_args(args)
    except BrokerConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
