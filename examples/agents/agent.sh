#!/bin/sh
# obsmon protocol v1 agent in POSIX sh: memory use and load averages, one report per interval.
# Environment: OBSMON_HOST (127.0.0.1), OBSMON_PORT (7070), OBSMON_INTERVAL (10 s),
# OBSMON_COUNT (reports to send, then exit; 0 = forever), OBSMON_NODE (uname -n).
host=${OBSMON_HOST:-127.0.0.1}
port=${OBSMON_PORT:-7070}
interval=${OBSMON_INTERVAL:-10}
count=${OBSMON_COUNT:-0}
node=${OBSMON_NODE:-$(uname -n)}

# One connection per report, so a restarted bridge needs no reconnect logic. OpenBSD netcat
# (Debian netcat-openbsd) half-closes after the line with -N; netcat-traditional quits with -q.
# Without nc, bash's /dev/tcp does the same job.
case $(nc -h 2>&1) in *-N*) nc_eof=-N ;; *) nc_eof='-q 1' ;; esac
send() {
  if command -v nc >/dev/null 2>&1; then
    printf '%s\n' "$1" | nc $nc_eof -w 5 "$host" "$port" >/dev/null
  else
    bash -c 'printf "%s\n" "$1" >"/dev/tcp/$2/$3"' agent "$1" "$host" "$port"
  fi
}

sent=0
while [ "$count" -eq 0 ] || [ "$sent" -lt "$count" ]; do
  read -r load1 load5 load15 _ </proc/loadavg
  while read -r name value _; do
    case $name in
      MemTotal:) total=$value ;;
      MemAvailable:) available=$value ;;
    esac
  done </proc/meminfo
  tenths=$(( (total - available) * 1000 / total ))
  line="$node $(date +%s) mem=$((tenths / 10)).$((tenths % 10)) load1=$load1 load5=$load5 load15=$load15"
  send "$line" || echo "obsmon agent: cannot send to $host:$port" >&2
  sent=$((sent + 1))
  [ "$count" -ne 0 ] && [ "$sent" -ge "$count" ] || sleep "$interval"
done
