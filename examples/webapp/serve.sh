#!/bin/sh
# Serves the demo web application with PHP's built-in server on ADDRESS (e.g. 127.0.0.1:8080)
# until it receives SIGTERM, and then exits 0: for a server, being stopped is the normal end, and
# `bob record` / `bob verify-install` treat a non-zero exit status as a failed run.
#   serve.sh ADDRESS
set -u
[ $# -eq 1 ] || { echo "usage: serve.sh ADDRESS" >&2; exit 2; }
php -S "$1" -t "$(dirname "$0")" &
server=$!
trap 'kill -TERM "$server" 2>/dev/null' TERM INT
# The first wait returns when the trap fires; the second collects the server's own exit status.
wait "$server"
wait "$server"
status=$?
# 143 = terminated by SIGTERM, which is how the demo stops the server.
[ "$status" -eq 143 ] && exit 0
exit "$status"
