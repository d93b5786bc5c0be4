"""The database guard against crafted URLs, on a real server: nothing ever reaches the ``prod`` database.

A module fixture creates ``prod`` (one marker row) and a 63-character victim, and turns on
``log_connections``. Every test notes the server log's size first and finally asserts that the
log gained no connection to a victim (``database=prod``) and that the marker row is intact. A
control test shows that both the old NUL trick and the name truncation really reach the victims
without the guard, and that the log check sees it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import psycopg
import pytest
import sqlalchemy as sa
from psycopg.conninfo import make_conninfo

from synth_assets.core import database_guard
from synth_assets.core.postgres import (
    UnsafeDatabaseError,
    check_database_url,
    connect,
    create_engine,
    mask_url,
    psycopg_conninfo,
    sqlalchemy_url,
    verify_connected_database,
)

PASSWORD = "Pw9-kq73-Sekrit"  # the server trusts local connections, so any password connects
VICTIM = "prod"
LONG_VICTIM = "prod_" + "l" * 58  # 63 bytes; the server cuts LONG_VICTIM + "_test" back to it
SAFE = "guard_ok_test"
ENCODED_SAFE = "prod_test"  # what prod%5Ftest decodes to
MARKER = [(1, "do not touch")]
SYNTH = str(Path(sys.executable).with_name("synth"))
PG_ENV = ("PGDATABASE", "PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD")


@contextmanager
def _without_pg_env():
    saved = {name: os.environ.pop(name) for name in PG_ENV if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


@dataclass
class Victims:
    server: object
    service_file: Path

    def fill(self, template: str) -> str:
        return template.format(h=self.server.host, p=self.server.port, pw=PASSWORD, svc=self.service_file,
                               long=LONG_VICTIM)

    def log_offset(self) -> int:
        return self.server.log_file.stat().st_size

    def connections_since(self, offset: int) -> str:
        """Server log text after ``offset``, once a sentinel connection made now shows up in it."""
        sentinel = f"sentinel-{uuid.uuid4().hex}"
        psycopg.connect(self.server.conninfo("postgres") + f" application_name={sentinel}").close()
        deadline = time.monotonic() + 10
        while True:
            with open(self.server.log_file, "rb") as log:
                log.seek(offset)
                text = log.read().decode(errors="replace")
            if sentinel in text or time.monotonic() > deadline:
                assert sentinel in text, "log_connections is not writing to the server log"
                return text

    def assert_untouched(self, offset: int) -> None:
        with _without_pg_env():  # the checking connections must not pick up a test's PGOPTIONS/PGSERVICE
            reached = re.findall(rf"database=({VICTIM}|{LONG_VICTIM})(?=\s|$)", self.connections_since(offset))
            assert not reached, f"a connection reached {reached}"
            assert self.marker() == MARKER

    def marker(self) -> list[tuple]:
        with psycopg.connect(self.server.conninfo(VICTIM)) as conn:
            return conn.execute("SELECT id, note FROM marker ORDER BY id").fetchall()


@pytest.fixture(scope="module")
def victims(postgres_server, tmp_path_factory):
    names = (VICTIM, LONG_VICTIM, SAFE, ENCODED_SAFE)
    for name in names:
        postgres_server.drop_database(name)
        postgres_server.create_database(name)
    with psycopg.connect(postgres_server.conninfo(VICTIM), autocommit=True) as conn:
        conn.execute("CREATE TABLE marker (id int PRIMARY KEY, note text NOT NULL)")
        conn.execute("INSERT INTO marker VALUES (1, 'do not touch')")
    service_file = tmp_path_factory.mktemp("service") / "pg_service.conf"
    service_file.write_text(f"[victim]\nhost={postgres_server.host}\nport={postgres_server.port}\n"
                            f"user=postgres\ndbname={VICTIM}\n")
    with postgres_server.admin_connect() as conn:
        conn.execute("ALTER SYSTEM SET log_connections = on")
        conn.execute("SELECT pg_reload_conf()")
    found = Victims(postgres_server, service_file)
    found.connections_since(found.log_offset())  # waits until the reload took effect
    try:
        yield found
    finally:
        with postgres_server.admin_connect() as conn:
            conn.execute("ALTER SYSTEM RESET log_connections")
            conn.execute("SELECT pg_reload_conf()")
        for name in names:
            postgres_server.drop_database(name)


@pytest.fixture
def clean_env(monkeypatch):
    for name in (*PG_ENV, "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


BASE = "postgresql://postgres:{pw}@{h}:{p}"
# (url template, environment, expected): expected is a phrase of the refusal, ValueError for
# strings that are no PostgreSQL URL, or the database the connection must reach.
CASES = [
    ("postgresql:///prod%00_test?host={h}&port={p}&user=postgres", {}, "control character"),
    (BASE + "/prod%00_test", {}, "control character"),
    ("postgresql+psycopg://postgres:{pw}@{h}:{p}/prod%00_test", {}, "control character"),
    ("postgres://postgres:{pw}@{h}:{p}/prod%00_test", {}, "control character"),
    (BASE + "/prod%2500_test", {}, "not a plain name"),
    (BASE + "/prod%250A_test", {}, "not a plain name"),
    (BASE + "/prod%0A_test", {}, "control character"),
    (BASE + "/prod%09_test", {}, "control character"),
    (BASE + "/prod\n_test", {}, "control character"),
    (BASE + "/prod%20_test", {}, "not a plain name"),
    (BASE + "/prod+x_test", {}, "not a plain name"),
    (BASE + "/prod#_test", {}, "not a plain name"),
    (BASE + "/prod/x_test", {}, "not a plain name"),
    (BASE + "/prod?x=_test", {}, "not an accepted connection parameter"),
    (BASE + "/prod", {}, "does not end in"),
    (BASE + "/PROD_TEST", {}, "does not end in"),
    (BASE + "/_test", {}, "does not end in"),
    (BASE + "/{long}_test", {}, "longer than 63 bytes"),
    (BASE + "/" + SAFE + "?dbname=prod", {}, "'dbname' would name the database a second time"),
    (BASE + "/" + SAFE + "?DBNAME=prod", {}, "'DBNAME' would name the database a second time"),
    (BASE + "/" + SAFE + "?db%6Eame=prod", {}, "'dbname' would name the database a second time"),
    (BASE + "/" + SAFE + "?database=prod", {}, "'database' would name the database a second time"),
    (BASE + "/" + SAFE + "?service=victim", {"PGSERVICEFILE": "{svc}"}, "'service' would read parameters"),
    (BASE + "/" + SAFE + "?servicefile={svc}&service=victim", {}, "from a service file"),
    (BASE + "/" + SAFE + "?options=-c%20search_path%3Devil", {}, "'options' would pass server settings"),
    (BASE + "/" + SAFE + "?Host={h}", {}, "'Host' is not an accepted connection parameter"),
    (BASE + "/" + SAFE + "?a=1;dbname=prod", {}, "'a' is not an accepted connection parameter"),
    (BASE + "/" + SAFE + "?sslmode=disable&sslmode=require", {}, "given more than once"),
    (BASE + "/" + SAFE + "?application_name=a%0Ab", {}, "'application_name' contains a control character"),
    ("postgresql:///" + SAFE + "?host={h}%00evil&port={p}", {}, "'host' contains a control character"),
    ("postgresql://postgres%00x:{pw}@{h}:{p}/" + SAFE, {}, "user name contains a control character"),
    ("postgresql://postgres:{pw}%00@{h}:{p}/" + SAFE, {}, "password contains a control character"),
    (BASE + "/", {"PGDATABASE": "prod"}, "names no database"),
    (BASE, {"PGDATABASE": "prod"}, "names no database"),
    (BASE + "/" + SAFE, {"PGSERVICE": "victim", "PGSERVICEFILE": "{svc}"}, "PGSERVICE is set"),
    (BASE + "/" + SAFE, {"PGOPTIONS": "-c search_path=evil"}, "PGOPTIONS is set"),
    ("postgresql:///prod?host={h},{h}&port={p},{p}&user=postgres", {}, "does not end in"),
    ("postgresql://postgres@{h}:{p},{h}:{p}/prod", {}, ValueError),
    ("POSTGRESQL://postgres@{h}:{p}/" + SAFE, {}, ValueError),
    ("mysql://postgres@{h}:{p}/" + SAFE, {}, ValueError),
    ("prod_test", {}, ValueError),
    # legitimate URLs: they connect, and only to a *_test database
    (BASE + "/" + SAFE, {}, SAFE),
    (BASE + "/prod%5Ftest", {}, ENCODED_SAFE),  # percent-encoding of a plain character: just another spelling
    ("postgres://postgres@{h}:{p}/" + SAFE + "?sslmode=disable&connect_timeout=5", {}, SAFE),
    ("postgresql+psycopg:///" + SAFE + "?host={h}&port={p}&user=postgres&password={pw}", {}, SAFE),
    ("postgresql:///" + SAFE + "?host={h}&host={h}&port=1&port={p}&user=postgres", {}, SAFE),  # host list
    (BASE + "/" + SAFE + "?application_name=x%20dbname%3Dprod%20options%3D-c", {}, SAFE),  # stays a value
    (BASE + "/" + SAFE, {"PGDATABASE": "prod"}, SAFE),  # the explicit name wins
    (BASE + "/" + SAFE, {"PGSERVICEFILE": "{svc}"}, SAFE),  # a service file alone is never read
]


def _set_env(monkeypatch, victims: Victims, env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, victims.fill(value))


def _refusal(action, url: str, expected) -> str:
    error_type = ValueError if expected is ValueError else UnsafeDatabaseError
    with pytest.raises(error_type) as error:
        action(url)
    message = str(error.value)
    assert PASSWORD not in message and "\x00" not in message and "\n" not in message
    if expected is not ValueError:
        assert expected in message, message
        assert "deletes and rewrites tables" in message and "'_demo' or '_test'" in message
    return message


def _engine_connect(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT current_database()")).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.parametrize("template, env, expected", CASES, ids=[c[0][:70] + str(sorted(c[1])) for c in CASES])
def test_crafted_urls_never_reach_another_database(victims, clean_env, template, env, expected):
    url = victims.fill(template)
    _set_env(clean_env, victims, env)
    offset = victims.log_offset()
    if expected is ValueError or " " in expected:
        for action in (check_database_url, psycopg_conninfo, sqlalchemy_url, connect, _engine_connect):
            _refusal(action, url, expected)
    else:
        assert check_database_url(url) == expected
        with connect(url, autocommit=True) as conn:
            assert conn.execute("SELECT current_database()").fetchone()[0] == expected
        assert _engine_connect(url) == expected
    victims.assert_untouched(offset)


def test_keyword_arguments_are_judged_like_query_parameters(victims, clean_env):
    url, offset = victims.fill(BASE + "/" + SAFE), victims.log_offset()
    for extra, phrase in (({"dbname": VICTIM}, "'dbname' would name"), ({"options": "-c x=y"}, "'options'"),
                          ({"service": "victim"}, "'service'"), ({"host": "h\x00x"}, "control character")):
        _refusal(lambda u, extra=extra: connect(u, **extra), url, phrase)
        _refusal(lambda u, extra=extra: create_engine(u, connect_args=extra), url, phrase)
    with connect(url, connect_timeout=5, application_name="kw") as conn:
        assert conn.info.parameter_status("application_name") == "kw"
    victims.assert_untouched(offset)


def test_libpq_parse_back_catches_what_the_earlier_checks_would_miss(monkeypatch):
    """Layer 6 alone: with the control-character and plain-name checks switched off, libpq's own
    parser still shows that it would read something else than what was judged."""
    monkeypatch.setattr(database_guard, "_has_control", lambda text: False)
    monkeypatch.setattr(database_guard, "SAFE_NAME", re.compile(r".+", re.S))
    for url in ("postgresql://u@h/prod%00_test", "postgresql:///x_test?host=h%00x&user=u",
                "postgresql://u:pw%00x@h/x_test"):
        with pytest.raises(UnsafeDatabaseError, match="libpq would read its parameters differently"):
            check_database_url(url)
    assert check_database_url("postgresql://u@h/odd'name x_test") == "odd'name x_test"  # quoting round-trips


def test_without_the_guard_the_tricks_do_reach_the_victims(victims, clean_env):
    """Control: the old string check's holes are real, and the log check sees such connections."""
    offset = victims.log_offset()
    host = dict(host=victims.server.host, port=victims.server.port, user="postgres")
    with psycopg.connect(make_conninfo(**host, dbname=VICTIM + "\x00_test")) as conn:  # libpq stops at the NUL
        assert conn.execute("SELECT current_database()").fetchone()[0] == VICTIM
    with psycopg.connect(make_conninfo(**host, dbname=LONG_VICTIM + "_test")) as conn:  # the server cuts the name
        assert conn.execute("SELECT current_database()").fetchone()[0] == LONG_VICTIM
    with pytest.raises(AssertionError, match="a connection reached"):
        victims.assert_untouched(offset)
    assert victims.marker() == MARKER


def test_connected_database_is_checked_again(victims, clean_env, monkeypatch):
    """A pooler alias or a swapped server can route a *_test name elsewhere: current_database() decides."""
    opened = []
    real_connect = psycopg.connect

    def elsewhere(conninfo, **kwargs):  # ignores the judged conninfo, like a misrouting pooler would
        opened.append(real_connect(victims.server.conninfo("postgres"), **kwargs))
        return opened[-1]

    url, offset = victims.fill(BASE + "/" + SAFE), victims.log_offset()
    monkeypatch.setattr(database_guard.psycopg, "connect", elsewhere)
    with pytest.raises(UnsafeDatabaseError, match="the server reports that database 'postgres' does not end in"):
        connect(url, autocommit=True)
    with pytest.raises(UnsafeDatabaseError, match="the server reports that database 'postgres'"):
        _engine_connect(url)
    assert len(opened) == 2 and all(conn.closed for conn in opened)
    monkeypatch.setattr(database_guard.psycopg, "connect", real_connect)

    with real_connect(victims.server.conninfo(SAFE)) as conn:  # not autocommit: stays idle after the check
        assert verify_connected_database(conn) == SAFE
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE and not conn.closed
    other = victims.server.admin_connect()
    with pytest.raises(UnsafeDatabaseError, match="'postgres'"):
        verify_connected_database(other)
    assert other.closed
    victims.assert_untouched(offset)


# --- passwords ----------------------------------------------------------------------------------

def test_mask_url_hides_passwords_even_in_unparsable_text():
    assert mask_url(f"postgresql://u:{PASSWORD}@h/x_test") == "postgresql://u:***@h/x_test"
    assert mask_url(f"postgresql://u:p@{PASSWORD}@h/x_test") == "postgresql://u:***@h/x_test"
    assert mask_url(f"postgresql://u:a/{PASSWORD}@h/x_test") == "postgresql://u:***@h/x_test"
    assert mask_url(f"postgresql://u@h/x_test?sslmode=disable&password={PASSWORD}") == \
        "postgresql://u@h/x_test?sslmode=disable&password=***"
    assert mask_url(f"u:{PASSWORD}@h") == "u:***@h"
    assert mask_url(f"not a url :{PASSWORD}@ at all") == "not a url :***@ at all"
    assert mask_url(f"host=h password='{PASSWORD} x' dbname=x_test") == "host=h password=*** dbname=x_test"
    assert mask_url(sa.engine.make_url(f"postgresql://u:{PASSWORD}@h/x_test")) == "postgresql://u:***@h/x_test"
    assert mask_url("postgresql://u@h:5432/x_test") == "postgresql://u@h:5432/x_test"
    assert mask_url(None) == ""


def test_a_password_never_appears_in_errors(victims, clean_env):
    offset = victims.log_offset()
    for template in (BASE + "/prod", BASE + "/prod%00_test", BASE + "/" + SAFE + "?password={pw}&options=x",
                     "postgresql://postgres@{h}:{p}/prod?password={pw}", "garbage://u:{pw}@h/x", BASE + "/"):
        _refusal(connect, victims.fill(template), ValueError if "garbage" in template else "refusing")
    # a failed connection: psycopg's message carries no password, and a password that happens to
    # occur in the server's text is masked there too
    for password, where in ((PASSWORD, "missing_test"), ("does not exist", "missing_test")):
        server = victims.server
        url = f"postgresql://postgres:{password.replace(' ', '%20')}@{server.host}:{server.port}/{where}"
        with pytest.raises(psycopg.OperationalError) as error:
            connect(url)
        assert password not in str(error.value) and "missing_test" in str(error.value)
        with pytest.raises(sa.exc.OperationalError) as error:
            _engine_connect(url)
        assert password not in str(error.value)
    victims.assert_untouched(offset)


# --- end to end: CLI, DATABASE_URL, Dagster run config ---------------------------------------------

def _synth(tmp_path, *args, env=None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in (*PG_ENV, "DATABASE_URL")}
    environ.update(SYNTH_DATA_DIR=str(tmp_path / "data"), **(env or {}))
    return subprocess.run([SYNTH, *args], env=environ, capture_output=True, text=True, timeout=120)


def _assert_refused(done: subprocess.CompletedProcess, phrase: str) -> None:
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "error: refusing" in done.stderr and phrase in done.stderr, output
    assert PASSWORD not in output and "Traceback" not in output


CLI_URLS = [
    (BASE + "/prod%00_test", "control character"),
    (BASE + "/" + SAFE + "?dbname=prod", "'dbname'"),
    (BASE + "/" + SAFE + "?options=-c%20search_path%3Devil", "'options'"),
    (BASE + "/prod?password={pw}", "does not end in"),
]


@pytest.mark.parametrize("template, phrase", CLI_URLS)
def test_synth_seed_refuses_crafted_urls(victims, tmp_path, template, phrase):
    offset = victims.log_offset()
    _assert_refused(_synth(tmp_path, "seed", "--users", "50", "--database-url", victims.fill(template)), phrase)
    victims.assert_untouched(offset)


def test_synth_seed_refuses_a_crafted_database_url_from_the_environment(victims, tmp_path):
    offset = victims.log_offset()
    for template, phrase in CLI_URLS[:2]:
        _assert_refused(_synth(tmp_path, "seed", "--users", "50", env={"DATABASE_URL": victims.fill(template)}),
                        phrase)
    _assert_refused(_synth(tmp_path, "seed", "--users", "50", "--database-url", victims.fill(BASE + "/" + SAFE),
                           env={"PGSERVICE": "victim", "PGSERVICEFILE": str(victims.service_file)}), "PGSERVICE")
    victims.assert_untouched(offset)


def test_synth_stream_to_postgres_refuses_crafted_urls(victims, tmp_path):
    offset = victims.log_offset()
    for template, phrase in CLI_URLS[:3]:
        _assert_refused(_synth(tmp_path, "stream", "--sink", "postgres", "--database-url", victims.fill(template),
                               "--count", "5"), phrase)
    _assert_refused(_synth(tmp_path, "stream", "--sink", "postgres", "--count", "5",
                           env={"DATABASE_URL": victims.fill(CLI_URLS[0][0])}), CLI_URLS[0][1])
    victims.assert_untouched(offset)


def test_dagster_run_config_refuses_crafted_urls(victims, clean_env, tmp_path, instance, capfd):
    from synth_assets.content import assets
    from synth_assets.content.settings import ContentSettings
    from synth_assets.core.resources import duckdb_resource
    from synth_assets_tests.conftest import make_settings

    offset = victims.log_offset()
    for template, phrase in CLI_URLS:
        content = ContentSettings(seed=9, users=400, content_items=300, content_items_auto=200,
                                  database_url=victims.fill(template))
        settings = make_settings(tmp_path / "data")
        resources = {"content": content, "duckdb": duckdb_resource(settings), "settings": settings}
        result = dg.materialize([assets.users], partition_key="2025-06-01", resources=resources, instance=instance,
                                raise_on_error=False)
        assert not result.success
        failures = [e for e in result.all_events if e.is_step_failure]
        assert len(failures) == 1
        error = failures[0].step_failure_data.error
        messages = [error.to_string()] + [str(e.message) for e in result.all_events]
        assert any("UnsafeDatabaseError" in m and phrase in m for m in messages), messages
        assert not any(PASSWORD in m for m in messages)
    printed = capfd.readouterr()
    assert "UnsafeDatabaseError" in printed.err and PASSWORD not in printed.out + printed.err
    victims.assert_untouched(offset)
