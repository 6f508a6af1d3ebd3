#!/usr/bin/env bash
# postgres.sh runs a throwaway PostgreSQL server for tests and CI, like dovecot.sh does for IMAP.
#
#   scripts/postgres.sh start DIR PORT   install Debian's postgresql if missing, initdb DIR/data, start it on
#                                        127.0.0.1:PORT (socket in DIR) and print the export line for the Go tests
#   scripts/postgres.sh stop DIR         stop the server started with DIR
#
# Superuser "desk" with trust authentication on 127.0.0.1 only (a test server: never bind it elsewhere).
# fsync is off: the data is thrown away after the run.
#
#   eval "$(scripts/postgres.sh start /tmp/wd-pg 15432)"
#   WARRANTYDESK_TEST_DB=postgres go test -tags sqlite_fts5 ./models/
#   scripts/postgres.sh stop /tmp/wd-pg
set -euo pipefail

usage() {
	echo "usage: $0 start DIR PORT | stop DIR" >&2
	exit 2
}

die() {
	echo "postgres.sh: $*" >&2
	exit 1
}

bindir() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		if [ -x "$d/pg_ctl" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

install_postgres() {
	if bindir >/dev/null; then
		return
	fi
	echo "postgres.sh: installing postgresql" >&2
	local sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		sudo="sudo"
	fi
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-contrib >&2
	bindir >/dev/null || die "pg_ctl is still missing after installing postgresql"
}

# as_owner CMD...: PostgreSQL refuses to run as root; as root, run it as the postgres user.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

port_answers() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
	[ $# -eq 2 ] || usage
	local dir port bin
	mkdir -p "$1"
	dir=$(cd "$1" && pwd)
	port=$2
	case $port in
	'' | *[!0-9]*) die "PORT must be a number, got \"$port\"" ;;
	esac
	install_postgres
	bin=$(bindir)
	if [ -f "$dir/data/postmaster.pid" ]; then
		echo "postgres.sh: stopping the PostgreSQL left running in $dir" >&2
		as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >&2 || true
	fi
	if port_answers "$port"; then
		die "127.0.0.1:$port is already in use by another program"
	fi
	rm -rf "$dir/data"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$dir"
	fi
	chmod 0755 "$dir"
	if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$dir"; then
		die "the postgres user cannot reach $dir: make its parent directories traversable (e.g. chmod o+x on the one mktemp made)"
	fi
	as_owner "$bin/initdb" -D "$dir/data" -U desk --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ tail -n 20 "$dir/initdb.log" >&2; die "initdb failed"; }
	if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
		start >&2; then
		tail -n 20 "$dir/postgres.log" >&2 || true
		die "PostgreSQL did not start on 127.0.0.1:$port"
	fi
	echo "export WARRANTYDESK_TEST_POSTGRES='postgres://desk@127.0.0.1:$port/postgres?sslmode=disable'"
}

stop() {
	[ $# -eq 1 ] || usage
	local dir=$1 bin
	bin=$(bindir) || die "PostgreSQL is not installed"
	[ -f "$dir/data/postmaster.pid" ] || {
		echo "postgres.sh: no PostgreSQL running in $dir" >&2
		return 0
	}
	as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >&2 || die "pg_ctl stop failed for $dir"
}

case ${1:-} in
start)
	shift
	start "$@"
	;;
stop)
	shift
	stop "$@"
	;;
*) usage ;;
esac
