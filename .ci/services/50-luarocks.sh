# shellcheck shell=bash
# Sourced by .ci/run: the real LuaRocks for the Neovim plugin's rockspec test (tests/test_neovim_packaging.py).
#
# Installs Debian's luarocks with a Lua 5.1 interpreter (Neovim's LuaJIT speaks 5.1, so the rock is built for
# 5.1) when either is missing, checks that this luarocks builds for 5.1, and exports PROVGUARD_TEST_LUAROCKS,
# the luarocks command. The test builds the rockspec offline (a local build fetches nothing), so nothing
# else is prepared here and nothing keeps running: nothing is pushed on CLEANUP.

provguard_luarocks_setup() {
    local missing=() pkg
    for pkg in luarocks lua5.1; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        if [ "$(id -u)" != 0 ]; then
            echo "luarocks: ${missing[*]} missing and installing needs root (apt-get install luarocks lua5.1)" >&2
            return 1
        fi
        echo "luarocks: installing ${missing[*]}" >&2
        apt-get update -qq </dev/null >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
            </dev/null >/dev/null || return 1
    fi
    local luarocks version
    luarocks=$(command -v luarocks) || {
        echo "luarocks: no luarocks on PATH after installing it" >&2
        return 1
    }
    if ! version=$("$luarocks" --lua-version 5.1 config lua_version 2>&1) || [ "$version" != 5.1 ]; then
        echo "luarocks: $luarocks cannot build for Lua 5.1: $version" >&2
        return 1
    fi
    export PROVGUARD_TEST_LUAROCKS="$luarocks"
    echo "luarocks: $("$luarocks" --version | head -n 1) for Lua 5.1" >&2
}

provguard_luarocks_setup
unset -f provguard_luarocks_setup
