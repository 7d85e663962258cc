"""The MQTT contract between the core and every device: topics, payload models and command parsing."""

from __future__ import annotations

import json
from typing import TypeVar

from pydantic import ValidationError

from queue_protocol import payloads
from queue_protocol.payloads import *  # noqa: F403 - the payload models are the protocol's public surface
from queue_protocol.payloads import MAX_PAYLOAD_BYTES, SCHEMA_VERSION, Payload
from queue_protocol.topics import SPECS, ParsedTopic, TopicError, Topics, TopicSpec

P = TypeVar("P", bound=Payload)

__all__ = list(payloads.__all__)
__all__ += ["SPECS", "ParsedTopic", "TopicError", "Topics", "TopicSpec", "ProtocolError", "parse_payload"]


class ProtocolError(ValueError):
    """A payload that cannot be accepted; `code` is stable, `message` explains, `command_id` if it was readable."""

    def __init__(self, code: str, message: str, command_id: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.command_id = command_id


def parse_payload(model: type[P], raw: bytes) -> P:
    """Check size, JSON, schema version and fields, in that order, and say precisely what is wrong."""
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise ProtocolError("too_large", f"payload is {len(raw)} bytes, the limit is {MAX_PAYLOAD_BYTES}")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError("bad_json", f"payload is not JSON: {exc}") from None
    except RecursionError:
        raise ProtocolError("bad_json", "payload is nested too deeply") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_json", "payload must be a JSON object")
    command_id = data.get("id") if isinstance(data.get("id"), str) else None
    version = data.get("v")
    if version != SCHEMA_VERSION:
        raise ProtocolError(
            "unsupported_version", f"schema version {version!r} is not supported (this core speaks v{SCHEMA_VERSION})",
            command_id[:64] if command_id else None,
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join([model.__name__, *(str(x) for x in first["loc"])])
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        msg = first["msg"].removeprefix("Value error, ")
        raise ProtocolError("bad_payload", f"{where}: {msg}{more}",
                            command_id[:64] if command_id else None) from None
