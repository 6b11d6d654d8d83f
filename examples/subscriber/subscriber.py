"""An outside system that follows shegong's events with nothing but the contracts and a
Redis client (``pip install shegong-contracts redis``).

    python subscriber.py --group my-system --from beginning
    python subscriber.py --group my-system --from now --stream training.events

What it does, and why (the rules any subscriber in any language should follow):

- its **own consumer group**: the group's position lives in Redis, so a restart carries on
  where it stopped, and other systems' groups are unaffected. ``--from`` only matters when
  the group is first created: ``beginning`` (id 0, the stream's whole retained history) or
  ``now`` (``$``, only what comes after);
- on start it first re-reads **its own pending entries** (delivered before a crash, never
  acknowledged: ``XREADGROUP … 0``), and it claims entries another consumer of the group
  left pending too long (``XAUTOCLAIM``, Redis ≥ 6.2) — otherwise they would never come back;
- delivery is at least once, so it **deduplicates on the event id**: each event goes into
  a small local inbox (SQLite) and is acknowledged (``XACK``) only after that commit; a
  redelivered event is recognised and skipped;
- an entry it cannot read, or an event type/version newer than its contracts, is
  recorded and acknowledged rather than retried forever.

Each event is printed as one JSON line on stdout (``--quiet`` stops that); progress goes
to stderr.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import Iterable
from typing import Any

import redis
from redis.exceptions import ResponseError

from shegong.contracts import (
    STREAMS,
    Envelope,
    UnknownEventType,
    UnsupportedSchemaVersion,
    WireFormatError,
)

CONTRACTS = {contract.service: contract for contract in STREAMS}
Entry = tuple[bytes, dict[bytes, bytes]]


class Inbox:
    """Event ids already handled, and what they were (the example's whole "database")."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS received (event_id TEXT PRIMARY KEY, entry_id TEXT,"
            " type TEXT, subject TEXT, source TEXT, sequence INTEGER, body TEXT)"
        )
        self.db.commit()

    def record(self, entry_id: str, envelope: Envelope | None, body: dict[str, Any]) -> bool:
        """True if new; False if this event was handled before (a redelivery)."""
        event_id = envelope.id if envelope else f"unreadable:{entry_id}"
        with self.db:
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO received VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    event_id,
                    entry_id,
                    envelope.type if envelope else None,
                    envelope.subject if envelope else None,
                    envelope.source if envelope else None,
                    envelope.sequence if envelope else None,
                    json.dumps(body, ensure_ascii=False),
                ),
            )
        return cursor.rowcount == 1


class Subscriber:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.redis = redis.Redis.from_url(args.redis_url)
        self.stream = f"{args.prefix}{args.stream}"
        self.inbox = Inbox(args.state)
        self.stopping = False
        self.handled = 0

    def log(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def ensure_group(self) -> None:
        start = "0" if self.args.start == "beginning" else "$"
        try:
            self.redis.xgroup_create(self.stream, self.args.group, id=start, mkstream=True)
            self.log(f"created group {self.args.group} on {self.stream} from {self.args.start}")
        except ResponseError as err:
            if "BUSYGROUP" not in str(err):
                raise
            self.log(f"group {self.args.group} exists; resuming where it stopped")

    def run(self) -> None:
        self.ensure_group()
        self.handle(self.own_pending())
        self.log(f"subscribed to {self.stream} as {self.args.group}/{self.args.consumer}")
        next_claim = 0.0
        while not self.stopping:
            if time.monotonic() >= next_claim:
                self.handle(self.claim_abandoned())
                next_claim = time.monotonic() + self.args.claim_idle_ms / 2000
            reply = self.redis.xreadgroup(
                self.args.group,
                self.args.consumer,
                {self.stream: ">"},
                count=self.args.batch,
                block=self.args.block_ms,
            )
            for _stream, entries in reply or []:
                self.handle(entries)
            if self.args.exit_after and self.handled >= self.args.exit_after:
                break
        self.log(f"stopped after {self.handled} new events")

    def own_pending(self) -> list[Entry]:
        """Entries delivered to this consumer name before a crash and never acknowledged."""
        found: list[Entry] = []
        after = "0"
        while True:
            reply = self.redis.xreadgroup(
                self.args.group, self.args.consumer, {self.stream: after}, count=100
            )
            entries = reply[0][1] if reply else []
            if not entries:
                break
            for entry_id, fields in entries:
                if fields:
                    found.append((entry_id, fields))
                else:  # trimmed from the stream meanwhile: nothing left to read
                    self.redis.xack(self.stream, self.args.group, entry_id)
            after = entries[-1][0]
        if found:
            self.log(f"re-reading {len(found)} pending entries of {self.args.consumer}")
        return found

    def claim_abandoned(self) -> list[Entry]:
        """Entries another consumer of the group left pending for too long."""
        _next, entries, *_ = self.redis.xautoclaim(
            self.stream,
            self.args.group,
            self.args.consumer,
            min_idle_time=self.args.claim_idle_ms,
            start_id="0-0",
            count=100,
        )
        if entries:
            self.log(f"claimed {len(entries)} abandoned entries")
        return [e for e in entries if e[1]]

    def handle(self, entries: Iterable[Entry]) -> None:
        for entry_id, fields in entries:
            eid = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
            envelope, body = decode(eid, fields)
            if self.inbox.record(eid, envelope, body):
                self.handled += 1
                if not self.args.quiet:
                    print(json.dumps(body, ensure_ascii=False), flush=True)
            else:
                self.log(f"duplicate {body.get('id')} (entry {eid}) skipped")
            self.redis.xack(self.stream, self.args.group, entry_id)


def decode(entry_id: str, fields: dict[Any, Any]) -> tuple[Envelope | None, dict[str, Any]]:
    """The envelope and a printable view of the event (typed when the contracts know it)."""
    try:
        envelope = Envelope.from_wire(fields)
    except WireFormatError as err:
        return None, {"entry": entry_id, "error": str(err)}
    body: dict[str, Any] = {
        "entry": entry_id,
        "id": envelope.id,
        "type": envelope.type,
        "source": envelope.source,
        "sequence": envelope.sequence,
        "subject": envelope.subject,
        "time": envelope.time.isoformat(),
        "correlation_id": envelope.correlation_id,
    }
    contract = CONTRACTS.get(envelope.service)
    try:
        if contract is None:
            raise UnknownEventType(f"no contract for service {envelope.service!r}")
        event = contract.decode(envelope)  # upcast to the version these contracts know
        body["data"] = event.data()
    except (UnknownEventType, UnsupportedSchemaVersion, ValueError) as err:
        body["data"], body["error"] = envelope.data, str(err)
    return envelope, body


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Follow a shegong event stream.")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--stream", default="registry.events")
    parser.add_argument("--prefix", default="", help="the deployment's STREAM_PREFIX")
    parser.add_argument("--group", required=True, help="your system's consumer group")
    parser.add_argument("--consumer", default=socket.gethostname(), help="stable per process")
    parser.add_argument("--from", dest="start", choices=["beginning", "now"], default="now")
    parser.add_argument("--state", default="subscriber-state.db", help="the local inbox")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--block-ms", type=int, default=1000)
    parser.add_argument("--claim-idle-ms", type=int, default=60_000)
    parser.add_argument("--exit-after", type=int, default=0, help="stop after N new events")
    parser.add_argument("--quiet", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    subscriber = Subscriber(parse_args(argv))

    def stop(*_: object) -> None:
        subscriber.stopping = True  # finish the entry in hand, then leave

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    subscriber.run()


if __name__ == "__main__":
    main()
