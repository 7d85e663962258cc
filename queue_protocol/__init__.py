"""The MQTT contract between the core and every device: topics, payload models and command parsing."""

from __future__ import annotations

import json
import re
from typing import TypeVar

from pydantic import ValidationError

from queue_protocol import payloads
from queue_protocol.payloads import *  # noqa: F403 - the payload models are the protocol's public surface
from queue_protocol.payloads import COMMAND_ID_PATTERN, MAX_PAYLOAD_BYTES, SCHEMA_VERSION, Payload
from queue_protocol.topics import SPECS, ParsedTopic, TopicError, Topics, TopicSpec

P = TypeVar("P", bound=Payload)

__all__ = list(payloads.__all__)
_ID = re.compile(COMMAND_ID_PATTERN)

__all__ += ["SPECS", "ParsedTopic", "TopicError", "Topics", "TopicSpec", "ProtocolError", "parse_payload"]


class ProtocolError(ValueError):
    """A payload that cannot be accepted; `code` is stable, `message` explains, `command_id` if it was readable."""

    def __init__(self, code: str, message: str, command_id: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.command_id = command_id


def parse_payload(model: type[P], raw: bytes) -> P:
    """Check size, encoding, JSON, schema version and fields, in that order, and say precisely what is wrong.

    Strict, as the contract reads: UTF-8 only (JSON's UTF-16/32 are refused), ``"v"`` the integer 1 (not ``true``
    or ``1.0``), and no field coerced (``"party_size": "2"`` and ``"priority": true`` are refused).
    """
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise ProtocolError("too_large", f"payload is {len(raw)} bytes, the limit is {MAX_PAYLOAD_BYTES}")
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError:
        raise ProtocolError("bad_json", "payload is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ProtocolError("bad_json", f"payload is not JSON: {exc}") from None
    except RecursionError:
        raise ProtocolError("bad_json", "payload is nested too deeply") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_json", "payload must be a JSON object")
    command_id = _readable_id(data.get("id"))
    version = data.get("v")
    if type(version) is not int or version != SCHEMA_VERSION:
        shown = json.dumps(version)[:20] if isinstance(version, (int, float, bool, type(None))) else "(not a number)"
        raise ProtocolError(
            "unsupported_version", f"schema version {shown} is not supported (this core speaks v{SCHEMA_VERSION})",
            command_id,
        )
    try:
        return model.model_validate_json(text, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        where = ".".join([model.__name__, *(str(x) for x in first["loc"])])
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        msg = first["msg"].removeprefix("Value error, ")
        raise ProtocolError(_field_code(field, first["type"]), f"{where}: {msg}{more}", command_id) from None


def _readable_id(value: object) -> str | None:
    """The command id as far as it can be repeated back: well-formed, else None (never a lone surrogate)."""
    if isinstance(value, str) and len(value) <= 64 and _ID.fullmatch(value):
        return value
    return None


def _field_code(field: str, error_type: str) -> str:
    """The error table's code for a field's validation error: most are `bad_payload`; a few have their own (a
    missing `to_service` or `priority` is the engine's `missing_field`: the models leave them optional)."""
    if field == "action" and error_type == "literal_error":
        return "unknown_action"
    if field == "priority" and error_type != "extra_forbidden":   # a reception command's, not a stray field
        return "bad_priority"
    return "bad_payload"
