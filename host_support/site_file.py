"""The site file read from disk: its text parsed by the queue rules, every problem a SiteConfigError."""

from __future__ import annotations

from pathlib import Path

from queue_rules.site import Site, SiteConfigError, parse_site


def load_site(path: str | Path) -> Site:
    """Read a site file; a missing or unreadable file is a SiteConfigError too."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SiteConfigError(str(p), [("(file)", exc.strerror or str(exc))]) from None
    except UnicodeDecodeError as exc:
        raise SiteConfigError(str(p), [("(file)", f"not UTF-8: {exc}")]) from None
    return parse_site(text, str(p))
