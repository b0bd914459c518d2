# shellcheck shell=bash
# Sourced by .ci/run: a folder of wheels for the pre-commit hook's test (tests/test_precommit_hook.py).
#
# The hook says `language: python`, so pre-commit makes a virtualenv and pip-installs this repository into
# it. The tests may not reach the network, so here, while the package registries are reachable, pip fetches
# (or builds) a wheel of everything that install needs: provguard's dependencies and its build backend. The
# test then runs pre-commit with PIP_NO_INDEX=1 and PIP_FIND_LINKS pointing here. The folder (build/, which
# git ignores) is reused: wheels already in it are not fetched again. Exports PROVGUARD_TEST_WHEELHOUSE.
# Nothing keeps running, so nothing is pushed on CLEANUP.

provguard_wheelhouse() {
    local dir="$PWD/build/wheelhouse"
    mkdir -p "$dir"
    .venv/bin/python - "$dir/requirements.txt" <<'PY' || return 1
import sys
import tomllib

with open("pyproject.toml", "rb") as f:
    project = tomllib.load(f)
with open(sys.argv[1], "w") as out:
    out.write("\n".join(project["build-system"]["requires"] + project["project"]["dependencies"]) + "\n")
PY
    echo "wheelhouse: wheels for installing provguard offline, in $dir" >&2
    if ! .venv/bin/pip wheel -q --find-links "$dir" --wheel-dir "$dir" -r "$dir/requirements.txt" \
            >"$dir/pip.log" 2>&1; then
        echo "wheelhouse: pip wheel failed:" >&2
        tail -40 "$dir/pip.log" >&2
        return 1
    fi
    export PROVGUARD_TEST_WHEELHOUSE="$dir"
}

provguard_wheelhouse
unset -f provguard_wheelhouse
