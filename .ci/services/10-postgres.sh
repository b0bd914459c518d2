# Sourced by .ci/run: a throwaway PostgreSQL server for the team-ledger tests.
#
# Installs PostgreSQL from the distribution when it is missing, starts a private server on loopback with all
# of its state in one temporary folder, exports PROVGUARD_TEST_POSTGRES_URL, and pushes the command that
# stops it and removes the folder onto CLEANUP. Any failure stops the run with the server's log: CI sets
# CI=true, and there the PostgreSQL tests fail rather than skip without a server.

provguard_postgres_start() {
    local bin dir port url as_owner=""
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        if [ "$(id -u)" != 0 ]; then
            echo "ci: PostgreSQL is not installed and installing it needs root (apt-get install postgresql)" >&2
            return 1
        fi
        echo "ci: installing PostgreSQL" >&2
        apt-get update -qq </dev/null >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql </dev/null >/dev/null
        bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi

    dir=$(mktemp -d "${TMPDIR:-/tmp}/provguard-postgres.XXXXXX")
    # initdb refuses to run as root: the server belongs to an unprivileged user (postgres, from the package).
    if [ "$(id -u)" = 0 ]; then
        local owner=postgres
        id -u "$owner" >/dev/null 2>&1 || owner=nobody
        chown "$owner" "$dir"
        as_owner="runuser -u $owner --"
    fi
    # A free port chosen by the kernel, so a developer's own server or another run cannot clash with it.
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

    # Registered before starting, so a half-started server is stopped and its folder removed too.
    CLEANUP+=("$as_owner '$bin/pg_ctl' -D '$dir/data' -m immediate -w stop >/dev/null 2>&1; rm -rf '$dir'")

    if ! $as_owner "$bin/initdb" -D "$dir/data" -U provguard --auth=trust -E UTF8 --locale=C.UTF-8 \
            >"$dir/initdb.log" 2>&1 </dev/null; then
        echo "ci: initdb failed:" >&2
        cat "$dir/initdb.log" >&2
        return 1
    fi
    if ! $as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null </dev/null; then
        echo "ci: PostgreSQL did not start; its log:" >&2
        cat "$dir/server.log" >&2
        return 1
    fi
    if ! "$bin/createdb" -h 127.0.0.1 -p "$port" -U provguard provguard_test </dev/null; then
        echo "ci: cannot create the test database; server log:" >&2
        cat "$dir/server.log" >&2
        return 1
    fi
    url="postgresql://provguard@127.0.0.1:$port/provguard_test"
    export PROVGUARD_TEST_POSTGRES_URL="$url"
    echo "ci: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at $url" >&2
}

provguard_postgres_start
unset -f provguard_postgres_start
