#!/usr/bin/env bash
# Idempotent setup: install missing Debian packages and the project's .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

# --- Debian packages ---------------------------------------------------------
missing=()
while read -r pkg; do
    pkg="${pkg%%#*}"; pkg="${pkg//[[:space:]]/}"
    [[ -z "$pkg" ]] && continue
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done < scripts/debian-packages.txt

if ((${#missing[@]})); then
    echo "bootstrap: installing Debian packages: ${missing[*]}" >&2
    sudo=()
    if [[ "$(id -u)" != 0 ]]; then sudo=(sudo); fi
    # postgresql may start a system cluster on 5432; harmless, the tests run their own.
    log="$(mktemp)"
    if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
           "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
               apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1
    then
        cat "$log" >&2
        echo "bootstrap: apt-get failed (see above)" >&2
        exit 1
    fi
    rm -f "$log"
fi

# --- Python virtualenv ---------------------------------------------------------
if [[ ! -x .venv/bin/python ]]; then
    echo "bootstrap: creating .venv" >&2
    python3 -m venv .venv
fi

stamp=.venv/.arkaden-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
    echo "bootstrap: installing the project into .venv" >&2
    .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
    echo "$want" > "$stamp"
fi
