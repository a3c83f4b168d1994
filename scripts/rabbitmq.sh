#!/usr/bin/env bash
# Start, stop or inspect a throwaway RabbitMQ node on loopback for brokerlab's conformance suite.
#
#   scripts/rabbitmq.sh start    install Debian's rabbitmq-server if missing, start the node, wait until ready
#   scripts/rabbitmq.sh stop     stop the node (and epmd if this script started it); idempotent
#   scripts/rabbitmq.sh status   say whether the node runs, with its version and AMQP URL
#   scripts/rabbitmq.sh ctl ARGS run rabbitmqctl against the node (e.g. `ctl list_queues`)
#
# Never uses systemd or the package's default node: the node runs as the `rabbitmq` user, detached,
# with every file under one base directory and every listener on 127.0.0.1.
#
# Environment (all optional):
#   RABBITMQ_BASE           base directory           default /tmp/brokerlab-rabbitmq
#   RABBITMQ_PORT           AMQP port                default 5673
#   RABBITMQ_DIST_PORT      Erlang distribution port default RABBITMQ_PORT + 20000
#   RABBITMQ_NODENAME       node name                default brokerlab@localhost
#   RABBITMQ_START_TIMEOUT  seconds to wait on start default 90
#   RABBITMQ_KEEP_DATA=1    keep the previous run's mnesia data instead of starting empty
# Must run as root (it installs packages and switches to the rabbitmq user).
set -euo pipefail

BASE="${RABBITMQ_BASE:-/tmp/brokerlab-rabbitmq}"
PORT="${RABBITMQ_PORT:-5673}"
DIST_PORT="${RABBITMQ_DIST_PORT:-$((PORT + 20000))}"
NODE="${RABBITMQ_NODENAME:-brokerlab@localhost}"
START_TIMEOUT="${RABBITMQ_START_TIMEOUT:-90}"
RMQ_BIN=/usr/lib/rabbitmq/bin
EPMD_PID_FILE="$BASE/epmd.started-by-brokerlab.pid"
MARKER="$BASE/.brokerlab-rabbitmq"

log() { printf '[rabbitmq.sh] %s\n' "$*"; }
die() {
  printf '[rabbitmq.sh] error: %s\n' "$*" >&2
  exit 1
}

require_root() {
  [ "$(id -u)" = 0 ] || die "run as root (installs packages and runs the node as the rabbitmq user)"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Installs rabbitmq-server non-interactively. A temporary policy-rc.d that exits 101 stops the
# package's postinst from starting the default node; any existing policy-rc.d is put back afterwards.
install_if_missing() {
  if [ -x "$RMQ_BIN/rabbitmq-server" ]; then return 0; fi
  log "rabbitmq-server is not installed; installing it with apt-get (services will not be started)"
  local policy=/usr/sbin/policy-rc.d backup="" status=0
  if [ -e "$policy" ]; then
    backup="$policy.brokerlab-backup"
    cp -p "$policy" "$backup"
  fi
  printf '#!/bin/sh\n# Temporary, written by brokerlab scripts/rabbitmq.sh: start no services.\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rabbitmq-server ||
      { log "install failed; running apt-get update and retrying once" &&
        apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rabbitmq-server; }
  } || status=$?
  if [ -n "$backup" ]; then mv -f "$backup" "$policy"; else rm -f "$policy"; fi
  [ "$status" = 0 ] || die "apt-get install rabbitmq-server failed (status $status)"
  # Belt and braces: if the postinst did start the package's default node (policy-rc.d ignored),
  # stop exactly that node through the package's own wrapper.
  if port_open 5672 && /usr/sbin/rabbitmqctl -q ping >/dev/null 2>&1; then
    log "the package started its default node on port 5672; stopping it"
    /usr/sbin/rabbitmqctl -q stop || true
  fi
  log "installed: $(dpkg-query -W -f='${Package} ${Version}' rabbitmq-server)"
}

# Runs a command as the rabbitmq user with the node's environment. HOME is the base directory, so
# the server and every CLI call share $BASE/.erlang.cookie (root-run CLI calls go through here too).
# CLI calls never start epmd themselves (-start_epmd false): only the server does.
as_rabbitmq() {
  runuser -u rabbitmq -- env -i \
    PATH="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" \
    HOME="$BASE" \
    LANG=C.UTF-8 LC_ALL=C.UTF-8 \
    ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_NODENAME="$NODE" \
    RABBITMQ_USE_LONGNAME=false \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$PORT" \
    RABBITMQ_DIST_PORT="$DIST_PORT" \
    RABBITMQ_CONF_ENV_FILE="$BASE/rabbitmq-env.conf" \
    RABBITMQ_CONFIG_FILE="$BASE/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$BASE/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$BASE/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$BASE/mnesia" \
    RABBITMQ_LOG_BASE="$BASE/log" \
    RABBITMQ_PID_FILE="$BASE/rabbitmq.pid" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    RABBITMQ_CTL_ERL_ARGS="-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}" \
    "$@"
}

ctl() { as_rabbitmq "$RMQ_BIN/rabbitmqctl" -n "$NODE" "$@"; }

# True when the node's pid file names a live process and the node answers a ping.
node_running() {
  local pid
  pid="$(cat "$BASE/rabbitmq.pid" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && ctl -q ping >/dev/null 2>&1
}

# Pid of the live (not zombie) epmd process, if any.
epmd_pid() { ps -o pid=,stat= -C epmd 2>/dev/null | awk '$2 !~ /^Z/ { print $1; exit }'; }

epmd_running() { [ -n "$(epmd_pid)" ]; }

# Writes the base directory: config (loopback listener, guest allowed from loopback), empty plugin
# list, an empty env file (so /etc/rabbitmq/rabbitmq-env.conf is not read) and a private cookie.
prepare_base() {
  if [ -d "$BASE" ] && [ -n "$(ls -A "$BASE")" ] && [ ! -e "$MARKER" ]; then
    die "$BASE is not empty and was not made by this script; set RABBITMQ_BASE to another directory"
  fi
  mkdir -p "$BASE/log" "$BASE/mnesia"
  touch "$MARKER"
  if [ "${RABBITMQ_KEEP_DATA:-0}" != 1 ]; then
    find "$BASE/mnesia" -mindepth 1 -delete
    find "$BASE/log" -mindepth 1 -delete
  fi
  cat >"$BASE/rabbitmq.conf" <<EOF
# Written by brokerlab scripts/rabbitmq.sh
listeners.tcp.default = 127.0.0.1:$PORT
loopback_users = none
log.console = false
log.file.level = info
disk_free_limit.absolute = 50MB
EOF
  printf '[].\n' >"$BASE/advanced.config"
  printf '[].\n' >"$BASE/enabled_plugins"
  : >"$BASE/rabbitmq-env.conf"
  if [ ! -s "$BASE/.erlang.cookie" ]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F' >"$BASE/.erlang.cookie")
  fi
  chmod 400 "$BASE/.erlang.cookie"
  chown -R rabbitmq:rabbitmq "$BASE"
  chmod 750 "$BASE"
}

# The users the conformance scenarios log in as (keep in step with test/conformance/rabbitmq/users.ts):
# brokerlab-limited with regex permissions on /, and brokerlab-novhost with none. Idempotent.
provision_users() {
  ctl -q add_user brokerlab-limited limited-pw >/dev/null 2>&1 ||
    ctl -q change_password brokerlab-limited limited-pw >/dev/null
  ctl -q set_permissions -p / brokerlab-limited \
    '^(bl[0-9a-z]+-)?perm\.own|anywhere' '^(bl[0-9a-z]+-)?perm\.(own|w)' '^(bl[0-9a-z]+-)?perm\.(own|r)' >/dev/null
  ctl -q add_user brokerlab-novhost novhost-pw >/dev/null 2>&1 ||
    ctl -q change_password brokerlab-novhost novhost-pw >/dev/null
  ctl -q clear_permissions -p / brokerlab-novhost >/dev/null 2>&1 || true
}

start() {
  require_root
  install_if_missing
  if node_running; then
    provision_users
    log "node $NODE is already running (amqp://127.0.0.1:$PORT)"
    return 0
  fi
  if port_open "$PORT"; then die "port $PORT is taken by something that is not node $NODE"; fi
  if port_open "$DIST_PORT"; then die "distribution port $DIST_PORT is taken (set RABBITMQ_DIST_PORT)"; fi

  local started_at=$SECONDS epmd_was_running=0
  epmd_running && epmd_was_running=1
  prepare_base
  log "starting node $NODE on amqp://127.0.0.1:$PORT (dist port $DIST_PORT, base $BASE)"
  as_rabbitmq "$RMQ_BIN/rabbitmq-server" -detached >"$BASE/log/startup.out" 2>&1 ||
    die "rabbitmq-server -detached failed; see $BASE/log/startup.out"

  if [ "$epmd_was_running" = 0 ]; then
    # The node launched epmd; remember its pid so `stop` ends exactly that process.
    for _ in $(seq 1 50); do
      if epmd_running; then
        epmd_pid >"$EPMD_PID_FILE"
        break
      fi
      sleep 0.1
    done
  fi

  local deadline=$((SECONDS + START_TIMEOUT))
  until port_open "$PORT"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "node did not open port $PORT within ${START_TIMEOUT}s; last log lines:"
      tail -n 30 "$BASE"/log/*.log "$BASE/log/startup.out" 2>/dev/null || true
      stop || true
      die "start timed out"
    fi
    sleep 0.5
  done
  local remaining=$((deadline - SECONDS))
  [ "$remaining" -gt 5 ] || remaining=5
  ctl -q await_startup --timeout "$remaining" >/dev/null || {
    tail -n 30 "$BASE"/log/*.log 2>/dev/null || true
    stop || true
    die "rabbitmqctl await_startup failed"
  }
  provision_users || die "creating the conformance users failed"
  log "ready in $((SECONDS - started_at))s: RabbitMQ $(ctl -q version 2>/dev/null || echo '?') at amqp://127.0.0.1:$PORT (node $NODE)"
}

stop() {
  require_root
  if [ ! -x "$RMQ_BIN/rabbitmqctl" ]; then
    log "rabbitmq-server is not installed; nothing to stop"
    return 0
  fi
  if node_running; then
    log "stopping node $NODE"
    ctl -q stop "$BASE/rabbitmq.pid" >/dev/null || ctl -q stop >/dev/null || true
    for _ in $(seq 1 60); do
      port_open "$PORT" || break
      sleep 0.5
    done
    port_open "$PORT" && die "node $NODE still listens on port $PORT"
    log "node $NODE stopped"
  else
    log "node $NODE is not running"
  fi
  if [ -f "$EPMD_PID_FILE" ]; then
    local pid
    pid="$(cat "$EPMD_PID_FILE")"
    if [ -n "$pid" ] && [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = epmd ]; then
      local others
      others="$(epmd -names 2>/dev/null | grep -c '^name ' || true)"
      if [ "${others:-0}" = 0 ]; then
        kill "$pid" && log "stopped epmd (pid $pid), which this script had started"
      else
        log "leaving epmd (pid $pid) running: other Erlang nodes are registered"
      fi
    fi
    rm -f "$EPMD_PID_FILE"
  fi
}

status() {
  if [ ! -x "$RMQ_BIN/rabbitmqctl" ]; then
    log "rabbitmq-server is not installed"
    return 3
  fi
  require_root
  if node_running; then
    log "running: RabbitMQ $(ctl -q version) node $NODE at amqp://127.0.0.1:$PORT (base $BASE)"
    return 0
  fi
  log "not running (node $NODE, port $PORT)"
  return 3
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
ctl)
  shift
  require_root
  ctl "$@"
  ;;
*)
  echo "usage: $0 start|stop|status|ctl ARGS..." >&2
  exit 2
  ;;
esac
