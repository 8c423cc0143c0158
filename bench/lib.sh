# Shared by the benchmark scripts (source it): messages, and stopping by PID the processes a
# script started. A script records each process it starts in `started` (pid -> name).
log() { printf '%s\n' "$*" >&2; }
die() { log "run.sh: error: $*"; exit 1; }

declare -A started=() # pid -> name: every process this script started and has not stopped

alive() { # pid: running and not a zombie
  local st
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  st=${st##*) }
  [ "${st%% *}" != Z ]
}

stop_pid() { # pid: SIGTERM, wait up to 10 s, then SIGKILL
  local pid=$1 i
  if alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      log "run.sh: ${started[$pid]:-pid $pid} ignored SIGTERM for 10 s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
  unset "started[$pid]"
}

# On exit (also Ctrl-C, SIGTERM, an error): stop every started process and remove $WORK unless
# KEEP_WORK=1 or the script failed. A script that must close something first (its sockets)
# defines before_cleanup.
cleanup() {
  local rc=$? pid
  if declare -F before_cleanup >/dev/null; then before_cleanup; fi
  for pid in "${!started[@]}"; do stop_pid "$pid"; done
  if [ "${KEEP_WORK:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
    log "run.sh: scratch directory kept: $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap_cleanup() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
