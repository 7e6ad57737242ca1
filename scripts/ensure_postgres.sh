#!/usr/bin/env bash
# Called by `make test`: the PostgreSQL tests start a server of their own (tests/pgserver.py) from Debian's
# `postgresql` package (initdb, pg_ctl). Install it where it is missing and this user may (root with apt-get,
# as on a fresh CI machine); anywhere else, do nothing: those tests then say in one line why they are skipped.
set -euo pipefail
if command -v initdb >/dev/null || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's postgresql for the journal's PostgreSQL tests" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
