#!/usr/bin/env bash
# bench/proxy/run.sh — gatehouse vs nginx vs HAProxy: the same routing job (the talk's foobar
# table, examples/foobar.yaml) on the same machine, with the same backends, worker count and
# pinning. See bench/proxy/README.md for what it measures and how to read it.
#
# usage (from the repo root): bench/proxy/run.sh
# env knobs (defaults):
#   REPEAT=3            runs per (scenario, workers, proxy); the table shows means
#   DURATION=10s        wrk duration of one measured run (wrk syntax: 10, 10s, 1m)
#   WARMUP=1s           unmeasured wrk run before each measured one (opens upstream connections)
#   BACKEND=echo        echo: four `gatehouse echo` processes; nginx: one nginx with four servers
#   WORKERS="1 2"       proxy worker counts (nginx worker_processes, haproxy nbthread,
#                       gatehouse --workers)
#   SCENARIOS="small close large"
#                       small: tiny responses over keep-alive; close: tiny responses, a new
#                       connection per request; large: 64 KiB responses over keep-alive
#   PROXIES="gatehouse nginx haproxy"
#   CONNECTIONS=64      wrk -c (wrk always runs one thread: -t 1)
#   GATEHOUSE=build/src/app/gatehouse
#   PROXY_CPU=0 WRK_CPU=1   taskset cores: proxy + backends on PROXY_CPU, wrk alone on WRK_CPU
#   KEEP_WORK=0         1 keeps the scratch directory (configs, logs, raw wrk output)
# Writes the final table to stdout and to bench/proxy/results-latest.md.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

REPEAT=${REPEAT:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-1s}
BACKEND=${BACKEND:-echo}
WORKERS=${WORKERS:-1 2}
SCENARIOS=${SCENARIOS:-small close large}
PROXIES=${PROXIES:-gatehouse nginx haproxy}
CONNECTIONS=${CONNECTIONS:-64}
GATEHOUSE=${GATEHOUSE:-build/src/app/gatehouse}
PROXY_CPU=${PROXY_CPU:-0}
WRK_CPU=${WRK_CPU:-1}
KEEP_WORK=${KEEP_WORK:-0}

# Fixed ports: the backends are the endpoints of examples/foobar.yaml; one port per proxy.
PORT_FOO_A=18080 PORT_FOO_B=18181 PORT_BAR_A=19090 PORT_BAR_B=19191
declare -A PROXY_PORT=([gatehouse]=28080 [nginx]=28081 [haproxy]=28082)
declare -A BACKEND_PORT=([foo-a]=$PORT_FOO_A [foo-b]=$PORT_FOO_B [bar-a]=$PORT_BAR_A [bar-b]=$PORT_BAR_B)
BACKEND_NAMES=(foo-a foo-b bar-a bar-b)
# The four routes the wrk script rotates over, as "host path backend".
ROUTES=("foo.org /a foo-a" "foo.org /b foo-b" "bar.org /a bar-a" "bar.org /b bar-b")

command_line="REPEAT=$REPEAT DURATION=$DURATION WARMUP=$WARMUP BACKEND=$BACKEND WORKERS=\"$WORKERS\" SCENARIOS=\"$SCENARIOS\" PROXIES=\"$PROXIES\" CONNECTIONS=$CONNECTIONS bench/proxy/run.sh"

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# ---------------------------------------------------------------- argument checks
to_secs() { # wrk duration (10, 10s, 2m, 1h) -> seconds
  [[ $1 =~ ^([0-9]+)([smh]?)$ ]] || die "bad duration '$1' (use e.g. 10s, 1m)"
  local n=${BASH_REMATCH[1]}
  case ${BASH_REMATCH[2]} in m) n=$((n * 60)) ;; h) n=$((n * 3600)) ;; esac
  echo "$n"
}
dur_secs=$(to_secs "$DURATION")
warm_secs=$(to_secs "$WARMUP")
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "REPEAT must be a positive integer"
[[ $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS must be a positive integer"
case $BACKEND in echo | nginx) ;; *) die "BACKEND must be echo or nginx, not '$BACKEND'" ;; esac
for w in $WORKERS; do [[ $w =~ ^[1-9][0-9]*$ ]] || die "bad worker count '$w' in WORKERS"; done
for s in $SCENARIOS; do
  case $s in small | close | large) ;; *) die "unknown scenario '$s' (small, close, large)" ;; esac
done
for p in $PROXIES; do
  case $p in gatehouse | nginx | haproxy) ;; *) die "unknown proxy '$p' (gatehouse, nginx, haproxy)" ;; esac
done

# ---------------------------------------------------------------- install wrk, nginx, haproxy
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || missing+=(nginx)
command -v haproxy >/dev/null || missing+=(haproxy)
command -v curl >/dev/null || missing+=(curl)
command -v taskset >/dev/null || missing+=(util-linux)
command -v ps >/dev/null || missing+=(procps)
if ((${#missing[@]})); then
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  log "run.sh: installing ${missing[*]} from Debian"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

ncpu=$(nproc)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${load_start%% *}" 'BEGIN { exit !(l > 0.5) }'; then
  log "run.sh: warning: load average is $load_start before the benchmark: something else is running, expect noise"
fi
if ((ncpu < 2)); then
  log "run.sh: warning: only $ncpu core: wrk shares core $PROXY_CPU with the proxy, numbers mean little"
  WRK_CPU=$PROXY_CPU
fi

# ---------------------------------------------------------------- gatehouse subcommands
# Listed under "Subcommands:" in `gatehouse --help` (`gatehouse NAME --help` is no test: CLI11
# answers --help before it rejects an unknown subcommand).
has_subcommand() {
  [ -x "$GATEHOUSE" ] || return 1
  "$GATEHOUSE" --help 2>&1 | awk -v want="$1" '/^Subcommands:/ { f = 1; next } f && $1 == want { found = 1 } END { exit !found }'
}

skipped_note=""
proxies=()
for p in $PROXIES; do
  if [ "$p" = gatehouse ] && ! has_subcommand serve; then
    if [ -x "$GATEHOUSE" ]; then why="$GATEHOUSE has no 'serve' subcommand yet"; else why="$GATEHOUSE is not built"; fi
    skipped_note="gatehouse skipped: $why."
    log "run.sh: SKIPPING gatehouse: $why (nginx and HAProxy still run)"
    continue
  fi
  proxies+=("$p")
done
((${#proxies[@]})) || die "no proxy left to run"

if [ "$BACKEND" = echo ] && ! has_subcommand echo; then
  die "BACKEND=echo needs '$GATEHOUSE echo' (not built, or no 'echo' subcommand yet); run with BACKEND=nginx"
fi

# ---------------------------------------------------------------- processes and cleanup
WORK=$(mktemp -d /tmp/gatehouse-bench-proxy.XXXXXX)
chmod 755 "$WORK" # nginx workers run as an unprivileged user when started as root

LAST_PID=
start_bg() { # name cpu command...: start pinned in the background, log to $WORK/name.log
  local name=$1 cpu=$2
  shift 2
  taskset -c "$cpu" "$@" >"$WORK/$name.log" 2>&1 &
  LAST_PID=$!
  started[$LAST_PID]=$name
}

trap_cleanup

port_busy() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

require_free() { # port label
  if port_busy "$1"; then
    die "port 127.0.0.1:$1 ($2) is already in use; stop whatever listens there (ss -ltnp 'sport = :$1') and retry"
  fi
}

wait_listening() { # pid name port: up to 10 s
  local pid=$1 name=$2 port=$3 i
  for ((i = 0; i < 100; i++)); do
    if ! alive "$pid"; then
      log "run.sh: $name exited during startup; its log ($WORK/$name.log):"
      tail -n 20 "$WORK/$name.log" >&2 || true
      die "$name did not start"
    fi
    port_busy "$port" && return 0
    sleep 0.1
  done
  tail -n 20 "$WORK/$name.log" >&2 || true
  die "$name did not listen on 127.0.0.1:$port within 10 s"
}

fill() { # template output: replace the @...@ fields
  sed -e "s|@WORK@|$WORK|g" -e "s|@PORT@|${FILL_PORT:-0}|g" -e "s|@WORKERS@|${FILL_WORKERS:-1}|g" \
    -e "s|@PORT_FOO_A@|$PORT_FOO_A|g" -e "s|@PORT_FOO_B@|$PORT_FOO_B|g" \
    -e "s|@PORT_BAR_A@|$PORT_BAR_A|g" -e "s|@PORT_BAR_B@|$PORT_BAR_B|g" "$1" >"$2"
}

# Every process of a tree: pid and its descendants (nginx: master + workers).
proc_tree() {
  local -A kids=()
  local pid ppid
  while read -r pid ppid; do kids[$ppid]+=" $pid"; done < <(ps -e -o pid= -o ppid=)
  local queue=("$1") members=() p
  while ((${#queue[@]})); do
    p=${queue[0]}
    queue=("${queue[@]:1}")
    members+=("$p")
    for pid in ${kids[$p]:-}; do queue+=("$pid"); done
  done
  echo "${members[@]}"
}

cpu_ticks() { # pids...: utime+stime summed (all threads of each process)
  local total=0 p rest fields
  for p in "$@"; do
    rest=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    rest=${rest##*) }
    read -r -a fields <<<"$rest"
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}

peak_rss_kib() { # pids...: VmHWM summed
  local total=0 p v
  for p in "$@"; do
    v=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# ---------------------------------------------------------------- backends
for name in "${BACKEND_NAMES[@]}"; do require_free "${BACKEND_PORT[$name]}" "backend $name"; done
for p in "${proxies[@]}"; do require_free "${PROXY_PORT[$p]}" "$p"; done

mkdir -p "$WORK/www" "$WORK/nginx-backend-tmp" "$WORK/nginx-proxy-tmp"
if [ "$BACKEND" = nginx ]; then
  head -c 65536 /dev/zero | tr '\0' x >"$WORK/www/65536.bin"
  chmod 755 "$WORK/www"
  chmod 644 "$WORK/www/65536.bin"
  fill "$here/backend-nginx.conf.tmpl" "$WORK/nginx-backend.conf"
  start_bg nginx-backend "$PROXY_CPU" nginx -p "$WORK" -e "$WORK/nginx-backend.error.log" -c "$WORK/nginx-backend.conf"
  pid=$LAST_PID
  for name in "${BACKEND_NAMES[@]}"; do wait_listening "$pid" nginx-backend "${BACKEND_PORT[$name]}"; done
else
  for name in "${BACKEND_NAMES[@]}"; do
    start_bg "echo-$name" "$PROXY_CPU" "$GATEHOUSE" echo --listen "127.0.0.1:${BACKEND_PORT[$name]}" --name "$name"
    wait_listening "$LAST_PID" "echo-$name" "${BACKEND_PORT[$name]}"
  done
fi
for name in "${BACKEND_NAMES[@]}"; do
  code=$(curl -s -o "$WORK/check.body" -w '%{http_code}' --max-time 5 "http://127.0.0.1:${BACKEND_PORT[$name]}/a/hello" || true)
  [ "$code" = 200 ] || die "backend $name (127.0.0.1:${BACKEND_PORT[$name]}) answered /a/hello with '$code', not 200"
done

# ---------------------------------------------------------------- proxies
PROXY_PID=
start_proxy() { # proxy workers
  local p=$1 w=$2 port=${PROXY_PORT[$1]}
  require_free "$port" "$p"
  case $p in
    gatehouse)
      start_bg gatehouse "$PROXY_CPU" "$GATEHOUSE" serve --manifests examples/foobar.yaml \
        --listen "127.0.0.1:$port" --workers "$w"
      ;;
    nginx)
      FILL_PORT=$port FILL_WORKERS=$w fill "$here/nginx.conf.tmpl" "$WORK/nginx-proxy.conf"
      start_bg nginx "$PROXY_CPU" nginx -p "$WORK" -e "$WORK/nginx-proxy.error.log" -c "$WORK/nginx-proxy.conf"
      ;;
    haproxy)
      FILL_PORT=$port FILL_WORKERS=$w fill "$here/haproxy.cfg.tmpl" "$WORK/haproxy.cfg"
      start_bg haproxy "$PROXY_CPU" haproxy -db -f "$WORK/haproxy.cfg"
      ;;
  esac
  PROXY_PID=$LAST_PID
  wait_listening "$PROXY_PID" "$p" "$port"
}

check_routes() { # proxy suffix: each of the four routes answers 200 from the right backend
  local p=$1 suffix=$2 port=${PROXY_PORT[$1]} r host path want code size
  for r in "${ROUTES[@]}"; do
    read -r host path want <<<"$r"
    read -r code size < <(curl -s -D "$WORK/check.headers" -o "$WORK/check.body" \
      -w '%{http_code} %{size_download}\n' --max-time 5 -H "Host: $host" "http://127.0.0.1:$port$path$suffix" ||
      echo "000 0")
    [ "$code" = 200 ] || die "$p: $host $path$suffix answered $code, not 200 (log: $WORK/$p.log)"
    # Both backends name themselves in an X-Echo-Name response header.
    if ! grep -qiE "^x-echo-name: *$want\b" "$WORK/check.headers"; then
      die "$p: $host $path$suffix did not reach backend $want (X-Echo-Name: $(grep -i '^x-echo-name:' "$WORK/check.headers" | tr -d '\r' | cut -d: -f2-))"
    fi
    if [ "$suffix" != /hello ] && [ "$size" != 65536 ]; then
      die "$p: $host $path$suffix returned $size bytes, not 65536"
    fi
  done
}

# wrk output -> "requests rps p50_ms p99_ms errors non2xx bytes_read"
parse_wrk() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return v / 1000
      if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return v * 60000
      if (v ~ /s$/) return v * 1000
      return v + 0
    }
    function bytes(v,  n) {
      n = v + 0
      if (v ~ /KB$/) return n * 1024
      if (v ~ /MB$/) return n * 1048576
      if (v ~ /GB$/) return n * 1073741824
      if (v ~ /TB$/) return n * 1099511627776
      return n
    }
    / requests in / { req = $1; b = $5; sub(/read$/, "", b); rd = bytes(b) }
    /^Requests\/sec:/ { rps = $2 }
    /^ +50% / { p50 = ms($2) }
    /^ +99% / { p99 = ms($2) }
    /Socket errors:/ { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { non2xx = $5 }
    END { printf "%d %.2f %.3f %.3f %d %d %.0f\n", req, rps, p50, p99, err, non2xx, rd }
  ' "$1"
}

run_wrk() { # proxy scenario seconds output
  local p=$1 s=$2 secs=$3 out=$4 hdr=() suffix=/hello
  case $s in
    close) hdr=(-H "Connection: close") ;;
    large) suffix=/bytes/65536 ;;
  esac
  BENCH_SUFFIX=$suffix timeout --kill-after=5 $((secs + 30)) \
    taskset -c "$WRK_CPU" wrk -t 1 -c "$CONNECTIONS" -d "${secs}s" --latency -s "$here/foobar.lua" \
    "${hdr[@]}" "http://127.0.0.1:${PROXY_PORT[$p]}/" >"$out" 2>&1 ||
    { cat "$out" >&2; die "wrk against $p failed or timed out"; }
}

declare -A SCENARIO_LABEL=([small]="small, keep-alive" [close]="small, new conn/req" [large]="64 KiB, keep-alive")
declare -A SCENARIO_SUFFIX=([small]=/hello [close]=/hello [large]=/bytes/65536)
results="$WORK/results.tsv"
: >"$results"
clk_tck=$(getconf CLK_TCK)

n_runs=0
for s in $SCENARIOS; do for w in $WORKERS; do n_runs=$((n_runs + REPEAT * ${#proxies[@]})); done; done
log "run.sh: $n_runs runs of ${dur_secs}s (+${warm_secs}s warm-up) with ${proxies[*]}; backend: $BACKEND; scratch: $WORK"
[ -n "$skipped_note" ] && log "run.sh: $skipped_note"

run_no=0
for s in $SCENARIOS; do
  for w in $WORKERS; do
    for ((rep = 1; rep <= REPEAT; rep++)); do
      # Rotate the order from one repeat to the next so drift does not always favour one proxy.
      order=()
      for ((i = 0; i < ${#proxies[@]}; i++)); do order+=("${proxies[$(((i + rep - 1) % ${#proxies[@]}))]}"); done
      for p in "${order[@]}"; do
        run_no=$((run_no + 1))
        start_proxy "$p" "$w"
        check_routes "$p" "${SCENARIO_SUFFIX[$s]}"
        ((warm_secs > 0)) && run_wrk "$p" "$s" "$warm_secs" "$WORK/wrk-warmup.txt"
        tree=$(proc_tree "$PROXY_PID")
        # shellcheck disable=SC2086
        t0=$(cpu_ticks $tree)
        out="$WORK/wrk-$s-w$w-r$rep-$p.txt"
        run_wrk "$p" "$s" "$dur_secs" "$out"
        # shellcheck disable=SC2086
        t1=$(cpu_ticks $tree)
        # shellcheck disable=SC2086
        rss=$(peak_rss_kib $tree)
        stop_pid "$PROXY_PID"
        read -r req rps p50 p99 err non2xx rd < <(parse_wrk "$out")
        ((req > 0)) || { cat "$out" >&2; die "$p completed no request"; }
        read -r cpu_us rss_mib bpr < <(awk -v t=$((t1 - t0)) -v hz="$clk_tck" -v n="$req" -v k="$rss" -v rd="$rd" \
          'BEGIN { printf "%.2f %.1f %.0f\n", t / hz * 1e6 / n, k / 1024, rd / n }')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
          "$s" "$w" "$rep" "$p" "$rps" "$p50" "$p99" "$cpu_us" "$rss_mib" "$req" "$err" "$non2xx" >>"$results"
        warn=""
        ((err + non2xx > 0)) && warn=" [socket errors $err, non-2xx $non2xx]"
        # wrk prints the bytes read rounded (e.g. 1.23GB): only a clear shortfall means something.
        [ "$s" = large ] && ((bpr < 62000)) && warn+=" [only ~$bpr bytes/response]"
        printf '[%3d/%d] %-20s workers=%s run %d/%d %-9s %10.0f req/s  p50 %7.3f ms  p99 %7.3f ms  %7.2f µs CPU/req  %6.1f MiB%s\n' \
          "$run_no" "$n_runs" "${SCENARIO_LABEL[$s]}" "$w" "$rep" "$REPEAT" "$p" "$rps" "$p50" "$p99" "$cpu_us" "$rss_mib" "$warn" >&2
      done
    done
  done
done

# ---------------------------------------------------------------- the table
proxy_order="${proxies[*]}"
scenario_labels=""
for s in $SCENARIOS; do scenario_labels+="$s=${SCENARIO_LABEL[$s]};"; done
table=$(awk -F'\t' -v porder="$proxy_order" -v sorder="$SCENARIOS" -v worder="$WORKERS" -v labels="$scenario_labels" '
  function fmt_ratio(sum, n, lo, hi) {
    if (n == 0) return "—"
    if (n == 1) return sprintf("%.2f", sum)
    return sprintf("%.2f (%.2f–%.2f)", sum / n, lo, hi)
  }
  {
    k = $1 SUBSEP $2 SUBSEP $4
    n[k]++; rps[k] += $5; p50[k] += $6; p99[k] += $7; cpu[k] += $8; rss[k] += $9; errs[k] += $11 + $12
    run[$1, $2, $3, $4] = 1; r_rps[$1, $2, $3, $4] = $5; r_cpu[$1, $2, $3, $4] = $8
    reps[$1, $2, $3] = 1
  }
  END {
    np = split(porder, P, " "); ns = split(sorder, S, " "); nw = split(worder, W, " ")
    nl = split(labels, L, ";")
    for (i = 1; i <= nl; i++) { split(L[i], kv, "="); label[kv[1]] = kv[2] }
    print "| scenario | workers | proxy | req/s | p50 ms | p99 ms | µs CPU/req | peak RSS MiB | ×nginx req/s | ×nginx CPU/req | errors |"
    print "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for (si = 1; si <= ns; si++) for (wi = 1; wi <= nw; wi++) for (pi = 1; pi <= np; pi++) {
      s = S[si]; w = W[wi]; p = P[pi]; k = s SUBSEP w SUBSEP p
      if (!(k in n)) continue
      # ratios to nginx within the same repeat, then averaged over the repeats
      rn = 0; rs = 0; cs = 0; rlo = 1e18; rhi = 0; clo = 1e18; chi = 0
      for (rk in reps) {
        split(rk, parts, SUBSEP)
        if (parts[1] != s || parts[2] != w) continue
        r = parts[3]
        if (!((s, w, r, p) in run) || !((s, w, r, "nginx") in run)) continue
        if (r_rps[s, w, r, "nginx"] == 0 || r_cpu[s, w, r, "nginx"] == 0) continue
        a = r_rps[s, w, r, p] / r_rps[s, w, r, "nginx"]; c = r_cpu[s, w, r, p] / r_cpu[s, w, r, "nginx"]
        rn++; rs += a; cs += c
        if (a < rlo) rlo = a; if (a > rhi) rhi = a; if (c < clo) clo = c; if (c > chi) chi = c
      }
      printf "| %s | %s | %s | %.0f | %.3f | %.3f | %.2f | %.1f | %s | %s | %d |\n", label[s], w, p,
        rps[k] / n[k], p50[k] / n[k], p99[k] / n[k], cpu[k] / n[k], rss[k] / n[k],
        (p == "nginx" ? "1" : fmt_ratio(rs, rn, rlo, rhi)), (p == "nginx" ? "1" : fmt_ratio(cs, rn, clo, chi)), errs[k]
    }
  }' "$results")

model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
gh_rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$root" diff --quiet HEAD 2>/dev/null || gh_rev+=" (+ uncommitted changes)"
backend_desc="four \`gatehouse echo\` processes"
[ "$BACKEND" = nginx ] && backend_desc="one nginx (4 server blocks)"
report=$(
  cat <<EOF
## gatehouse vs nginx vs HAProxy — foobar routing (examples/foobar.yaml)

- date: $(date '+%Y-%m-%d %H:%M:%S %Z')
- machine: $ncpu cores, ${model:-unknown CPU}, Linux $(uname -r); load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end
- command: \`$command_line\`
- versions: gatehouse $gh_rev; $(nginx -v 2>&1 | sed 's/^nginx version: //'); $(haproxy -v 2>/dev/null | head -n 1 | awk '{print "HAProxy " $3}'); wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}')
- setup: backends = $backend_desc; proxy + backends pinned to core $PROXY_CPU, wrk (-t 1 -c $CONNECTIONS, ${dur_secs}s, after ${warm_secs}s warm-up) on core $WRK_CPU; keep-alive to the upstreams for every proxy; each value is the mean of $REPEAT run(s), ratios are to nginx in the same run (range over runs in brackets); errors = wrk socket errors + non-2xx responses, summed over runs
${skipped_note:+- $skipped_note
}
$table
EOF
)
printf '\n%s\n' "$report"
printf '%s\n' "$report" >"$here/results-latest.md"
log "run.sh: table written to bench/proxy/results-latest.md"
