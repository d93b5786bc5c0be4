"""Land the stream's JSON-lines files into one clean Parquet file per UTC day (pure, no Dagster).

Messages are parsed with polars, checked against the measurement ranges, de-duplicated by
``message_id`` (the simulator's resent copies) and kept if their event time falls on the day.

Lines that cannot be parsed are skipped and reported in :attr:`Landed.bad_lines` as
``"PATH:LINE: reason"`` (1-based line numbers), never dropped silently and never failing the day:

* a last line without its newline that is not a complete JSON object (the writer was killed, or is
  still writing it): ``truncated line (no newline at end of file)``;
* a line that is not valid UTF-8, not valid JSON, or valid JSON but not an object.

Blank lines carry no message and are ignored. A JSON object whose values have the wrong types is not
a bad line: those values become nulls and the message counts as ``invalid``, as before.

The common case stays one vectorised ``pl.read_ndjson`` per file. Only a file that fails it (or
yields a row that is all nulls, which is what a non-object line turns into) is split into lines:
non-objects are found with a vectorised check, and lines ``read_ndjson`` rejects are isolated by
bisection (each half parsed again in one call), so parsing always agrees with ``read_ndjson``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import polars as pl

from synth_assets.air_quality.models import AirQualityMeasurement
from synth_assets.core.bounds import field_ranges
from synth_assets.core.files import map_files, read_bytes
from synth_assets.core.object_store import Location

STREAM_COLUMNS = {
    "message_id": pl.String, "sensor_id": pl.String, "is_duplicate": pl.Boolean, "city_id": pl.Int32,
    "city_name": pl.String, "country_name": pl.String, "country_code": pl.String, "latitude": pl.Float64,
    "longitude": pl.Float64, "timestamp": pl.String, "pm25": pl.Float64, "pm10": pl.Float64, "no2": pl.Float64,
    "so2": pl.Float64, "co": pl.Float64, "o3": pl.Float64, "temperature_c": pl.Float64, "humidity_pct": pl.Float64,
    "wind_speed_kmh": pl.Float64, "is_raining": pl.Boolean,
}
LANDED_COLUMNS = {**{name: dtype for name, dtype in STREAM_COLUMNS.items()
                     if name not in ("timestamp", "is_duplicate")},
                  "timestamp": pl.Datetime("us", "UTC")}
"""A landed day's columns: the message's, with its event time parsed (UTC) and without the resend flag."""
TRUNCATED = "truncated line (no newline at end of file)"
EXCERPT_CHARS = 40


@dataclass(frozen=True)
class Landed:
    frame: pl.DataFrame
    files: int
    messages: int
    duplicates_removed: int
    invalid: int
    bad_lines: list[str] = field(default_factory=list)  # "PATH:LINE: reason", skipped


def _valid(frame: pl.DataFrame) -> pl.Expr:
    ok = pl.col("timestamp_utc").is_not_null() & pl.col("country_code").str.contains(r"^[A-Z]{2}$")
    for name, bound in field_ranges(AirQualityMeasurement).items():
        if name in frame.columns:
            ok = ok & pl.col(name).is_not_null()
            if bound.low is not None:
                ok = ok & (pl.col(name) > bound.low if bound.low_strict else pl.col(name) >= bound.low)
            if bound.high is not None:
                ok = ok & (pl.col(name) < bound.high if bound.high_strict else pl.col(name) <= bound.high)
    return ok


@dataclass(frozen=True)
class LandingFiles:
    """Every parseable message of the landing files (``timestamp_utc`` parsed), read once for any days."""

    raw: pl.DataFrame | None  # None: no file had any bytes
    files: int
    bad_lines: list[str]


def read_landing(files: Sequence[Location]) -> LandingFiles:
    """Read the JSON-lines files (local, or objects on S3 fetched by several threads) once, in order."""
    read = map_files(_read_if_any, files)
    frames = [frame for frame, _ in filter(None, read)]
    bad_lines = [line for _, bad in filter(None, read) for line in bad]
    raw = pl.concat(frames).with_columns(
        timestamp_utc=pl.col("timestamp").str.to_datetime(time_zone="UTC", strict=False, time_unit="us")
    ) if frames else None
    return LandingFiles(raw, len(files), bad_lines)


def _read_if_any(path: Location) -> tuple[pl.DataFrame, list[str]] | None:
    data = read_bytes(path)
    return read_stream_bytes(data, str(path)) if data else None


def land_day(files: Sequence[Location] | LandingFiles, day: date) -> Landed:
    """The valid, de-duplicated messages of ``day`` (UTC) from the given JSON-lines files (or those read)."""
    landing = files if isinstance(files, LandingFiles) else read_landing(files)
    raw, bad_lines = landing.raw, landing.bad_lines
    if raw is None:
        return Landed(pl.DataFrame(schema=LANDED_COLUMNS), landing.files, 0, 0, 0, bad_lines)
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    in_day = raw.filter((pl.col("timestamp_utc") >= start) & (pl.col("timestamp_utc") < start + timedelta(days=1)))
    valid = in_day.filter(_valid(in_day))
    unique = valid.unique("message_id", keep="first", maintain_order=True)
    frame = (unique.drop("timestamp", "is_duplicate").rename({"timestamp_utc": "timestamp"})
             .select(list(LANDED_COLUMNS)).sort(["timestamp", "sensor_id", "message_id"]))
    return Landed(frame, landing.files, in_day.height, valid.height - unique.height, in_day.height - valid.height,
                  bad_lines)


# --- reading one file, bad lines reported ------------------------------------------------------------

def read_stream_file(path: Location) -> tuple[pl.DataFrame, list[str]]:
    """Every parseable message of one JSON-lines file or object (``STREAM_COLUMNS``) and its bad lines."""
    return read_stream_bytes(read_bytes(path), str(path))


def read_stream_bytes(data: bytes, name: str) -> tuple[pl.DataFrame, list[str]]:
    """Every parseable message of the JSON lines ``data`` and its bad lines as ``name:LINE: reason``."""
    bad: list[tuple[int, str]] = []
    cut = data.rfind(b"\n") + 1
    body, tail = data[:cut], data[cut:]
    if tail.strip():  # the last line has no newline: land it only if it is a whole message
        number = data.count(b"\n") + 1
        _, tail_bad = _parse_text(_decode(tail, bad, first_line=number), first_line=number)
        if tail_bad or any(n == number for n, _ in bad):
            bad = [(n, reason) for n, reason in bad if n != number] + [(number, TRUNCATED)]
        else:
            body = data
    frame = _read_whole(body)
    if frame is None:  # rare: some line is broken, so find which
        frame, body_bad = _parse_text(_decode(body, bad, first_line=1), first_line=1)
        bad.extend(body_bad)
    return frame, [f"{name}:{number}: {reason}" for number, reason in sorted(bad)]


def _read_ndjson(data: bytes) -> pl.DataFrame:
    return pl.read_ndjson(io.BytesIO(data), schema=STREAM_COLUMNS, ignore_errors=True)


def _read_whole(data: bytes) -> pl.DataFrame | None:
    """The fast path: one ``read_ndjson``; None if it fails or yields an all-null row."""
    if not data.strip():
        return pl.DataFrame(schema=STREAM_COLUMNS)
    try:
        frame = _read_ndjson(data)
    except pl.exceptions.PolarsError:
        return None
    if frame.select(pl.all_horizontal(pl.all().is_null()).any()).item():
        return None  # a non-object line (or an empty object): the slow path tells them apart
    return frame


def _decode(data: bytes, bad: list[tuple[int, str]], first_line: int) -> str:
    """``data`` as text; a line that is not UTF-8 is reported in ``bad`` and replaced by an empty line."""
    pieces, position = [], 0
    while True:
        try:
            pieces.append(data[position:].decode("utf-8"))
            return "".join(pieces)
        except UnicodeDecodeError as error:
            where = position + error.start
            line_start = data.rfind(b"\n", 0, where) + 1
            line_end = data.find(b"\n", where)
            line_end = len(data) if line_end < 0 else line_end
            pieces.append(data[position:line_start].decode("utf-8"))
            bad.append((first_line + data.count(b"\n", 0, line_start), "not valid UTF-8"))
            position = line_end


def _parse_text(text: str, first_line: int) -> tuple[pl.DataFrame, list[tuple[int, str]]]:
    """The slow path: messages of ``text`` and (line number, reason) of the lines that are not messages."""
    lines = pl.DataFrame({"line": text.split("\n")}).with_row_index("number", offset=first_line)
    lines = lines.filter(pl.col("line").str.strip_chars() != "")
    is_object = pl.col("line").str.strip_chars_start().str.starts_with("{")
    bad = [(number, f"not a JSON object: {_excerpt(line)}")
           for number, line in lines.filter(~is_object).iter_rows()]
    frames: list[pl.DataFrame] = []
    _bisect(lines.filter(is_object), frames, bad)
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=STREAM_COLUMNS)
    return frame, bad


def _bisect(lines: pl.DataFrame, frames: list[pl.DataFrame], bad: list[tuple[int, str]]) -> None:
    """Parse ``lines`` in one call; if that fails, each half again, down to the single broken lines."""
    if lines.is_empty():
        return
    try:
        frame = _read_ndjson(lines["line"].str.join("\n").item().encode("utf-8"))
        if frame.height == lines.height:
            frames.append(frame)
            return
        error = f"gave {frame.height} rows"
    except pl.exceptions.PolarsError as exc:
        error = str(exc).strip().splitlines()[0]
    if lines.height == 1:
        number, line = lines.row(0)
        bad.append((number, f"not valid JSON ({error}): {_excerpt(line)}"))
        return
    middle = lines.height // 2
    _bisect(lines.head(middle), frames, bad)
    _bisect(lines.slice(middle), frames, bad)


def _excerpt(line: str) -> str:
    line = line.strip()
    return repr(line if len(line) <= EXCERPT_CHARS else line[:EXCERPT_CHARS] + "…")
