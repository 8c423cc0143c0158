#!/usr/bin/env bash
# bench/proxy/run.sh — gatehouse vs nginx vs HAProxy: the same routing job (the talk's foobar
# table, examples/foobar.yaml) on the same machine, with the same backends, worker count and
# pinning. See bench/proxy/README.md for what it measures and how to read it.
#
# usage (from the repo root): bench/proxy/run.sh
# env knobs (defaults):
#   REPEAT=3            runs per (scenario, workers, proxy); the table shows means
#   DURATION=10s        duration of one measured run (wrk syntax: 10, 10s, 1m)
#   WARMUP=1s           unmeasured run before each measured one (opens upstream connections)
#   BACKEND=echo        echo: four `gatehouse echo` processes; nginx: one nginx with four servers
#   WORKERS="1 2"       proxy worker counts (nginx worker_processes, haproxy nbthread,
#                       gatehouse --workers)
#   SCENARIOS="small close large"
#                       small: tiny responses over keep-alive; close: tiny responses, a new
#                       connection per request; large: 64 KiB responses over keep-alive;
#                       TLS 1.3 (not in the default list): tls: tiny responses over TLS
#                       keep-alive (wrk over https); handshake: a full TLS handshake per request
#                       (openssl s_time -new), compared with `openssl speed`; h2: tiny
#                       responses over TLS + HTTP/2, multiplexed (h2load)
#   PROXIES="gatehouse nginx haproxy"
#   CONNECTIONS=64      wrk -c (wrk always runs one thread: -t 1)
#   H2_CONNECTIONS=8 H2_STREAMS=10
#                       h2: h2load connections (half foo.org, half bar.org: one h2load per host)
#                       and streams in flight per connection (h2load -m)
#   HANDSHAKE_CLIENTS=8 handshake: parallel `openssl s_time -new` processes (each one connection
#                       at a time, two per route)
#   SPEED_SECONDS=3     handshake: `openssl speed -seconds` for the handshakes/s limit
#   TLS_LOG=0           1: nginx logs each request of the TLS scenarios with $ssl_session_reused
#                       and the script counts full and resumed handshakes (costs nginx CPU: for
#                       checking the clients, not for measuring)
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
H2_CONNECTIONS=${H2_CONNECTIONS:-8}
H2_STREAMS=${H2_STREAMS:-10}
HANDSHAKE_CLIENTS=${HANDSHAKE_CLIENTS:-8}
SPEED_SECONDS=${SPEED_SECONDS:-3}
TLS_LOG=${TLS_LOG:-0}
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
# TLS scenarios: the one cipher every client offers (and nginx and HAProxy accept), and the
# Secret gatehouse serves as its default certificate.
TLS_CIPHER=TLS_AES_128_GCM_SHA256
TLS_SECRET=default/bench-tls

command_line="REPEAT=$REPEAT DURATION=$DURATION WARMUP=$WARMUP BACKEND=$BACKEND WORKERS=\"$WORKERS\" SCENARIOS=\"$SCENARIOS\" PROXIES=\"$PROXIES\" CONNECTIONS=$CONNECTIONS"
for s in $SCENARIOS; do
  case $s in
    h2) command_line+=" H2_CONNECTIONS=$H2_CONNECTIONS H2_STREAMS=$H2_STREAMS" ;;
    handshake) command_line+=" HANDSHAKE_CLIENTS=$HANDSHAKE_CLIENTS SPEED_SECONDS=$SPEED_SECONDS" ;;
  esac
done
[ "$TLS_LOG" = 1 ] && command_line+=" TLS_LOG=1"
command_line+=" bench/proxy/run.sh"

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
[[ $H2_CONNECTIONS =~ ^[0-9]+$ ]] || die "H2_CONNECTIONS must be an integer >= 2 (half per host)"
((H2_CONNECTIONS >= 2)) || die "H2_CONNECTIONS must be an integer >= 2 (half per host)"
[[ $H2_STREAMS =~ ^[1-9][0-9]*$ ]] || die "H2_STREAMS must be a positive integer"
[[ $HANDSHAKE_CLIENTS =~ ^[1-9][0-9]*$ ]] || die "HANDSHAKE_CLIENTS must be a positive integer"
[[ $SPEED_SECONDS =~ ^[1-9][0-9]*$ ]] || die "SPEED_SECONDS must be a positive integer"
case $TLS_LOG in 0 | 1) ;; *) die "TLS_LOG must be 0 or 1" ;; esac
is_tls() { case $1 in tls | handshake | h2) return 0 ;; *) return 1 ;; esac; }
any_tls=0 any_h2=0 any_handshake=0
for s in $SCENARIOS; do
  case $s in small | close | large | tls | handshake | h2) ;; *) die "unknown scenario '$s' (small, close, large, tls, handshake, h2)" ;; esac
  is_tls "$s" && any_tls=1
  [ "$s" = h2 ] && any_h2=1
  [ "$s" = handshake ] && any_handshake=1
done
for p in $PROXIES; do
  case $p in gatehouse | nginx | haproxy) ;; *) die "unknown proxy '$p' (gatehouse, nginx, haproxy)" ;; esac
done

# ---------------------------------------------------------------- install wrk, nginx, haproxy
missing=()
command -v wrk >/dev/null || missing+=(wrk)
((any_tls)) && ! command -v openssl >/dev/null && missing+=(openssl)
((any_h2)) && ! command -v h2load >/dev/null && missing+=(nghttp2-client)
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

# The TLS scenarios need `gatehouse serve --listen-tls` (and --default-certificate); without it
# gatehouse sits them out and runs the others.
gatehouse_tls=0
if ((any_tls)) && [[ " ${proxies[*]} " == *" gatehouse "* ]]; then
  if "$GATEHOUSE" serve --help 2>&1 | grep -q -- '--listen-tls'; then
    gatehouse_tls=1
  else
    skipped_note+="${skipped_note:+ }gatehouse skipped in the TLS scenarios: its 'serve' has no --listen-tls yet."
    log "run.sh: gatehouse has no --listen-tls yet: it sits out the TLS scenarios"
  fi
fi
scenario_proxies() { # scenario: the proxies that run it, one a line
  local p
  for p in "${proxies[@]}"; do
    if [ "$p" = gatehouse ] && is_tls "$1" && ((!gatehouse_tls)); then continue; fi
    echo "$p"
  done
}

# ---------------------------------------------------------------- processes and cleanup
WORK=$(mktemp -d /tmp/gatehouse-bench-proxy.XXXXXX)
chmod 755 "$WORK" # nginx workers run as an unprivileged user when started as root

# ---------------------------------------------------------------- TLS material
# One self-signed P-256 certificate for foo.org and bar.org, served by all three: nginx as
# site.crt + site.key, HAProxy as site.pem (both in one file), gatehouse as a kubernetes.io/tls
# Secret next to a copy of examples/foobar.yaml, named by --default-certificate (the clients
# connect to 127.0.0.1 and send no SNI that names a host, so the default certificate serves).
# The clients get client-openssl.cnf (OPENSSL_CONF; wrk has no option of its own) or a flag
# that makes them offer TLS_CIPHER only.
if ((any_tls)); then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=foo.org \
    -addext subjectAltName=DNS:foo.org,DNS:bar.org -keyout "$WORK/site.key" -out "$WORK/site.crt" \
    >"$WORK/openssl-req.log" 2>&1 || { cat "$WORK/openssl-req.log" >&2; die "cannot make the certificate"; }
  cat "$WORK/site.crt" "$WORK/site.key" >"$WORK/site.pem"
  mkdir -p "$WORK/manifests"
  cp examples/foobar.yaml "$WORK/manifests/foobar.yaml"
  {
    printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\n' "${TLS_SECRET#*/}" "${TLS_SECRET%%/*}"
    printf 'type: kubernetes.io/tls\nstringData:\n  tls.crt: |\n'
    sed 's/^/    /' "$WORK/site.crt"
    printf '  tls.key: |\n'
    sed 's/^/    /' "$WORK/site.key"
  } >"$WORK/manifests/tls-secret.yaml"
  printf '%s\n' 'openssl_conf = openssl_init' '[openssl_init]' 'ssl_conf = ssl_module' '[ssl_module]' \
    'system_default = bench_client' '[bench_client]' "Ciphersuites = $TLS_CIPHER" >"$WORK/client-openssl.cnf"
fi

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
    -e "s|@TLS_CIPHER@|$TLS_CIPHER|g" \
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
# The TLS scenarios' nginx and HAProxy configs are the plain templates with TLS switched on, so
# the routing stays in one place. nginx: nginx-tls.conf.tmpl included in the http block, "ssl"
# ("ssl http2" for h2) on every listen line, the access log with TLS_LOG=1. HAProxy: TLS 1.3 and
# TLS_CIPHER in global, "ssl crt site.pem alpn h2,http/1.1" on the bind line (every TLS
# scenario: wrk and s_time send no ALPN and get HTTP/1.1), X-Forwarded-Proto https.
tls_template_nginx() { # listen-options output
  local access=off
  [ "$TLS_LOG" = 1 ] && access="$WORK/nginx-proxy.access.log tls_bench"
  awk -v opts="$1" -v inc="$WORK/nginx-proxy-tls.conf" -v acc="$access" '
    /^ *access_log off;$/ { ind = $0; sub(/access_log.*/, "", ind); print ind "include " inc ";"; print ind "access_log " acc ";"; a++; next }
    /listen 127\.0\.0\.1:@PORT@[ ;]/ { sub(/:@PORT@/, ":@PORT@ " opts); l++ }
    { print }
    END { exit !(a == 1 && l > 0) }' "$here/nginx.conf.tmpl" >"$2" ||
    die "nginx.conf.tmpl no longer has 'access_log off;' and 'listen 127.0.0.1:@PORT@' lines: update tls_template_nginx"
}
tls_template_haproxy() { # output
  awk -v pem="$WORK/site.pem" '
    /^ *bind 127\.0\.0\.1:@PORT@$/ { $0 = $0 " ssl crt " pem " alpn h2,http/1.1"; b++ }
    /X-Forwarded-Proto http$/ { sub(/http$/, "https"); x++ }
    { print }
    /^global$/ { print "    ssl-default-bind-options ssl-min-ver TLSv1.3"; print "    ssl-default-bind-ciphersuites @TLS_CIPHER@"; g++ }
    END { exit !(b == 1 && x == 1 && g == 1) }' "$here/haproxy.cfg.tmpl" >"$1" ||
    die "haproxy.cfg.tmpl no longer has one 'global', 'bind 127.0.0.1:@PORT@' and 'X-Forwarded-Proto http' line: update tls_template_haproxy"
}
if ((any_tls)); then
  fill "$here/nginx-tls.conf.tmpl" "$WORK/nginx-proxy-tls.conf"
  tls_template_nginx ssl "$WORK/nginx-tls.conf.tmpl"
  tls_template_nginx "ssl http2" "$WORK/nginx-h2.conf.tmpl"
  tls_template_haproxy "$WORK/haproxy-tls.cfg.tmpl"
fi

PROXY_PID=
start_proxy() { # proxy workers scenario
  local p=$1 w=$2 s=$3 port=${PROXY_PORT[$1]} tmpl
  require_free "$port" "$p"
  case $p in
    gatehouse)
      if is_tls "$s"; then
        start_bg gatehouse "$PROXY_CPU" "$GATEHOUSE" serve --manifests "$WORK/manifests" \
          --listen-tls "127.0.0.1:$port" --default-certificate "$TLS_SECRET" --workers "$w"
      else
        start_bg gatehouse "$PROXY_CPU" "$GATEHOUSE" serve --manifests examples/foobar.yaml \
          --listen "127.0.0.1:$port" --workers "$w"
      fi
      ;;
    nginx)
      case $s in
        tls | handshake) tmpl=$WORK/nginx-tls.conf.tmpl ;;
        h2) tmpl=$WORK/nginx-h2.conf.tmpl ;;
        *) tmpl=$here/nginx.conf.tmpl ;;
      esac
      rm -f "$WORK/nginx-proxy.access.log"
      FILL_PORT=$port FILL_WORKERS=$w fill "$tmpl" "$WORK/nginx-proxy.conf"
      start_bg nginx "$PROXY_CPU" nginx -p "$WORK" -e "$WORK/nginx-proxy.error.log" -c "$WORK/nginx-proxy.conf"
      ;;
    haproxy)
      tmpl=$here/haproxy.cfg.tmpl
      if is_tls "$s"; then tmpl=$WORK/haproxy-tls.cfg.tmpl; fi
      FILL_PORT=$port FILL_WORKERS=$w fill "$tmpl" "$WORK/haproxy.cfg"
      start_bg haproxy "$PROXY_CPU" haproxy -db -f "$WORK/haproxy.cfg"
      ;;
  esac
  PROXY_PID=$LAST_PID
  wait_listening "$PROXY_PID" "$p" "$port"
}

check_routes() { # proxy suffix scheme: each of the four routes answers 200 from the right backend
  local p=$1 suffix=$2 scheme=$3 port=${PROXY_PORT[$1]} r host path want code size
  for r in "${ROUTES[@]}"; do
    read -r host path want <<<"$r"
    read -r code size < <(curl -sk -D "$WORK/check.headers" -o "$WORK/check.body" \
      -w '%{http_code} %{size_download}\n' --max-time 5 -H "Host: $host" "$scheme://127.0.0.1:$port$path$suffix" ||
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

h2_version() { # proxy: the HTTP version curl --http2 gets over TLS ("2" when the proxy speaks h2)
  curl -sk --http2 -o /dev/null -w '%{http_version}' --max-time 5 -H "Host: foo.org" \
    "https://127.0.0.1:${PROXY_PORT[$1]}/a/hello" || echo "none"
}

# s_time sends "GET <-www argument> HTTP/1.0\r\n\r\n" and nothing else, so the Host header (and a
# Connection: close for good measure) ride in the argument; a last dummy header swallows the
# " HTTP/1.0".
stime_page() { # host path
  printf '%s/hello HTTP/1.0\r\nHost: %s\r\nConnection: close\r\nX-Bench: x' "$2" "$1"
}

check_stime_request() { # proxy: s_time's exact request, sent with s_client, on each route
  local p=$1 port=${PROXY_PORT[$1]} r host path want status
  for r in "${ROUTES[@]}"; do
    read -r host path want <<<"$r"
    printf 'GET %s HTTP/1.0\r\n\r\n' "$(stime_page "$host" "$path")" |
      timeout 10 openssl s_client -quiet -connect "127.0.0.1:$port" -ciphersuites "$TLS_CIPHER" \
        >"$WORK/check.stime" 2>/dev/null || true
    status=$(head -n 1 "$WORK/check.stime" | tr -d '\r')
    [[ $status =~ ^HTTP/1\.[01]\ 200 ]] || die "$p: s_time's request for $host $path/hello got '$status', not 200"
    grep -qiE "^x-echo-name: *$want\b" "$WORK/check.stime" ||
      die "$p: s_time's request for $host $path/hello did not reach backend $want"
  done
}

s_client_brief() { # port s_client-options...: "protocol cipher group signature" of one handshake
  local port=$1
  shift
  timeout 10 openssl s_client -brief -connect "127.0.0.1:$port" "$@" </dev/null 2>&1 | awk -F': *' '
    /^Protocol version/ { v = $2 } /^Ciphersuite/ { c = $2 } /^Signature type/ { s = $2 }
    /^Server Temp Key/ { split($2, k, ","); g = k[1] }
    END { print (v == "" ? "no handshake" : v " " c " " g " " s) }'
}

declare -A TLS_INFO=() # proxy -> what its handshakes negotiate (first TLS scenario it runs)
tls_probe() { # proxy
  local p=$1 port=${PROXY_PORT[$1]} pinned dflt reused=no req
  [ -n "${TLS_INFO[$p]:-}" ] && return 0
  pinned=$(s_client_brief "$port" -ciphersuites "$TLS_CIPHER")
  dflt=$(s_client_brief "$port")
  # Resumption: a ticket from one connection (read to the end, so the tickets arrive), offered on
  # the next.
  req=$'GET /a/hello HTTP/1.1\r\nHost: foo.org\r\nConnection: close\r\n\r\n'
  rm -f "$WORK/session.pem"
  printf '%s' "$req" | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$port" \
    -sess_out "$WORK/session.pem" >/dev/null 2>&1 || true
  if [ -s "$WORK/session.pem" ] && printf '%s' "$req" | timeout 10 openssl s_client -ign_eof \
    -connect "127.0.0.1:$port" -sess_in "$WORK/session.pem" 2>/dev/null | grep -q '^Reused,'; then
    reused=yes
  fi
  TLS_INFO[$p]="$pinned (an OpenSSL client with its default offer gets: ${dflt#* }); resumes a session when offered one: $reused"
}

# The clients. Each run_* writes its raw output under the prefix OUT, and parse_load turns it
# into "requests rps p50_ms p99_ms errors non2xx bytes_read" ("-" for a latency not measured).
# wrk output -> the fields
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

# h2load outputs (one per host) -> the fields; latencies from their per-request logs (--log-file:
# start µs, status, µs to the end of the response), nearest-rank percentiles.
parse_h2load() { # prefix
  local p50 p99
  read -r p50 p99 < <(cat "$1".*.log | awk -F'\t' '$2 >= 0 { print $3 }' | sort -n | awk '
    { v[NR] = $1 }
    function rank(q,  i) { i = int(NR * q + 0.999999); return v[i < 1 ? 1 : i] }
    END { if (NR == 0) print "0 0"; else printf "%.3f %.3f\n", rank(0.5) / 1000, rank(0.99) / 1000 }')
  awk -v p50="$p50" -v p99="$p99" '
    /^finished in/ { rps += $4 }
    /^requests:/ { req += $6; err += $12 + $14 }
    /^status codes:/ { non2xx += $7 + $9 }
    END { printf "%d %.2f %s %s %d %d 0\n", req, rps, p50, p99, err, non2xx }' "$1".*.txt
}

# s_time outputs -> the fields: connections (= requests) over the wall time of the whole run.
parse_stime() { # prefix
  awk -v t="$(cat "$1.elapsed")" '/connections in .*user sec/ { n += $1 }
    END { printf "%d %.2f - - 0 0 0\n", n, (t > 0 ? n / t : 0) }' "$1".[0-9]*.txt
}

run_wrk() { # proxy scenario seconds prefix
  local p=$1 s=$2 secs=$3 out=$4.txt hdr=() suffix=/hello scheme=http cnf=()
  case $s in
    close) hdr=(-H "Connection: close") ;;
    large) suffix=/bytes/65536 ;;
    tls) scheme=https cnf=("OPENSSL_CONF=$WORK/client-openssl.cnf") ;;
  esac
  BENCH_SUFFIX=$suffix timeout --kill-after=5 $((secs + 30)) env "${cnf[@]}" \
    taskset -c "$WRK_CPU" wrk -t 1 -c "$CONNECTIONS" -d "${secs}s" --latency -s "$here/foobar.lua" \
    "${hdr[@]}" "$scheme://127.0.0.1:${PROXY_PORT[$p]}/" >"$out" 2>&1 ||
    { cat "$out" >&2; die "wrk against $p failed or timed out"; }
}

wait_clients() { # what pids...: wait for background clients, stop on the first failure
  local what=$1 pid
  shift
  for pid in "$@"; do
    wait "$pid" || die "$what failed or timed out (output: $WORK)"
    unset "started[$pid]"
  done
}

run_h2load() { # proxy seconds prefix: one h2load per host, both at once, on WRK_CPU
  local p=$1 secs=$2 out=$3 host n half=$(((H2_CONNECTIONS + 1) / 2)) pids=()
  local url="https://127.0.0.1:${PROXY_PORT[$1]}"
  for host in foo.org bar.org; do
    n=$half
    [ "$host" = bar.org ] && n=$((H2_CONNECTIONS - half))
    timeout --kill-after=5 $((secs + 30)) taskset -c "$WRK_CPU" h2load -t 1 -c "$n" -m "$H2_STREAMS" -D "$secs" \
      --tls13-ciphers="$TLS_CIPHER" -H ":authority: $host" --log-file="$out.$host.log" \
      "$url/a/hello" "$url/b/hello" >"$out.$host.txt" 2>&1 &
    pids+=($!)
    started[$!]="h2load $host"
  done
  wait_clients "h2load against $p" "${pids[@]}"
}

run_stime() { # proxy seconds prefix: HANDSHAKE_CLIENTS `s_time -new` at once, on WRK_CPU
  local p=$1 secs=$2 out=$3 i host path want t0 pids=()
  t0=$(date +%s.%N)
  for ((i = 0; i < HANDSHAKE_CLIENTS; i++)); do
    read -r host path want <<<"${ROUTES[$((i % ${#ROUTES[@]}))]}"
    timeout --kill-after=5 $((secs + 30)) taskset -c "$WRK_CPU" openssl s_time -connect "127.0.0.1:${PROXY_PORT[$p]}" \
      -new -time "$secs" -ciphersuites "$TLS_CIPHER" -no-CAfile -no-CApath -no-CAstore \
      -www "$(stime_page "$host" "$path")" >"$out.$i.txt" 2>&1 &
    pids+=($!)
    started[$!]="s_time $i"
  done
  wait_clients "openssl s_time against $p" "${pids[@]}"
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.6f\n", b - a }' >"$out.elapsed"
}

run_load() { # proxy scenario seconds prefix
  case $2 in
    h2) run_h2load "$1" "$3" "$4" ;;
    handshake) run_stime "$1" "$3" "$4" ;;
    *) run_wrk "$@" ;;
  esac
}

parse_load() { # scenario prefix
  case $1 in
    h2) parse_h2load "$2" ;;
    handshake) parse_stime "$2" ;;
    *) parse_wrk "$2.txt" ;;
  esac
}

# TLS_LOG=1: nginx's access log of the run -> "N full, M resumed" (requests, by connection kind)
nginx_handshakes() {
  awk '/ reused=r / { r++ } / reused=\. / { f++ } END { printf "%d on full-handshake connections, %d on resumed ones", f, r }' \
    "$WORK/nginx-proxy.access.log" 2>/dev/null || echo "no access log"
}

# `openssl speed` on the proxy's core: what a full TLS 1.3 handshake with this certificate costs
# the server in public-key operations — one ECDSA P-256 signature (CertificateVerify), one X25519
# key generation and one X25519 derivation (key generation counted as one more X25519 operation:
# both are a scalar multiplication) — gives the handshakes/s one core could do if nothing else
# cost anything.
speed_sign=0 speed_x25519=0 hs_limit=0
measure_speed() {
  log "run.sh: openssl speed ecdsap256 ecdhx25519 on core $PROXY_CPU (${SPEED_SECONDS}s each)"
  taskset -c "$PROXY_CPU" openssl speed -seconds "$SPEED_SECONDS" ecdsap256 ecdhx25519 >"$WORK/openssl-speed.txt" 2>&1 ||
    { cat "$WORK/openssl-speed.txt" >&2; die "openssl speed failed"; }
  read -r speed_sign speed_x25519 hs_limit < <(awk '
    /ecdsa \(nistp256\)/ { s = $(NF - 1) } /ecdh \(X25519\)/ { x = $NF }
    END { printf "%.0f %.0f %.0f\n", s, x, (s > 0 && x > 0 ? 1 / (1 / s + 2 / x) : 0) }' "$WORK/openssl-speed.txt")
  ((hs_limit > 0)) || { cat "$WORK/openssl-speed.txt" >&2; die "cannot read openssl speed's output"; }
  log "run.sh: ECDSA P-256 $speed_sign sign/s, X25519 $speed_x25519 op/s: limit $hs_limit full handshakes/s per core"
}

declare -A SCENARIO_LABEL=([small]="small, keep-alive" [close]="small, new conn/req" [large]="64 KiB, keep-alive"
  [tls]="small, TLS keep-alive" [handshake]="TLS full handshake/req" [h2]="small, TLS h2 ×$H2_STREAMS streams")
declare -A SCENARIO_SUFFIX=([small]=/hello [close]=/hello [large]=/bytes/65536 [tls]=/hello [handshake]=/hello [h2]=/hello)
results="$WORK/results.tsv"
: >"$results"
clk_tck=$(getconf CLK_TCK)

n_runs=0
for s in $SCENARIOS; do
  mapfile -t sproxies < <(scenario_proxies "$s")
  for w in $WORKERS; do n_runs=$((n_runs + REPEAT * ${#sproxies[@]})); done
done
log "run.sh: $n_runs runs of ${dur_secs}s (+${warm_secs}s warm-up) with ${proxies[*]}; backend: $BACKEND; scratch: $WORK"
[ -n "$skipped_note" ] && log "run.sh: $skipped_note"

run_no=0
for s in $SCENARIOS; do
  mapfile -t sproxies < <(scenario_proxies "$s")
  ((${#sproxies[@]})) || continue
  scheme=http
  is_tls "$s" && scheme=https
  [ "$s" = handshake ] && ((hs_limit == 0)) && measure_speed
  for w in $WORKERS; do
    for ((rep = 1; rep <= REPEAT; rep++)); do
      # Rotate the order from one repeat to the next so drift does not always favour one proxy.
      order=()
      for ((i = 0; i < ${#sproxies[@]}; i++)); do order+=("${sproxies[$(((i + rep - 1) % ${#sproxies[@]}))]}"); done
      for p in "${order[@]}"; do
        run_no=$((run_no + 1))
        start_proxy "$p" "$w" "$s"
        check_routes "$p" "${SCENARIO_SUFFIX[$s]}" "$scheme"
        if is_tls "$s"; then tls_probe "$p"; fi
        version=2
        if [ "$s" = h2 ]; then version=$(h2_version "$p"); fi
        if [ "$version" != 2 ]; then
          [ "$p" = gatehouse ] || die "$p: curl --http2 got HTTP/$version, not 2"
          # gatehouse without h2 (ALPN http/1.1 only): a row that says so instead of a measurement.
          stop_pid "$PROXY_PID"
          printf '%s\t%s\t%s\t%s\tn/a\t-\t-\t-\t-\t0\t0\t0\n' "$s" "$w" "$rep" "$p" >>"$results"
          printf '[%3d/%d] %-20s workers=%s run %d/%d %-9s n/a (no h2: curl --http2 got HTTP/%s)\n' \
            "$run_no" "$n_runs" "${SCENARIO_LABEL[$s]}" "$w" "$rep" "$REPEAT" "$p" "$version" >&2
          continue
        fi
        if [ "$s" = handshake ]; then check_stime_request "$p"; fi
        ((warm_secs > 0)) && run_load "$p" "$s" "$warm_secs" "$WORK/warmup"
        [ "$p" = nginx ] && [ "$TLS_LOG" = 1 ] && : >"$WORK/nginx-proxy.access.log"
        tree=$(proc_tree "$PROXY_PID")
        # shellcheck disable=SC2086
        t0=$(cpu_ticks $tree)
        out="$WORK/run-$s-w$w-r$rep-$p"
        run_load "$p" "$s" "$dur_secs" "$out"
        # shellcheck disable=SC2086
        t1=$(cpu_ticks $tree)
        # shellcheck disable=SC2086
        rss=$(peak_rss_kib $tree)
        stop_pid "$PROXY_PID"
        read -r req rps p50 p99 err non2xx rd < <(parse_load "$s" "$out")
        ((req > 0)) || { cat "$out"* >&2; die "$p completed no request"; }
        read -r cpu_us rss_mib bpr < <(awk -v t=$((t1 - t0)) -v hz="$clk_tck" -v n="$req" -v k="$rss" -v rd="$rd" \
          'BEGIN { printf "%.2f %.1f %.0f\n", t / hz * 1e6 / n, k / 1024, rd / n }')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
          "$s" "$w" "$rep" "$p" "$rps" "$p50" "$p99" "$cpu_us" "$rss_mib" "$req" "$err" "$non2xx" >>"$results"
        warn=""
        ((err + non2xx > 0)) && warn=" [socket errors $err, non-2xx $non2xx]"
        # wrk prints the bytes read rounded (e.g. 1.23GB): only a clear shortfall means something.
        [ "$s" = large ] && ((bpr < 62000)) && warn+=" [only ~$bpr bytes/response]"
        [ "$p" = nginx ] && [ "$TLS_LOG" = 1 ] && is_tls "$s" && warn+=" [nginx access log: requests $(nginx_handshakes)]"
        lat="p50 $(printf '%7s' "$p50") ms  p99 $(printf '%7s' "$p99") ms"
        [ "$p50" = - ] && lat="(no latency: s_time)         "
        printf '[%3d/%d] %-20s workers=%s run %d/%d %-9s %10.0f req/s  %s  %7.2f µs CPU/req  %6.1f MiB%s\n' \
          "$run_no" "$n_runs" "${SCENARIO_LABEL[$s]}" "$w" "$rep" "$REPEAT" "$p" "$rps" "$lat" "$cpu_us" "$rss_mib" "$warn" >&2
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
  $5 == "n/a" { na[$1, $2, $4] = 1; next } # gatehouse in h2 while it has no h2
  {
    k = $1 SUBSEP $2 SUBSEP $4
    if ($6 == "-") nolat[k] = 1 # s_time measures no latency
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
      if (!(k in n)) {
        if (k in na) printf "| %s | %s | %s | n/a (no h2) | — | — | — | — | — | — | — |\n", label[s], w, p
        continue
      }
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
      printf "| %s | %s | %s | %.0f | %s | %s | %.2f | %.1f | %s | %s | %d |\n", label[s], w, p,
        rps[k] / n[k], (k in nolat ? "—" : sprintf("%.3f", p50[k] / n[k])), (k in nolat ? "—" : sprintf("%.3f", p99[k] / n[k])),
        cpu[k] / n[k], rss[k] / n[k],
        (p == "nginx" ? "1" : fmt_ratio(rs, rn, rlo, rhi)), (p == "nginx" ? "1" : fmt_ratio(cs, rn, clo, chi)), errs[k]
    }
  }' "$results")

# The handshake scenario against `openssl speed`: the measured handshakes/s (capped by whichever
# core runs out first: on this machine the client's, as a TLS client's verify costs more than the
# server's sign) and the handshakes/s the proxy's CPU time per handshake allows on one whole core.
hs_report=""
if ((any_handshake && hs_limit > 0)); then
  hs_report=$(awk -F'\t' -v porder="$proxy_order" -v worder="$WORKERS" -v limit="$hs_limit" '
    $1 == "handshake" { k = $2 SUBSEP $4; n[k]++; rps[k] += $5; cpu[k] += $8 }
    END {
      np = split(porder, P, " "); nw = split(worder, W, " ")
      print "| workers | proxy | full handshakes/s | ÷ limit | µs proxy CPU/handshake | per proxy core: 1e6 / CPU | ÷ limit |"
      print "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
      for (wi = 1; wi <= nw; wi++) for (pi = 1; pi <= np; pi++) {
        k = W[wi] SUBSEP P[pi]
        if (!(k in n)) continue
        r = rps[k] / n[k]; c = cpu[k] / n[k]; per = (c > 0 ? 1e6 / c : 0)
        printf "| %s | %s | %.0f | %.2f | %.1f | %.0f | %.2f |\n", W[wi], P[pi], r, r / limit, c, per, per / limit
      }
    }' "$results")
  hs_report="### Full handshakes vs \`openssl speed\`

\`openssl speed -seconds $SPEED_SECONDS ecdsap256 ecdhx25519\` on core $PROXY_CPU: ECDSA P-256 $speed_sign sign/s, X25519 $speed_x25519 op/s. A TLS 1.3 full handshake costs the server one signature, one X25519 key generation and one X25519 derivation: limit **$hs_limit full handshakes/s per core** = 1 / (1/sign + 2/X25519). \"÷ limit\" divides by it; the last two columns are what the proxy's measured CPU time per handshake (request included) would allow on a whole core.

$hs_report"
fi

tls_lines=""
if ((any_tls)); then
  tls_lines="- TLS: one self-signed ECDSA P-256 certificate (SAN foo.org, bar.org) for all three; nginx and HAProxy allow TLS 1.3 with $TLS_CIPHER only, gatehouse keeps OpenSSL's defaults, every client offers $TLS_CIPHER only"
  for s in $SCENARIOS; do
    case $s in
      tls) tls_lines+="; tls: wrk over https (OPENSSL_CONF pins its cipher)" ;;
      h2) tls_lines+="; h2: two h2load (one per host) with $H2_CONNECTIONS connections × $H2_STREAMS streams in all, p50/p99 from h2load's per-request log" ;;
      handshake) tls_lines+="; handshake: $HANDSHAKE_CLIENTS \`openssl s_time -new\` processes, one connection at a time each (a full handshake per request, never a resumption; no latency measured)" ;;
    esac
  done
  for p in "${proxies[@]}"; do
    [ -n "${TLS_INFO[$p]:-}" ] && tls_lines+="
- negotiated with $p: ${TLS_INFO[$p]}"
  done
fi
client_versions=""
((any_tls)) && client_versions+="; $(openssl version | awk '{print "OpenSSL " $2}') (libssl of the three proxies and of the clients)"
((any_h2)) && client_versions+="; h2load $(h2load --version 2>&1 | awk '{print $2}' | sed 's|^nghttp2/||')"

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
- versions: gatehouse $gh_rev; $(nginx -v 2>&1 | sed 's/^nginx version: //'); $(haproxy -v 2>/dev/null | head -n 1 | awk '{print "HAProxy " $3}'); wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}')$client_versions
- setup: backends = $backend_desc; proxy + backends pinned to core $PROXY_CPU, wrk (-t 1 -c $CONNECTIONS, ${dur_secs}s, after ${warm_secs}s warm-up) on core $WRK_CPU; keep-alive to the upstreams for every proxy; each value is the mean of $REPEAT run(s), ratios are to nginx in the same run (range over runs in brackets); errors = wrk socket errors + non-2xx responses, summed over runs
${tls_lines:+$tls_lines
}${skipped_note:+- $skipped_note
}
$table${hs_report:+

$hs_report}
EOF
)
printf '\n%s\n' "$report"
printf '%s\n' "$report" >"$here/results-latest.md"
log "run.sh: table written to bench/proxy/results-latest.md"
