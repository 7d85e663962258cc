"""Who may publish and subscribe where: MQTT access rules per device role, generated from the topic table.

Every topic family of `protocol.topics.SPECS` has an explicit rule (possibly "nothing") for every role, so
a new family cannot silently escape access control: `missing_rules()` names the gaps, provisioning
refuses to write an ACL while there are any, and a test keeps the list empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from queue_protocol.topics import ROOT, SPEC_BY_NAME, SPECS, TopicSpec
from queue_rules.site import Site
from queue_rules.site_checks import CORE_ID, DEFAULT_BRIDGE_ID, identity_places

Role = Literal["core", "kiosk", "display", "button_box", "bridge", "reception", "web"]
ROLES: tuple[Role, ...] = ("core", "kiosk", "display", "button_box", "bridge", "reception", "web")
Action = Literal["publish", "subscribe"]
Scope = Literal["any", "self", "counter", "core"]


@dataclass(frozen=True)
class Grant:
    """Read or write one family, for the parameter values in `scope`.

    any: every value; self: the account's own device id(s); counter: its button boxes' counters;
    core: the core's id (a device may see whether the core is online).
    """

    access: Literal["read", "write"]
    scope: Scope = "any"


R, W = Grant("read"), Grant("write")
R_SELF, W_SELF = Grant("read", "self"), Grant("write", "self")
R_COUNTER, W_COUNTER = Grant("read", "counter"), Grant("write", "counter")
R_CORE = Grant("read", "core")
NOTHING: tuple[Grant, ...] = ()

# The core may do everything under the site root; reception may read everything under it.
TREE_ACCESS: dict[Role, Literal["read", "readwrite"]] = {"core": "readwrite", "reception": "read"}

RULES: dict[Role, dict[str, tuple[Grant, ...]]] = {
    "core": {s.name: (R, W) for s in SPECS},  # the whole tree, see TREE_ACCESS
    "kiosk": {
        "checkin": (W_SELF,), "lookup": (W_SELF,), "counter_cmd": NOTHING, "reception_cmd": NOTHING,
        "desk_lookup": NOTHING, "reply": (R_SELF,), "call": (R,), "board": (R,), "queue": (R,),
        "counter_state": (R,), "tickets": NOTHING, "event": NOTHING, "error": NOTHING, "presence": (W_SELF, R_CORE),
    },
    "display": {
        "checkin": NOTHING, "lookup": NOTHING, "counter_cmd": NOTHING, "reception_cmd": NOTHING,
        "desk_lookup": NOTHING, "reply": NOTHING, "call": (R,), "board": (R,), "queue": (R,), "counter_state": (R,),
        "tickets": NOTHING, "event": NOTHING, "error": NOTHING, "presence": (W_SELF,),
    },
    "button_box": {
        "checkin": NOTHING, "lookup": NOTHING, "counter_cmd": (W_COUNTER,), "reception_cmd": NOTHING,
        "desk_lookup": NOTHING, "reply": (R_SELF,), "call": NOTHING, "board": NOTHING, "queue": NOTHING,
        "counter_state": (R_COUNTER,), "tickets": NOTHING, "event": NOTHING, "error": NOTHING,
        "presence": (W_SELF, R_CORE),
    },
    # one process that speaks for several button boxes: exactly what each of its boxes may do
    "bridge": {
        "checkin": NOTHING, "lookup": NOTHING, "counter_cmd": (W_COUNTER,), "reception_cmd": NOTHING,
        "desk_lookup": NOTHING, "reply": (R_SELF,), "call": NOTHING, "board": NOTHING, "queue": NOTHING,
        "counter_state": (R_COUNTER,), "tickets": NOTHING, "event": NOTHING, "error": NOTHING,
        "presence": (W_SELF, R_CORE),
    },
    "reception": {
        "checkin": (R,), "lookup": (R,), "counter_cmd": (R,), "reception_cmd": (R, W_SELF), "desk_lookup": (R,),
        "reply": (R,), "call": (R,), "board": (R,), "queue": (R,), "counter_state": (R,),
        "tickets": (R,), "event": (R,), "error": (R,), "presence": (R, W_SELF),
    },
    # `arkaden web`: desk pages command any counter (the server itself keeps a desk account to its own
    # agency's counters), look up tickets (phone pages, by token) and desk questions as itself, and read the
    # waiting list and audit events it shows; no check-ins, no reception actions, no error stream
    "web": {
        "checkin": NOTHING, "lookup": (W_SELF,), "counter_cmd": (W,), "reception_cmd": NOTHING,
        "desk_lookup": (W_SELF,), "reply": (R_SELF,), "call": (R,), "board": (R,), "queue": (R,),
        "counter_state": (R,), "tickets": (R,), "event": (R,), "error": NOTHING, "presence": (W_SELF, R_CORE),
    },
}

CORE_USER = CORE_ID
DEFAULT_BRIDGE = DEFAULT_BRIDGE_ID
# a bridge's id becomes a topic level of its ACL lines: the site file's id rule, so never `+`, `#` or `/`
BRIDGE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class Account:
    """One broker user: its name, role, the device ids it speaks for and the counters it commands."""

    user: str
    role: Role
    devices: tuple[str, ...] = ()
    counters: tuple[str, ...] = ()
    # further ids whose presence (only) it may publish: a kiosk's built-in printer
    presence_of: tuple[str, ...] = ()


class AclError(ValueError):
    """The rules or the accounts cannot produce a safe ACL."""


def missing_rules() -> list[tuple[Role, str]]:
    """(role, family) pairs without an explicit rule; must be empty."""
    return [(role, s.name) for role in ROLES for s in SPECS if s.name not in RULES[role]]


def unknown_rules() -> list[tuple[Role, str]]:
    """Rules for families that do not exist (a renamed family); must be empty."""
    return [(role, name) for role in ROLES for name in RULES[role] if name not in SPEC_BY_NAME]


def accounts(site: Site, bridges: dict[str, list[str]] | None = None, origin: str = "--bridge") -> list[Account]:
    """Every broker account of a site: the core, each kiosk, display, button box, reception desk, web server
    and bridge.

    ``bridges`` maps a bridge's id to the button boxes it serves (``origin`` says where that came from, for the
    error messages); by default one bridge, ``buttons``, serves all boxes of the site. Every account name and
    every presence id (a kiosk's printer) is unique: one account can never speak for another.
    """
    boxes = {b.id: b.counter for b in site.button_boxes}
    if bridges is None:
        bridges = {DEFAULT_BRIDGE: sorted(boxes)} if boxes else {}
        origin = "the default bridge"
    _check_bridges(site, bridges, origin)
    out = [Account(CORE_USER, "core", (CORE_USER,))]
    # a kiosk speaks for its built-in printer too (the printer's presence, if it publishes one)
    out += [Account(k.id, "kiosk", (k.id,), presence_of=(k.printer,) if k.printer else ()) for k in site.kiosks]
    out += [Account(d.id, "display", (d.id,)) for d in site.displays]
    out += [Account(b.id, "button_box", (b.id,), (b.counter,)) for b in site.button_boxes]
    out += [Account(r.id, "reception", (r.id,)) for r in site.reception]
    out += [Account(w.id, "web", (w.id,)) for w in site.web]
    for bridge_id, served in sorted(bridges.items()):
        out.append(Account(bridge_id, "bridge", (bridge_id, *served), tuple(boxes[b] for b in served)))
    # a safety net under the site file's own check: no name is an account (or presence) of two accounts
    owner: dict[str, str] = {}
    for a in out:
        if a.user in owner:
            raise AclError(f"two broker accounts named {a.user!r}: device ids must be unique across kinds")
        owner[a.user] = a.user
    for a in out:
        for extra in a.presence_of:
            if owner.setdefault(extra, a.user) != a.user:
                raise AclError(f"{extra!r} is the presence of {a.user} and an account or presence of "
                               f"{owner[extra]}: device ids must be unique across kinds")
    return out


def _check_bridges(site: Site, bridges: dict[str, list[str]], origin: str) -> None:
    """Bridge ids are new account names: valid, and none already used in the site file; each box has one bridge."""
    boxes = {b.id for b in site.button_boxes}
    places = identity_places(site)
    served_by: dict[str, str] = {}
    for bridge_id, served in sorted(bridges.items()):
        if not BRIDGE_ID.fullmatch(bridge_id):
            raise AclError(f"bridge {bridge_id!r} ({origin}): an id is 1-32 of a-z, 0-9, '-' and '_', starting "
                           "with a letter or digit")
        if bridge_id == CORE_USER:
            raise AclError(f"bridge {bridge_id!r} ({origin}): {CORE_USER!r} is the queue core's account")
        if bridge_id in places:
            raise AclError(f"bridge {bridge_id!r} ({origin}): the id is already used by {places[bridge_id]} in the "
                           "site file; a bridge needs an account name of its own")
        unknown = [b for b in served if b not in boxes]
        if unknown:
            raise AclError(f"bridge {bridge_id} ({origin}): unknown button box(es) {', '.join(unknown)}")
        for box in served:
            if box in served_by:
                raise AclError(f"button box {box} is served by two bridges ({origin}): {served_by[box]} and "
                               f"{bridge_id}; each box has one bridge")
            served_by[box] = bridge_id


def _values(grant: Grant, account: Account, family: str) -> list[str]:
    if grant.scope == "self":
        extra = account.presence_of if family == "presence" and grant.access == "write" else ()
        return list(account.devices) + list(extra)
    if grant.scope == "counter":
        return list(account.counters)
    if grant.scope == "core":
        return [CORE_USER]
    return ["+"]


def _topic(spec: TopicSpec, root: str, value: str) -> str:
    pattern = spec.pattern
    if "{" in pattern:
        pattern = pattern[: pattern.index("{")] + value
    return f"{root}/{pattern}"


def grants(account: Account, site_id: str) -> list[tuple[str, str]]:
    """(access, topic filter) lines for one account, in a stable order, merged where read and write meet."""
    if missing_rules() or unknown_rules():
        raise AclError(f"access rules out of step with the topic table: missing {missing_rules()}, "
                       f"unknown {unknown_rules()}")
    root = f"{ROOT}/{site_id}"
    if account.role == "core":
        return [("readwrite", f"{root}/#")]
    lines: dict[str, set[str]] = {}
    reads_tree = TREE_ACCESS.get(account.role) == "read"
    if reads_tree:
        lines[f"{root}/#"] = {"read"}
    for spec in SPECS:
        for grant in RULES[account.role][spec.name]:
            if reads_tree and grant.access == "read":
                continue  # covered by the tree
            for value in _values(grant, account, spec.name):
                lines.setdefault(_topic(spec, root, value), set()).add(grant.access)
    out = []
    for topic, access in lines.items():
        out.append(("readwrite" if access == {"read", "write"} else access.pop(), topic))
    return out


def render_acl(site: Site, accounts_: list[Account], source: str = "") -> str:
    """A Mosquitto acl_file: one `user` block per account, no patterns, nothing for anonymous clients."""
    head = [
        "# Mosquitto ACL for site " + site.site.id + (f" ({source})" if source else ""),
        "# Generated by `arkaden provision` from provisioning/acl.py and the site file: do not edit,",
        "# re-run the provisioning instead. No rules for anonymous clients (allow_anonymous is false).",
    ]
    blocks = ["\n".join(head)]
    for account in accounts_:
        lines = [f"# {account.role}" + (f": {', '.join(account.devices[1:])}" if account.role == "bridge" else ""),
                 f"user {account.user}"]
        lines += [f"topic {access} {topic}" for access, topic in grants(account, site.site.id)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def allowed(account: Account, family: str, param: str | None, action: Action) -> bool:
    """Whether the rules let `account` publish or subscribe on one concrete topic of `family`.

    The intended matrix, for tests and docs; the broker enforces the rendered ACL, which a test checks.
    """
    if account.role == "core":
        return True
    if action == "subscribe" and account.role in TREE_ACCESS:
        return True
    want = "write" if action == "publish" else "read"
    for grant in RULES[account.role][family]:
        if grant.access != want:
            continue
        if param is None or grant.scope == "any" or param in _values(grant, account, family):
            return True
    return False


def _describe(role: Role, family: str) -> str:
    if role == "core":
        return "read, write"
    words = {"any": "", "self": " own", "counter": " own counter", "core": " core's"}
    parts = ["read"] if TREE_ACCESS.get(role) == "read" else []
    for grant in RULES[role][family]:
        text = grant.access + words[grant.scope]
        if not (TREE_ACCESS.get(role) == "read" and grant.access == "read") and text not in parts:
            parts.append(text)
    return ", ".join(parts) or "–"


def matrix_markdown() -> str:
    """The role × family table for docs/security.md (a test keeps the document in step)."""
    head = "| family | topic (below `arkaden/v1/<site>/`) | " + " | ".join(ROLES) + " |"
    rows = [head, "|" + " --- |" * (len(ROLES) + 2)]
    for spec in SPECS:
        rows.append(f"| {spec.name} | `{spec.pattern}` | " + " | ".join(_describe(r, spec.name) for r in ROLES) + " |")
    return "\n".join(rows) + "\n"
