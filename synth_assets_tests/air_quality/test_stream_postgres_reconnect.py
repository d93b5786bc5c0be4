"""The PostgreSQL sink against real PostgreSQL servers that drop it: terminated sessions, a restart
mid-stream, a server that comes up late or never, and a connection lost during COMMIT.

Every message written must be in the tables exactly as often as it was sent. Tests that stop or
restart a server use a cluster of this module's own, so the session's shared server is undisturbed.
"""

from __future__ import annotations

import json
import selectors
import socket
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timezone

import psycopg
import pytest
from sqlalchemy.engine import make_url

from synth_assets.air_quality.cities import select_cities
from synth_assets.air_quality.stream.config import StreamConfig
from synth_assets.air_quality.stream.postgres_sink import LEDGER_TABLE, PostgresSink
from synth_assets.air_quality.stream.records import SinkError
from synth_assets.air_quality.stream.simulator import run
from synth_assets.core import throwaway_postgres as pgf

CITIES = select_cities("full")
START = datetime(2024, 2, 10, tzinfo=timezone.utc)


# --- helpers -----------------------------------------------------------------------------------------

class Collect:
    """A sink that keeps every batch (to replay the same messages into the PostgreSQL sink)."""

    name = "collect"

    def __init__(self):
        self.batches: list[list[dict]] = []

    def write(self, records: list[dict]) -> int:
        self.batches.append([dict(r) for r in records])
        return 0

    def close(self) -> None:
        pass


class Tee:
    """Passes every batch on to ``sink`` and remembers what was sent."""

    def __init__(self, sink: PostgresSink):
        self.sink, self.name, self.sent = sink, sink.name, []

    def write(self, records: list[dict]) -> int:
        self.sent.extend(str(r["message_id"]) for r in records)
        return self.sink.write(records)

    def close(self) -> None:
        self.sink.close()


def batches(count: int, seed: int, size: int = 300, malformed_rate: float = 0.0) -> list[list[dict]]:
    """The simulator's messages (with its duplicates and dead letters) in batches of ``size``."""
    config = StreamConfig(mode="production", count=count, start=START, speedup=1e6, seed=seed,
                          duplicate_rate=0.02, malformed_rate=malformed_rate)
    collect = Collect()
    run(config, CITIES, collect)
    records = [r for batch in collect.batches for r in batch]
    return [records[i:i + size] for i in range(0, len(records), size)]


def stored_ids(url: str) -> Counter:
    """message_id -> how often it is in the realtime table plus the dead letters."""
    with psycopg.connect(conninfo(url)) as con:
        ids = [r[0] for r in con.execute("SELECT message_id::text FROM air_quality.stream_realtime")]
        ids += [json.loads(r[0])["message_id"] for r in con.execute(
            "SELECT payload FROM air_quality.stream_dead_letters")]
    return Counter(ids)


def ledger(url: str) -> dict[str, int]:
    with psycopg.connect(conninfo(url)) as con:
        return dict(con.execute(f"SELECT batch_id, rows FROM {LEDGER_TABLE}").fetchall())


def conninfo(url: str) -> str:
    parsed = make_url(url)
    return (f"host={parsed.host} port={parsed.port} user={parsed.username} dbname={parsed.database} "
            "connect_timeout=5")


def terminate_sessions(server: pgf.PostgresServer, database: str) -> int:
    with server.admin_connect() as con:
        return len(con.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = %s AND pid <> pg_backend_pid()", (database,)).fetchall())


def pg_ctl(server: pgf.PostgresServer, *args: str) -> None:
    options = f"-p {server.port} -k {server.base_dir} {pgf._SERVER_OPTIONS}"
    with_options = ("-o", options, "-l", str(server.log_file)) if args[-1] in ("start", "restart") else ()
    result = pgf._run(pgf._command(server.bin_dir, "pg_ctl", "-D", str(server.data_dir), "-w", "-t", "60",
                                   *with_options, *args, run_as=server.run_as), cwd=server.base_dir)
    pgf._check(result, f"pg_ctl {' '.join(args)}", server)


def running(server: pgf.PostgresServer) -> bool:
    return (server.data_dir / "postmaster.pid").exists()


@pytest.fixture(scope="module")
def own_server():
    bin_dir = pgf.find_server_binaries()
    if bin_dir is None:
        pytest.skip(pgf.MISSING_BINARIES)
    server = pgf.start_server(bin_dir)
    try:
        yield server
    finally:
        pgf.stop_server(server)


@pytest.fixture
def own_database(own_server):
    """A fresh *_test database on this module's server, which is running at the start of each test."""
    if not running(own_server):
        pg_ctl(own_server, "start")
    name = f"t_{uuid.uuid4().hex[:16]}_test"
    url = own_server.create_database(name)
    yield url
    if not running(own_server):
        pg_ctl(own_server, "start")
    own_server.drop_database(name)


# --- 1. a terminated session -------------------------------------------------------------------------

def test_a_terminated_session_is_replaced_and_every_message_lands_once(postgres_server, fresh_database):
    database = make_url(fresh_database).database
    all_batches = batches(3_000, seed=21, malformed_rate=0.02)
    sent: Counter = Counter()
    pids, kills = set(), 0
    sink = PostgresSink(fresh_database, retry_seconds=10)
    try:
        for i, batch in enumerate(all_batches):
            sink.write(batch)
            sent.update(str(r["message_id"]) for r in batch)
            pids.add(sink.connection.info.backend_pid)
            if i % 3 == 1 and i < len(all_batches) - 1:  # kill the session between batches, as an admin would
                assert terminate_sessions(postgres_server, database) == 1
                kills += 1
    finally:
        sink.close()

    assert kills >= 3 and sink.reconnects == kills and len(pids) == kills + 1  # a new session after each kill
    assert stored_ids(fresh_database) == sent  # none missing, none twice (duplicates sent twice stay twice)
    assert sum(sent.values()) > len(sent)  # the stream's duplicates are in there, twice
    assert sum(ledger(fresh_database).values()) == sum(sent.values()) == sink.committed_messages


# --- 2. a server restart mid-stream ---------------------------------------------------------------

def test_a_server_restart_mid_stream_loses_and_duplicates_nothing(own_server, own_database):
    config = StreamConfig(mode="production", count=8_000, start=START, speedup=50, seed=22, duplicate_rate=0.02)
    tee = Tee(PostgresSink(own_database, retry_seconds=30))
    outcome: dict = {}

    def stream() -> None:
        try:
            outcome["totals"] = run(config, CITIES, tee)
        except BaseException as exc:  # noqa: BLE001  (reported by the assertions below)
            outcome["error"] = exc

    thread = threading.Thread(target=stream)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while sum(stored_ids(own_database).values()) < 800:
            assert time.monotonic() < deadline and thread.is_alive(), "the stream never got going"
            time.sleep(0.05)
        before = sum(stored_ids(own_database).values())
        pg_ctl(own_server, "-m", "fast", "restart")
    finally:
        thread.join(timeout=120)
    assert not thread.is_alive() and "error" not in outcome, outcome.get("error")

    totals = outcome["totals"]
    assert before < totals.sent  # the restart came before the end of the stream
    assert tee.sink.reconnects >= 1
    assert len(tee.sent) == totals.sent
    assert stored_ids(own_database) == Counter(tee.sent)


# --- 3. the first connect is retried ------------------------------------------------------------------

def test_the_first_connect_waits_for_a_server_that_comes_up_late(own_server, own_database):
    pg_ctl(own_server, "-m", "fast", "stop")
    starter = threading.Timer(1.5, pg_ctl, (own_server, "start"))
    begun = time.monotonic()
    starter.start()
    try:
        sink = PostgresSink(own_database, retry_seconds=30)
    finally:
        starter.join()
    waited = time.monotonic() - begun
    batch = batches(200, seed=23)[0]
    sink.write(batch)
    sink.close()

    assert 1.4 <= waited <= 15
    assert stored_ids(own_database) == Counter(str(r["message_id"]) for r in batch)


# --- 4. giving up ------------------------------------------------------------------------------------

def test_a_server_gone_for_good_gives_a_clear_error_within_the_limit(own_server, own_database):
    parsed = make_url(own_database)
    with_password = parsed.set(password="s3cret-pw").render_as_string(hide_password=False)  # trust auth ignores it
    sink = PostgresSink(with_password, retry_seconds=2)
    first = batches(300, seed=24, size=100)
    for batch in first[:2]:
        sink.write(batch)
    written = sum(len(b) for b in first[:2])
    pg_ctl(own_server, "-m", "fast", "stop")

    begun = time.monotonic()
    with pytest.raises(SinkError) as raised:
        sink.write(first[2])
    took = time.monotonic() - begun
    sink.close()
    message = str(raised.value)
    assert 2.0 <= took <= 6, took
    assert "gave up writing batch" in message and "(limit 2 s)" in message
    assert f"{written:,} messages of this run were committed (2 batches" in message
    assert "Connection refused" in message or "server closed the connection" in message, message
    assert "s3cret-pw" not in message and "***" in message

    begun = time.monotonic()
    with pytest.raises(SinkError) as raised:
        PostgresSink(with_password, retry_seconds=1.5)
    took = time.monotonic() - begun
    message = str(raised.value)
    assert 1.5 <= took <= 5, took
    assert "gave up connecting after" in message and "(limit 1.5 s)" in message and "Connection refused" in message
    assert "0 messages of this run were committed" in message and "s3cret-pw" not in message


# --- 5. the connection lost during COMMIT ---------------------------------------------------------------

COMMIT = b"Q\x00\x00\x00\x0bCOMMIT\x00"  # the simple-query message psycopg sends to commit
READY = b"Z\x00\x00\x00\x05"              # ReadyForQuery: the server has answered


class CommitCutter:
    """A TCP proxy to PostgreSQL that, once armed, cuts the client off at its next COMMIT.

    ``after``: COMMIT reaches the server, which commits and answers; the answer is thrown away and both
    sides are closed, so the client cannot know the outcome. ``before``: COMMIT never reaches the
    server, which then rolls the transaction back when the connection closes.
    """

    def __init__(self, port: int):
        self.target, self.armed, self.cut = port, None, threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        with selectors.DefaultSelector() as selector, client, server:
            selector.register(client, selectors.EVENT_READ)
            selector.register(server, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    if key.fileobj is server:
                        client.sendall(data)
                        continue
                    if self.armed and COMMIT in data:
                        mode, self.armed = self.armed, None
                        if mode == "after":
                            server.sendall(data)
                            answer = b""
                            while READY not in answer and (chunk := server.recv(65536)):
                                answer += chunk
                        self.cut.set()
                        return  # closes both sockets
                    server.sendall(data)

    def close(self) -> None:
        self.listener.close()


@pytest.mark.parametrize("cut", ["after", "before"])
def test_a_connection_lost_during_commit_writes_the_batch_exactly_once(postgres_server, fresh_database, cut):
    """after: committed, reply lost -> the retry finds the batch id and writes nothing;
    before: not committed -> the retry writes it. Either way each message is there once."""
    proxy = CommitCutter(postgres_server.port)
    via_proxy = make_url(fresh_database).set(port=proxy.port).render_as_string(hide_password=False)
    all_batches = batches(900, seed=25)
    sent: Counter = Counter()
    try:
        sink = PostgresSink(via_proxy, retry_seconds=10)
        sink.write(all_batches[0])
        sent.update(str(r["message_id"]) for r in all_batches[0])

        proxy.armed = cut
        sink.write(all_batches[1])  # the COMMIT of this batch is cut; write() must still succeed
        sent.update(str(r["message_id"]) for r in all_batches[1])
        assert proxy.cut.is_set()

        for batch in all_batches[2:]:
            sink.write(batch)
            sent.update(str(r["message_id"]) for r in batch)
        sink.close()
    finally:
        proxy.close()

    assert sink.reconnects == 1
    assert sink.recovered_batches == (1 if cut == "after" else 0)
    assert stored_ids(fresh_database) == sent
    assert len(ledger(fresh_database)) == len(all_batches) == sink.committed_batches
    assert sum(ledger(fresh_database).values()) == sum(sent.values())
