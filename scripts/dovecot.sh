#!/usr/bin/env bash
# dovecot.sh runs a throwaway Dovecot IMAP server for tests and CI (see DESIGN.md, "Real servers").
#
#   scripts/dovecot.sh start DIR PORT   install dovecot-imapd if missing, write DIR/dovecot.conf, start it on
#                                       127.0.0.1:PORT and print the export line for the Go tests
#   scripts/dovecot.sh stop DIR         stop the Dovecot started with DIR
#
# User "desk", password "desk-test-pw", mail in DIR/home/desk/Maildir. Plain-text login without TLS: bind it to
# 127.0.0.1 only, never to a reachable interface.
#
#   eval "$(scripts/dovecot.sh start /tmp/wd-dovecot 10143)"
#   go test -tags sqlite_fts5 -run Dovecot ./mailin/
#   scripts/dovecot.sh stop /tmp/wd-dovecot
set -euo pipefail

usage() {
	echo "usage: $0 start DIR PORT | stop DIR" >&2
	exit 2
}

die() {
	echo "dovecot.sh: $*" >&2
	exit 1
}

install_dovecot() {
	if command -v dovecot >/dev/null 2>&1; then
		return
	fi
	echo "dovecot.sh: installing dovecot-imapd" >&2
	local sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		sudo="sudo"
	fi
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >&2
	command -v dovecot >/dev/null 2>&1 || die "dovecot is still missing after installing dovecot-imapd"
}

write_config() {
	local dir=$1 port=$2 conf=$1/dovecot.conf
	local internal_user login_user mail_uid mail_gid
	if [ "$(id -u)" -eq 0 ]; then
		# As root Dovecot drops privileges to these users, which the Debian package creates. Mail
		# processes refuse uid 0 ("userdb returned 0 as uid"), so mail is owned by the dovecot user.
		internal_user=dovecot
		login_user=dovenull
		mail_uid=$(id -u dovecot)
		mail_gid=$(id -g dovecot)
	else
		internal_user=$(id -un)
		login_user=$(id -un)
		mail_uid=$(id -u)
		mail_gid=$(id -g)
	fi
	mkdir -p "$dir/run" "$dir/state" "$dir/home"
	chown "$mail_uid:$mail_gid" "$dir/home"
	# Dovecot's unprivileged processes must be able to reach the home and runtime directories.
	chmod 0755 "$dir" "$dir/run" "$dir/state" "$dir/home"
	printf 'desk:{PLAIN}desk-test-pw:::::\n' >"$dir/passwd"
	chmod 0644 "$dir/passwd"
	# Dovecot 2.3 rejects one-line "{ ... }" blocks: every block below spans lines.
	cat >"$conf" <<CONF
# Written by scripts/dovecot.sh for tests; plain-text auth on 127.0.0.1 only.
protocols = imap
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = $internal_user
default_login_user = $login_user
log_path = $dir/dovecot.log
mail_location = maildir:~/Maildir
first_valid_uid = $mail_uid
last_valid_uid = 0

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}

userdb {
  driver = static
  args = uid=$mail_uid gid=$mail_gid home=$dir/home/%u
}

service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}

service anvil {
  chroot =
}

service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
CONF
}

port_answers() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for_port() {
	local port=$1 i
	for i in $(seq 1 100); do
		if port_answers "$port"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# running DIR: is the Dovecot of DIR alive?
running() {
	local pidfile=$1/run/master.pid
	[ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

start() {
	[ $# -eq 2 ] || usage
	local dir port
	mkdir -p "$1"
	dir=$(cd "$1" && pwd)
	port=$2
	case $port in
	'' | *[!0-9]*) die "PORT must be a number, got \"$port\"" ;;
	esac
	install_dovecot
	if [ -f "$dir/dovecot.conf" ] && running "$dir"; then
		echo "dovecot.sh: stopping the Dovecot left running in $dir" >&2
		doveadm -c "$dir/dovecot.conf" stop >&2
		sleep 0.2
	fi
	if port_answers "$port"; then
		die "127.0.0.1:$port is already in use by another program"
	fi
	write_config "$dir" "$port"
	dovecot -c "$dir/dovecot.conf" -F >>"$dir/dovecot.out" 2>&1 &
	echo $! >"$dir/dovecot.pid"
	if ! wait_for_port "$port"; then
		echo "dovecot.sh: Dovecot did not answer on 127.0.0.1:$port within 10 s; its log:" >&2
		tail -n 20 "$dir/dovecot.out" "$dir/dovecot.log" >&2 2>/dev/null || true
		exit 1
	fi
	echo "export WARRANTYDESK_TEST_DOVECOT=127.0.0.1:$port"
}

stop() {
	[ $# -eq 1 ] || usage
	local dir=$1
	[ -f "$dir/dovecot.conf" ] || die "no $dir/dovecot.conf: nothing was started there"
	if ! running "$dir"; then
		echo "dovecot.sh: the Dovecot of $dir is not running" >&2
		return 0
	fi
	doveadm -c "$dir/dovecot.conf" stop || die "doveadm stop failed for $dir"
	rm -f "$dir/dovecot.pid"
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
