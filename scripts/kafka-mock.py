#!/usr/bin/env python3
"""Run librdkafka's in-process mock Kafka cluster as a standalone loopback broker.

A confluent_kafka Producer configured with ``test.mock.num.brokers`` makes
librdkafka start a mock cluster inside this process: real Kafka-protocol
brokers listening on 127.0.0.1 with ephemeral ports. Any Kafka client (here:
kafkajs in the conformance suite) can talk to them for as long as this process
lives.

Usage:
    kafka-mock.py [--address-file PATH] [--brokers N] [--exit-on-stdin-close]

On start the bootstrap address (``127.0.0.1:PORT[,127.0.0.1:PORT...]``) is
printed as one line on stdout and, when an address file is given (argument or
env ``KAFKA_MOCK_ADDRESS_FILE``), written there atomically. The process then
stays alive until SIGTERM/SIGINT (or stdin closing, with
``--exit-on-stdin-close``), and removes the address file on the way out.

librdkafka 2.0.2 has exactly two mock settings: ``test.mock.num.brokers`` and
``test.mock.broker.rtt``. The default partition count of auto-created topics is
fixed at 4 (it can only be changed through the C API
``rd_kafka_mock_topic_create``, which the Python binding does not expose), so
every topic the suite uses has 4 partitions.
"""

import argparse
import os
import signal
import sys
import threading

from confluent_kafka import Producer


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--address-file",
        default=os.environ.get("KAFKA_MOCK_ADDRESS_FILE"),
        help="file to write the bootstrap address to (default: $KAFKA_MOCK_ADDRESS_FILE)",
    )
    parser.add_argument(
        "--brokers",
        type=int,
        default=int(os.environ.get("KAFKA_MOCK_BROKERS", "1")),
        help="number of mock brokers (default 1)",
    )
    parser.add_argument(
        "--exit-on-stdin-close",
        action="store_true",
        help="also exit when stdin reaches end of file (for a supervising parent process)",
    )
    return parser.parse_args()


def write_atomically(path: str, text: str) -> None:
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def main() -> int:
    args = parse_args()
    stop = threading.Event()

    def on_signal(_signum, _frame) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    # The producer owns the mock cluster; bootstrap.servers is ignored and
    # replaced by the mock's own brokers.
    producer = Producer({"test.mock.num.brokers": args.brokers, "client.id": "brokerlab-kafka-mock"})
    metadata = producer.list_topics(timeout=10)
    brokers = sorted(metadata.brokers.values(), key=lambda broker: broker.id)
    if not brokers:
        print("kafka-mock: mock cluster reported no brokers", file=sys.stderr)
        return 1
    for broker in brokers:
        if broker.host != "127.0.0.1":
            print(f"kafka-mock: broker {broker.id} listens on {broker.host}, not loopback", file=sys.stderr)
            return 1
    address = ",".join(f"{broker.host}:{broker.port}" for broker in brokers)

    if args.address_file:
        write_atomically(args.address_file, address + "\n")
    print(address, flush=True)

    if args.exit_on_stdin_close:

        def watch_stdin() -> None:
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            finally:
                stop.set()

        threading.Thread(target=watch_stdin, daemon=True).start()

    try:
        while not stop.is_set():
            producer.poll(0)
            stop.wait(0.5)
    finally:
        if args.address_file:
            try:
                with open(args.address_file, encoding="utf-8") as handle:
                    mine = handle.read().strip() == address
                if mine:
                    os.remove(args.address_file)
            except FileNotFoundError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
