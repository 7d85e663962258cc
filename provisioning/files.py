"""Writing provisioning output: secrets with mode 0600 (atomically), public files, the broker's config copy."""

from __future__ import annotations

import os
import re
import tempfile
from importlib import resources
from pathlib import Path

INSTALLED_DIR = "/etc/mosquitto/arkaden"
LOCAL_PORT, TLS_PORT, WEBSOCKETS_PORT = 1883, 8883, 8884


def private_dir(path: Path) -> Path:
    """A directory only its owner can enter (0700), created if needed."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write via a temp file in the same directory and rename: never a half-written or briefly open file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_secret(path: Path, data: bytes | str) -> None:
    _write(path, data.encode() if isinstance(data, str) else data, 0o600)


def write_public(path: Path, data: bytes | str) -> None:
    _write(path, data.encode() if isinstance(data, str) else data, 0o644)


def read_if_exists(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _replace_one(text: str, pattern: str, new: str) -> str:
    out, n = re.subn(pattern, new, text, flags=re.MULTILINE)
    if n != 1:
        raise ValueError(f"provisioning/data/mosquitto.conf: expected exactly one line matching {pattern!r}, found {n}")
    return out


def render_broker_conf(*, broker_dir: str = INSTALLED_DIR, local_port: int = LOCAL_PORT, tls_port: int = TLS_PORT,
                       websockets_port: int | None = None, template: Path | None = None) -> str:
    """The production drop-in with its file paths and ports set (the shipped file is the default)."""
    text = (template.read_text(encoding="utf-8") if template is not None
            else resources.files("provisioning").joinpath("data", "mosquitto.conf").read_text(encoding="utf-8"))
    if broker_dir != INSTALLED_DIR:
        text = text.replace(f" {INSTALLED_DIR}/", f" {broker_dir.rstrip('/')}/")
    text = _replace_one(text, r"^listener 1883 127\.0\.0\.1$", f"listener {local_port} 127.0.0.1")
    text = _replace_one(text, r"^listener 8883$", f"listener {tls_port}")
    if websockets_port is not None:
        block = re.search(r"^#listener 8884\n(#.*\n)+", text, flags=re.MULTILINE)
        if block is None:
            raise ValueError("provisioning/data/mosquitto.conf: the commented websockets listener is missing")
        enabled = re.sub(r"^#", "", block.group(0), flags=re.MULTILINE).replace("8884", str(websockets_port))
        text = text.replace(block.group(0), enabled)
    return text
