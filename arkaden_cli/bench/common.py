"""What the benchmark's parts share: the benchmark site, percentiles, and a core started as its own process."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

from arkaden_cli.common import child_env

SITE_ID = "bench"
SERVICES = {"aufenthalt": "abh", "einbuergerung": "abh", "jobcenter": "jc", "leistung": "jc"}
COUNTERS_PER_SERVICE = 10  # 40 counters, each serving one service
KIOSKS = 20
BOX_COUNTERS = ("aufe-9", "einb-9", "jobc-9", "leis-9")  # one button box per service (the button benchmark's)


def site_toml() -> str:
    parts = ['[site]\nid = "bench"\nname = "Benchmark site"\nlanguages = ["de"]\n',
             '[[agencies]]\nid = "abh"\nname = "Ausländeramt"\nshort = "ABH"\nprefix = "A"\n',
             '[[agencies]]\nid = "jc"\nname = "Jobcenter"\nshort = "JC"\nprefix = "J"\n']
    for i, (svc, agency) in enumerate(SERVICES.items()):
        parts.append(f'[[services]]\nid = "{svc}"\nagency = "{agency}"\nname = {{ de = "{svc.title()}" }}\n')
        parts.append(f'[[concerns]]\nid = "c-{svc}"\nservice = "{svc}"\npictogram = "p{i}"\n'
                     f'title = {{ de = "{svc.title()}" }}\n')
        parts.append(f'[[rooms]]\nid = "r{i}"\nnumber = "{i}.01"\nfloor = {i}\n')
        for j in range(COUNTERS_PER_SERVICE):
            parts.append(f'[[counters]]\nid = "{svc[:4]}-{j}"\nroom = "r{i}"\nlabel = "Platz {j + 1}"\n'
                         f'services = ["{svc}"]\n')
    parts += [f'[[kiosks]]\nid = "kiosk-{i}"\n' for i in range(1, KIOSKS + 2)]
    parts.append('[[displays]]\nid = "display-1"\n')
    parts += [f'[[button_boxes]]\nid = "box-{c}"\ncounter = "{c}"\n' for c in BOX_COUNTERS]
    parts.append('[[web]]\nid = "desk"\n')  # the desk pages command any counter: the bench's desk speaks as one
    return "\n".join(parts)


def stats(samples: list[float]) -> dict[str, float]:
    """Nearest-rank p50/p99 in milliseconds."""
    if not samples:
        raise RuntimeError("no samples: every request timed out")
    s = sorted(samples)

    def rank(q: float) -> float:
        return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]

    return {"p50": round(rank(0.50), 3), "p99": round(rank(0.99), 3), "n": len(s)}


def start_core(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    site = workdir / "bench-site.toml"
    site.write_text(site_toml(), encoding="utf-8")
    env = child_env()
    cmd = [sys.executable, "-m", "arkaden_cli", "--log-level", "WARNING", "core", "--site", str(site),
           "--port", str(port), "--db-url", f"sqlite:///{workdir / 'bench.db'}", "--always-open"]
    with (workdir / "core.log").open("ab") as log:
        return subprocess.Popen(cmd, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)


def core_failed(workdir: Path, what: str) -> RuntimeError:
    try:
        tail = "\n".join((workdir / "core.log").read_text(errors="replace").splitlines()[-20:])
    except OSError:
        tail = "(no log)"
    return RuntimeError(f"{what}. Last lines of the core's log:\n{tail}")
