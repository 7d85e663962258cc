"""`arkaden users`: the web desk's accounts (add, reset, disable, enable, list) in the accounts file."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .common import site_or_exit

if TYPE_CHECKING:  # argon2 (the web extra) is imported only when the command runs
    from web_app.accounts import AccountStore

DEFAULT_FILE = "/var/lib/arkaden-web/web-users.json"
HAND_OVER = ("Hand this password over in person (not by e-mail, chat or phone); it is shown only this once. "
             "Change it with `arkaden users reset`.")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("users", help="the web desk's accounts: add, reset, disable, enable, list",
                       description="The counsellors' accounts for the web desk (docs/web.md, 'Desk accounts'). "
                                   "A running `arkaden web` notices every change without a restart.")
    p.add_argument("--file", default=None,
                   help=f"the accounts file (default: $ARKADEN_USERS, else {DEFAULT_FILE})")
    users = p.add_subparsers(dest="users_command", required=True)
    # `--file` may also follow the sub-command (`arkaden users add anna --agency jc --file F`)
    after = argparse.ArgumentParser(add_help=False)
    after.add_argument("--file", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    q = users.add_parser("add", parents=[after], help="a new account; prints a generated password once")
    q.add_argument("name", help="login name: 2-40 of a-z 0-9 . _ -")
    q.add_argument("--agency", required=True, help="agency id from the site file: the counters it may work at")
    q.add_argument("--site", default=None, help="check the agency in this site file (default: $ARKADEN_SITE)")
    q.add_argument("--password-stdin", action="store_true",
                   help="read the password from stdin (asked for twice on a terminal) instead of generating one")
    q.set_defaults(func=_with_store(_add))

    q = users.add_parser("reset", parents=[after],
                         help="a new password (the account stays enabled or disabled as it is)")
    q.add_argument("name")
    q.add_argument("--password-stdin", action="store_true", help="read the new password from stdin")
    q.set_defaults(func=_with_store(_reset))

    for name, work, text in (("disable", _disable, "stop an account from logging in"),
                             ("enable", _enable, "let a disabled account log in again")):
        q = users.add_parser(name, parents=[after], help=text)
        q.add_argument("name")
        q.set_defaults(func=_with_store(work))

    q = users.add_parser("list", parents=[after],
                         help="the accounts, their agency and state (never a password or hash)")
    q.add_argument("--json", action="store_true", help="as JSON, for scripts")
    q.set_defaults(func=_with_store(_list))


def _fail(message: str, status: int) -> SystemExit:
    print(f"error: {message}", file=sys.stderr)
    return SystemExit(status)


def _with_store(work: Callable[[argparse.Namespace, AccountStore], int]) -> Callable[[argparse.Namespace], int]:
    """A sub-command run on the accounts file: a refusal is one line and exit 1, a file problem one line and exit 2."""
    def run(args: argparse.Namespace) -> int:
        try:
            from web_app.accounts import AccountError, AccountFileError, AccountStore
        except ImportError as exc:
            raise _fail(f"arkaden users needs the web extra (pip install 'arkaden[web]'): {exc}", 2) from None
        try:
            return work(args, AccountStore(Path(args.file or os.environ.get("ARKADEN_USERS") or DEFAULT_FILE)))
        except AccountFileError as exc:
            raise _fail(str(exc), 2) from None
        except AccountError as exc:
            raise _fail(str(exc), 1) from None

    return run


def _password(args: argparse.Namespace) -> str | None:
    """None (generate one), or the password given on stdin: one line, or typed twice on a terminal."""
    if not args.password_stdin:
        return None
    if sys.stdin.isatty():
        first = getpass.getpass("new password: ")
        if getpass.getpass("the same again: ") != first:
            raise _fail("the two passwords differ", 1)
        return first
    line = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    if not line:
        raise _fail("--password-stdin: no password on stdin", 1)
    return line


def _check_agency(args: argparse.Namespace) -> None:
    site_file = args.site or os.environ.get("ARKADEN_SITE")
    if not site_file:
        print("note: the agency was not checked against a site file (give --site or set ARKADEN_SITE)",
              file=sys.stderr)
        return
    site = site_or_exit(site_file)
    known = [a.id for a in site.agencies]
    if args.agency not in known:
        raise _fail(f"no agency {args.agency!r} in {site_file} (there are: {', '.join(known)})", 2)


def _handed_over(password: str, given: str | None) -> None:
    if given is None:
        print(f"password: {password}")
        print(HAND_OVER)


def _add(args: argparse.Namespace, store: AccountStore) -> int:
    from web_app.accounts import AccountError, check_name

    name = check_name(args.name)
    if name in store.accounts():  # before the site is read or a password typed
        raise AccountError(f"there is already an account {name!r}")
    _check_agency(args)
    given = _password(args)
    password = store.add(name, args.agency, given)
    print(f"added {name} (agency {args.agency}) to {store.path}")
    _handed_over(password, given)
    return 0


def _reset(args: argparse.Namespace, store: AccountStore) -> int:
    from web_app.accounts import AccountError, normalise_name

    name = normalise_name(args.name)
    if name not in store.accounts():
        raise AccountError(f"no account {name!r}")
    given = _password(args)
    password = store.reset(name, given)
    still = " (still disabled: `arkaden users enable` lets it log in)" if store.accounts()[name].disabled else ""
    print(f"new password for {name}{still}")
    _handed_over(password, given)
    return 0


def _disable(args: argparse.Namespace, store: AccountStore) -> int:
    from web_app.accounts import normalise_name

    store.disable(args.name)
    print(f"disabled {normalise_name(args.name)}: it cannot log in any more")
    return 0


def _enable(args: argparse.Namespace, store: AccountStore) -> int:
    from web_app.accounts import normalise_name

    store.enable(args.name)
    print(f"enabled {normalise_name(args.name)}")
    return 0


def _list(args: argparse.Namespace, store: AccountStore) -> int:
    accounts = sorted(store.accounts().values(), key=lambda a: a.name)
    if args.json:
        rows = [{"name": a.name, "agency": a.agency, "disabled": a.disabled, "changed_at": a.changed_at}
                for a in accounts]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif not accounts:
        print(f"no desk accounts in {store.path}")
    else:
        name_width, agency_width = max(len(a.name) for a in accounts), max(len(a.agency) for a in accounts)
        for a in accounts:
            state = "disabled" if a.disabled else "enabled "
            print(f"{a.name:<{name_width}}  {a.agency:<{agency_width}}  {state}  password changed {a.changed_at}")
    return 0
