#!/usr/bin/env bash
# Start or stop librdkafka's mock Kafka cluster (scripts/kafka-mock.py) as a background process.
#
#   scripts/kafka-mock.sh start    install python3-confluent-kafka if missing, start the mock,
#                                  wait until its port accepts connections, print the address
#   scripts/kafka-mock.sh stop     stop it (no-op when not running)
#   scripts/kafka-mock.sh status   exit 0 and print the address when running, else exit 1
#   scripts/kafka-mock.sh address  print the bootstrap address (same as status)
#
# All commands are idempotent. State lives in $KAFKA_MOCK_STATE_DIR (default
# /tmp/brokerlab-kafka-mock): pid, address (the bootstrap address, 127.0.0.1:PORT) and log.
# The conformance suite reads the address from $KAFKA_BOOTSTRAP or from that address file.
set -euo pipefail

STATE_DIR="${KAFKA_MOCK_STATE_DIR:-/tmp/brokerlab-kafka-mock}"
PID_FILE="$STATE_DIR/pid"
ADDRESS_FILE="$STATE_DIR/address"
LOG_FILE="$STATE_DIR/log"
# Debian's interpreter: python3-confluent-kafka is installed for it, not for pyenv/venv pythons.
PYTHON="${KAFKA_MOCK_PYTHON:-/usr/bin/python3}"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
START_TIMEOUT_SECONDS="${KAFKA_MOCK_START_TIMEOUT:-30}"

log() { echo "kafka-mock: $*" >&2; }

is_running() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

port_open() {
  local address="$1" host port
  host="${address%%:*}"
  port="${address##*:}"
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

current_address() {
  [[ -s "$ADDRESS_FILE" ]] || return 1
  head -n 1 "$ADDRESS_FILE"
}

ensure_installed() {
  if "$PYTHON" -c 'import confluent_kafka' 2>/dev/null; then
    return 0
  fi
  log "installing python3-confluent-kafka with apt"
  export DEBIAN_FRONTEND=noninteractive
  # Another apt run may hold the dpkg lock: wait for it (bounded) rather than fail.
  local apt=(apt-get -o DPkg::Lock::Timeout=300 -y -q)
  if ! "${apt[@]}" install python3-confluent-kafka >&2; then
    "${apt[@]}" update >&2
    "${apt[@]}" install python3-confluent-kafka >&2
  fi
  "$PYTHON" -c 'import confluent_kafka' || {
    log "python3-confluent-kafka is installed but $PYTHON cannot import confluent_kafka"
    exit 1
  }
}

start() {
  mkdir -p "$STATE_DIR"
  if is_running; then
    local address
    if address="$(current_address)" && port_open "$address"; then
      echo "$address"
      return 0
    fi
    log "process $(cat "$PID_FILE") is running without a usable address; restarting it"
    stop
  fi
  rm -f "$PID_FILE" "$ADDRESS_FILE"
  ensure_installed

  # setsid: own session, so the mock outlives this shell and ignores its terminal's signals.
  setsid "$PYTHON" "$SCRIPT_DIR/kafka-mock.py" --address-file "$ADDRESS_FILE" \
    </dev/null >>"$LOG_FILE" 2>&1 &
  local pid=$!
  echo "$pid" >"$PID_FILE"

  local deadline=$((SECONDS + START_TIMEOUT_SECONDS)) address=""
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "mock exited during start-up; last log lines:"
      tail -n 20 "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE"
      exit 1
    fi
    if address="$(current_address)" && port_open "$address"; then
      echo "$address"
      return 0
    fi
    sleep 0.2
  done
  log "mock did not become ready within ${START_TIMEOUT_SECONDS}s"
  stop
  exit 1
}

stop() {
  if [[ -f "$PID_FILE" ]]; then
    local pid
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      local i
      for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$pid" 2>/dev/null; then
        log "process $pid ignored SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  fi
  rm -f "$PID_FILE" "$ADDRESS_FILE"
}

status() {
  local address
  if is_running && address="$(current_address)" && port_open "$address"; then
    echo "$address"
    return 0
  fi
  return 1
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status | address) status ;;
*)
  echo "usage: $0 start|stop|status|address" >&2
  exit 2
  ;;
esac
