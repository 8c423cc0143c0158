#!/usr/bin/env bash
# bench/propagation/run.sh — config propagation: the time from a manifest write to the new route
# answering, at 10 and 10,000 Ingress paths. See bench/propagation/README.md.
#
# usage (from anywhere): bench/propagation/run.sh
# env knobs (defaults):
#   PATHS="10 10000"    table sizes (Ingress paths; 10 per Ingress file, one file per Ingress)
#   ROUNDS=20           route additions measured per size
#   WORKERS=2           gatehouse serve --workers
#   POLL_LIMIT_MS=10000 a round whose route has not answered 200 by then counts as failed
#   GATEHOUSE=build/src/app/gatehouse
#   KEEP_WORK=0         1 keeps the scratch directory (manifests, logs, raw samples)
# Writes the report to stdout and to bench/propagation/results-latest.md.
#
# One round: file K (a different Ingress file each round, when there are several) is regenerated
# with one more Prefix path /new-R into a staging directory on the same file system, the clock is
# read ($EPOCHREALTIME, no fork), the file is renamed over DIR/ing-K.yaml (atomic, as an editor or
# `kubectl cp` would), and `GET /new-R/hello` (Host svc-K.example.com) is sent again and again on
# one keep-alive connection (bash /dev/tcp: no process per request) until it answers 200 (the echo
# backend says "hello"). Before that it is 404 (gatehouse: no rule). Anything else is a failure.
# The staging directory is not the watched one on purpose: every event in a watched directory
# counts, so writing the temporary file there would start a reload of its own just before the
# measured one.
set -euo pipefail
export LC_ALL=C # $EPOCHREALTIME with a '.', byte-wise read -N

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

PATHS=${PATHS:-10 10000}
ROUNDS=${ROUNDS:-20}
WORKERS=${WORKERS:-2}
POLL_LIMIT_MS=${POLL_LIMIT_MS:-10000}
GATEHOUSE=${GATEHOUSE:-build/src/app/gatehouse}
KEEP_WORK=${KEEP_WORK:-0}
PER_FILE=10 # paths per Ingress file, as gen.sh writes them

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
[[ $WORKERS =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be a positive integer"
[[ $POLL_LIMIT_MS =~ ^[1-9][0-9]*$ ]] || die "POLL_LIMIT_MS must be a positive integer"
for n in $PATHS; do [[ $n =~ ^[1-9][0-9]*$ ]] || die "PATHS: '$n' is not a positive integer"; done
[ -x "$GATEHOUSE" ] || die "$GATEHOUSE not found or not executable (build first: ./dev build)"
[ -n "${EPOCHREALTIME:-}" ] || die "bash 5 or later is needed (\$EPOCHREALTIME)"

# ---------------------------------------------------------------- processes and cleanup
WORK=$(mktemp -d /tmp/gatehouse-bench-propagation.XXXXXX)

before_cleanup() { { exec 4>&- 5>&- 6>&-; } 2>/dev/null || true; }
trap_cleanup
trap '' PIPE # a write on a connection the proxy closed must fail, not kill the script

LAST_PID=
start_bg() { # name command...: start in the background, output to $WORK/name.log
  local name=$1
  shift
  (trap - PIPE; exec "$@") >"$WORK/$name.log" 2>&1 &
  LAST_PID=$!
  started[$LAST_PID]=$name
}

port_busy() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Below the kernel's ephemeral range: a client's closed connection keeps its port in TIME-WAIT,
# where a listener cannot bind it even with SO_REUSEADDR.
ephemeral_low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
[[ ${ephemeral_low:-} =~ ^[0-9]+$ && $ephemeral_low -gt 12000 ]] || ephemeral_low=32768
pick_port() { # -> a port nothing listens on now (and not in $*)
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((10000 + SRANDOM % (ephemeral_low - 10000)))
    [[ " $* " == *" $p "* ]] && continue
    port_busy "$p" || { echo "$p"; return 0; }
  done
  die "no free port found on 127.0.0.1"
}

now_us() { local t=$EPOCHREALTIME; echo $((10#${t/./})); }

# ---------------------------------------------------------------- HTTP over bash /dev/tcp
STATUS='' BODY=''
http_read() { # fd: reads one response -> STATUS, BODY; 1 on EOF, timeout or garbage
  local fd=$1 line len=0
  STATUS='' BODY=''
  IFS= read -r -t 5 -u "$fd" line || return 1
  [[ $line =~ ^HTTP/1\.[01]\ ([0-9]{3}) ]] || return 1
  STATUS=${BASH_REMATCH[1]}
  while :; do
    IFS= read -r -t 5 -u "$fd" line || return 1
    line=${line%$'\r'}
    [ -z "$line" ] && break
    case ${line,,} in
      content-length:*) len=${line#*:} len=${len//[ $'\t']/} ;;
    esac
  done
  [[ $len =~ ^[0-9]+$ ]] || return 1
  if ((len > 0)); then IFS= read -r -N "$len" -t 5 -u "$fd" BODY || return 1; fi
  return 0
}

# Requests are written with one printf '%s' each: bash flushes its line-buffered stdout at every
# newline of a format string (and so does echo), and a request split over several writes waits
# for Nagle + delayed ACK (40 ms). Never through $(...): that strips the final CRLF's LF.
REQ=
mkreq() { # host path [extra header lines] -> REQ
  printf -v REQ 'GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: propagation-bench\r\n%s\r\n' "$2" "$1" "${3:-}"
}
send() { # fd host path [extra header lines]: one write
  local fd=$1
  shift
  mkreq "$@"
  printf '%s' "$REQ" >&"$fd"
}

# The poll's fast path: gatehouse's 404 and the echo's /hello 200 are the same bytes every time
# (no Date header), so after learning them once a poll is one write and two `read -N` (bash reads
# a socket byte by byte for line reads: ~100 syscalls per response, 1-3 ms a poll here).
R404='' R200=''
learn_response() { # fd -> RAW: every byte that arrives within 0.3 s
  RAW=
  IFS= read -r -N 65536 -t 0.3 -u "$1" RAW || true
}
poll_once() { # fd: one request ($req) -> STATUS 200, 404, or "" (anything else: a failure)
  local fd=$1 lmin=${#R404} head rest
  ((${#R200} < lmin)) && lmin=${#R200}
  STATUS=
  printf '%s' "$req" >&"$fd" || return 1
  IFS= read -r -N "$lmin" -t 5 -u "$fd" head || return 1
  if [ "$head" = "${R404:0:lmin}" ]; then
    if ((${#R404} > lmin)); then IFS= read -r -N $((${#R404} - lmin)) -t 5 -u "$fd" rest || return 1; fi
    STATUS=404
  elif [ "$head" = "${R200:0:lmin}" ]; then
    if ((${#R200} > lmin)); then IFS= read -r -N $((${#R200} - lmin)) -t 5 -u "$fd" rest || return 1; fi
    STATUS=200
  else
    log "run.sh: unexpected response: ${head%%$'\r'*}"
    return 1
  fi
}

admin_ready() { # port: /readyz answers 200
  local st
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  send 3 admin /readyz $'Connection: close\r\n'
  http_read 3 && st=$STATUS || st=
  exec 3>&-
  [ "$st" = 200 ]
}

# ---------------------------------------------------------------- statistics
stats() { # file of numbers -> "min median p90 max" (nearest rank), "- - - -" when empty
  sort -g "$1" | awk -v fmt="${2:-%.2f}" '
    { v[NR] = $1 }
    END {
      if (NR == 0) { print "- - - -"; exit }
      m = int((NR + 1) / 2); p = int(0.9 * NR); if (p < 0.9 * NR) p++
      printf fmt " " fmt " " fmt " " fmt "\n", v[1], v[m], v[p], v[NR]
    }'
}

proc_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

config_lines() { grep -c 'gatehouse: configuration [0-9]*:' "$1" || true; }

# ---------------------------------------------------------------- the echo backend
start_bg echo "$GATEHOUSE" echo --listen 127.0.0.1:0 --name echo
ECHO_PID=$LAST_PID
ECHO_PORT=
for ((i = 0; i < 100; i++)); do
  alive "$ECHO_PID" || { cat "$WORK/echo.log" >&2; die "gatehouse echo exited"; }
  ECHO_PORT=$(sed -n 's/.* listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/echo.log")
  [ -n "$ECHO_PORT" ] && break
  sleep 0.1
done
[ -n "$ECHO_PORT" ] || die "gatehouse echo did not report its port within 10 s"
log "run.sh: echo backend on 127.0.0.1:$ECHO_PORT (pid $ECHO_PID)"

mkdir -p "$WORK/stage"

# The rename is done by a helper that is already running (perl, from the essential perl-base
# package): forking `mv` costs 10-50 ms on a small VM, more than what is measured. The clock is
# read just before the command is written to the helper's pipe. Without perl: mv, and the
# report says so.
RENAMER_KIND='mv'
if command -v perl >/dev/null 2>&1; then
  coproc RENAMER { trap - PIPE; exec perl -e '$| = 1; while (my $l = <STDIN>) { chomp $l;
    my ($from, $to) = split /\t/, $l; print rename($from, $to) ? "ok\n" : "error $!\n"; }'; }
  started[$RENAMER_PID]=renamer
  RENAMER_IN=${RENAMER[1]} RENAMER_OUT=${RENAMER[0]}
  RENAMER_KIND="perl rename() helper"
fi
rename_start() { # from to: the rename is under way (helper) or done (mv) on return
  if [ "$RENAMER_KIND" = mv ]; then mv -f "$1" "$2"; else printf '%s\t%s\n' "$1" "$2" >&"$RENAMER_IN"; fi
}
rename_done() { # 0 when the last rename succeeded
  [ "$RENAMER_KIND" = mv ] && return 0
  local reply
  IFS= read -r -t 5 -u "$RENAMER_OUT" reply && [ "$reply" = ok ] || { log "run.sh: rename failed: ${reply:-no answer}"; return 1; }
}
declare -A R_LAT R_PUB R_POLL1 R_POLLS R_FAIL R_EXTRA R_START R_HWM R_RSS0 R_RSS1 R_KEEP R_TUN R_FILES R_LOAD R_DEC

# ---------------------------------------------------------------- one table size
run_size() { # N
  local n=$1
  local dir="$WORK/m-$n" files port admin serve_pid i
  files=$(((n + PER_FILE - 1) / PER_FILE))
  R_FILES[$n]=$files
  "$here/gen.sh" dir "$n" "$dir" "$ECHO_PORT"

  port=$(pick_port "$ECHO_PORT")
  admin=$(pick_port "$ECHO_PORT" "$port")
  local t_start
  t_start=$(now_us)
  start_bg "serve-$n" "$GATEHOUSE" serve -m "$dir" --listen "127.0.0.1:$port" \
    --admin-listen "127.0.0.1:$admin" --workers "$WORKERS"
  serve_pid=$LAST_PID
  local slog="$WORK/serve-$n.log"
  for ((i = 0; i < 1200; i++)); do # 120 s
    alive "$serve_pid" || { tail -n 20 "$slog" >&2; die "serve ($n paths) exited during startup"; }
    admin_ready "$admin" && grep -q 'gatehouse: serving on' "$slog" && break
    sleep 0.1
  done
  ((i < 1200)) || die "serve ($n paths) not ready within 120 s"
  R_START[$n]=$((($(now_us) - t_start) / 1000))
  R_LOAD[$n]=$(sed -n 's/.*configuration 1: .*published in \([0-9]*\) us.*/\1/p' "$slog" | head -n 1)
  grep -q "configuration 1: $n rules" "$slog" || { cat "$slog" >&2; die "serve did not load $n rules"; }
  log "run.sh: serve with $n paths ready on 127.0.0.1:$port in ${R_START[$n]} ms (pid $serve_pid)"
  sleep 0.5
  R_RSS0[$n]=$(proc_kib "$serve_pid" VmRSS)

  # The connections that must survive every change: a keep-alive one (fd 5) and an upgraded
  # tunnel (fd 6), both opened and used before the first change and left idle during them.
  exec 5<>"/dev/tcp/127.0.0.1/$port" || die "cannot connect to serve"
  send 5 svc-0.example.com /p0/hello
  http_read 5 && [ "$STATUS" = 200 ] || die "keep-alive warm-up request failed (status '$STATUS')"
  exec 6<>"/dev/tcp/127.0.0.1/$port" || die "cannot connect to serve"
  send 6 svc-0.example.com /p1/ws $'Connection: upgrade\r\nUpgrade: websocket\r\n'
  local line
  IFS= read -r -t 5 -u 6 line && [[ $line == "HTTP/1.1 101"* ]] || die "no 101 for the upgrade request (got '${line%$'\r'}')"
  while IFS= read -r -t 5 -u 6 line && [ -n "${line%$'\r'}" ]; do :; done
  printf 'ping-before\n' >&6
  IFS= read -r -t 5 -u 6 line && [ "$line" = ping-before ] || die "the tunnel did not echo (got '$line')"

  # The polling connection, and the two answers it will see.
  exec 4<>"/dev/tcp/127.0.0.1/$port" || die "cannot connect to serve"
  send 4 svc-0.example.com /no-such-route/hello
  learn_response 4
  R404=$RAW
  [[ $R404 == "HTTP/1.1 404 "*$'\r\n\r\n'* ]] || die "unexpected answer for an unknown path: '$R404'"
  send 4 svc-0.example.com /p0/hello
  learn_response 4
  R200=$RAW
  [[ $R200 == "HTTP/1.1 200 "*$'\r\n\r\nhello\n' ]] || die "unexpected answer for /p0/hello: '$R200'"

  local -A extras=()
  local r k p req target t0 t1 t2 polls fails fail_total=0 gen0 gen1 extra_total=0 pub dec
  : >"$WORK/lat-$n" && : >"$WORK/pub-$n" && : >"$WORK/poll-$n" && : >"$WORK/polls-$n"
  for ((r = 1; r <= ROUNDS; r++)); do
    k=$(((r - 1) * 7919 % files)) # a different file each round when there are several
    p=$PER_FILE
    ((k == files - 1 && n % PER_FILE)) && p=$((n % PER_FILE))
    extras[$k]+=" /new-$r"
    # shellcheck disable=SC2086 # the extras are words
    "$here/gen.sh" file "$k" "$p" "$ECHO_PORT" ${extras[$k]} >"$WORK/stage/ing.tmp"
    mkreq "svc-$k.example.com" "/new-$r/hello"
    req=$REQ
    printf -v target '%s/ing-%05d.yaml' "$dir" "$k"
    gen0=$(config_lines "$slog")
    polls=0 fails=0

    t0=$EPOCHREALTIME
    rename_start "$WORK/stage/ing.tmp" "$target"
    t1=$EPOCHREALTIME
    while :; do
      polls=$((polls + 1))
      if poll_once 4; then
        [ "$STATUS" = 200 ] && break
      else
        fails=$((fails + 1))
        exec 4>&-
        exec 4<>"/dev/tcp/127.0.0.1/$port" || die "cannot reconnect to serve"
      fi
      t2=$EPOCHREALTIME
      if (($((10#${t2/./})) - $((10#${t0/./})) > POLL_LIMIT_MS * 1000)); then
        fails=$((fails + 1))
        log "run.sh: round $r: /new-$r did not answer 200 within $POLL_LIMIT_MS ms"
        break
      fi
    done
    t2=$EPOCHREALTIME
    rename_done || die "round $r: the rename failed"
    [ "$STATUS" = 200 ] || fails=$((fails + 1))

    # Outside the measured time: an old route still answers on the same connection, and the
    # reload that served the change is in the log.
    send 4 "svc-$k.example.com" /p0/hello
    http_read 4 && [ "$STATUS" = 200 ] || fails=$((fails + 1))
    for ((i = 0; i < 1000; i++)); do
      gen1=$(config_lines "$slog")
      ((gen1 > gen0)) && break
      sleep 0.01
    done
    sleep 0.1 # let a late second reload show up, if any
    gen1=$(config_lines "$slog")
    ((gen1 > gen0)) || die "round $r: no reload logged"
    extra_total=$((extra_total + gen1 - gen0 - 1))
    pub=$(grep 'gatehouse: configuration [0-9]*:' "$slog" | sed -n "$((gen0 + 1))p")
    dec=$(sed -n 's/.* \([0-9]*\) of [0-9]* files decoded.*/\1/p' <<<"$pub")
    grep -q "configuration $((gen0 + 1)): $((n + r)) rules" <<<"$pub" ||
      log "run.sh: round $r: unexpected reload line: $pub"
    pub=$(sed -n 's/.*published in \([0-9]*\) us.*/\1/p' <<<"$pub")

    awk -v a="${t0/./}" -v b="${t2/./}" 'BEGIN { printf "%.3f\n", (b - a) / 1000 }' >>"$WORK/lat-$n"
    awk -v a="${t1/./}" -v b="${t2/./}" -v n="$polls" 'BEGIN { printf "%.3f\n", (b - a) / n / 1000 }' >>"$WORK/poll-$n"
    awk -v u="$pub" 'BEGIN { printf "%.3f\n", u / 1000 }' >>"$WORK/pub-$n"
    echo "$polls" >>"$WORK/polls-$n"
    fail_total=$((fail_total + fails))
    R_DEC[$n]+=" $dec"
    sleep 0.1
  done
  R_FAIL[$n]=$fail_total
  R_EXTRA[$n]=$extra_total

  # The connections opened before the changes.
  R_KEEP[$n]="not kept"
  send 5 svc-0.example.com /p0/hello 2>/dev/null &&
    http_read 5 && [ "$STATUS" = 200 ] && {
    # and it sees the newest table: the last route added
    k=$(((ROUNDS - 1) * 7919 % files))
    send 5 "svc-$k.example.com" "/new-$ROUNDS/hello" 2>/dev/null &&
      http_read 5 && [ "$STATUS" = 200 ] && R_KEEP[$n]="kept" || R_KEEP[$n]="kept (old table?)"
  }
  R_TUN[$n]="not kept"
  if printf 'ping-after\n' >&6 2>/dev/null && IFS= read -r -t 5 -u 6 line && [ "$line" = ping-after ]; then
    R_TUN[$n]="kept"
  fi
  exec 4>&- 5>&- 6>&-

  R_HWM[$n]=$(proc_kib "$serve_pid" VmHWM)
  R_RSS1[$n]=$(proc_kib "$serve_pid" VmRSS)
  R_LAT[$n]=$(stats "$WORK/lat-$n")
  R_PUB[$n]=$(stats "$WORK/pub-$n")
  R_POLL1[$n]=$(stats "$WORK/poll-$n")
  R_POLLS[$n]=$(stats "$WORK/polls-$n" %d)
  stop_pid "$serve_pid"
  log "run.sh: $n paths: write -> 200 (ms, min median p90 max): ${R_LAT[$n]}; failures ${R_FAIL[$n]}"
}

for n in $PATHS; do run_size "$n"; done

# ---------------------------------------------------------------- report
{
  echo "# Config propagation — $(date -u +%Y-%m-%d) on $(nproc) CPUs ($(uname -r))"
  echo
  echo "Command: \`PATHS=\"$PATHS\" ROUNDS=$ROUNDS WORKERS=$WORKERS bench/propagation/run.sh\`; $ROUNDS route additions per size,"
  echo "one Ingress file rewritten per addition (temp file in a sibling directory, renamed over it by the $RENAMER_KIND);"
  echo "times in ms (min / median / p90 / max). Poll: a bash /dev/tcp keep-alive connection, one request in flight."
  echo
  echo "| paths | files | write → new route answers 200 | control path (\"published in\") | one poll (request + response) | polls per round | failed requests | extra reloads | keep-alive conn | upgrade tunnel |"
  echo "| ---: | ---: | --- | --- | --- | --- | ---: | ---: | --- | --- |"
  for n in $PATHS; do
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "${R_FILES[$n]}" \
      "${R_LAT[$n]// / \/ }" "${R_PUB[$n]// / \/ }" "${R_POLL1[$n]// / \/ }" "${R_POLLS[$n]// / \/ }" \
      "${R_FAIL[$n]}" "${R_EXTRA[$n]}" "${R_KEEP[$n]}" "${R_TUN[$n]}"
  done
  echo
  echo "| paths | startup to ready | first load (\"published in\") | files decoded per change | VmRSS after load | VmRSS after the changes | peak RSS (VmHWM) |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for n in $PATHS; do
    printf '| %s | %s ms | %s ms | %s of %s | %s KiB | %s KiB | %s KiB |\n' "$n" "${R_START[$n]}" \
      "$((${R_LOAD[$n]:-0} / 1000))" "$(tr ' ' '\n' <<<"${R_DEC[$n]}" | sort -n | sed '/^$/d' | sed -n '1p;$p' | uniq | paste -sd-)" "${R_FILES[$n]}" "${R_RSS0[$n]}" "${R_RSS1[$n]}" "${R_HWM[$n]}"
  done
  read -r -a sizes <<<"$PATHS"
  lo=${sizes[0]} hi=${sizes[0]}
  for n in "${sizes[@]}"; do ((n < lo)) && lo=$n; ((n > hi)) && hi=$n; done
  if ((hi > lo)); then
    echo
    awk -v a="${R_RSS0[$lo]}" -v b="${R_RSS0[$hi]}" -v c="${R_RSS1[$lo]}" -v d="${R_RSS1[$hi]}" \
      -v lo="$lo" -v hi="$hi" 'BEGIN {
        printf "Memory per route, RSS-based (whole process: decoded objects kept by the manifest cache, the table, allocator slack): (VmRSS at %d − VmRSS at %d) / %d = %.0f bytes after load, %.0f bytes after the changes.\n", hi, lo, hi - lo, (b - a) * 1024 / (hi - lo), (d - c) * 1024 / (hi - lo)
      }'
  fi
} | tee "$here/results-latest.md"
[ "$KEEP_WORK" = 1 ] && log "run.sh: raw samples: $WORK/lat-N (ms per round), $WORK/pub-N, $WORK/serve-N.log"
exit 0
