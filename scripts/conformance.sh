#!/usr/bin/env bash
# Runs the conformance suites against real brokers on loopback: starts RabbitMQ
# (scripts/rabbitmq.sh) and librdkafka's mock Kafka cluster (scripts/kafka-mock.sh), runs
# `vitest -c vitest.conformance.config.ts` (extra arguments are passed on, e.g. a path such as
# test/conformance/rabbitmq to run one suite), and always stops both servers again. Exits with the
# test run's status. Must run as root (the scripts install Debian packages when missing).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

# shellcheck disable=SC2317 # invoked by the EXIT trap
stop_servers() {
  scripts/rabbitmq.sh stop || echo "[conformance.sh] warning: stopping RabbitMQ failed" >&2
  scripts/kafka-mock.sh stop || echo "[conformance.sh] warning: stopping the Kafka mock failed" >&2
}
trap stop_servers EXIT
trap 'exit 130' INT TERM

scripts/rabbitmq.sh start || exit 1
scripts/kafka-mock.sh start || exit 1
npx vitest run -c vitest.conformance.config.ts "$@"
status=$?
exit "$status"
