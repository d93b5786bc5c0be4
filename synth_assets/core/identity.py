"""What a data file holds, written into the file itself: dataset, schema version, seed and config.

Every Parquet file the project writes carries a :class:`FileIdentity` as deterministic key-value
metadata (key ``synth.identity``, canonical JSON, nothing time-dependent, so the same partition still
gives the same bytes). Every reader states the identity it expects and refuses a file that holds
something else: a day re-made with another seed, a file of the other mode, one written by an older
schema or by another program. Pure: no Dagster, no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass

METADATA_KEY = b"synth.identity"


@dataclass(frozen=True)
class FileIdentity:
    """``dataset`` (e.g. ``air_quality.hourly_measurements``), ``schema_version`` of its columns,
    ``seed`` (``None`` for data the seed does not shape) and ``config`` (a mode or a fingerprint)."""

    dataset: str
    schema_version: int
    seed: int | None
    config: str

    def to_metadata(self) -> dict[bytes, bytes]:
        return {METADATA_KEY: json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()}

    @classmethod
    def from_metadata(cls, metadata: Mapping[bytes, bytes] | None) -> FileIdentity | None:
        """The identity stored in a file's schema metadata, or ``None`` if it has none (or a broken one)."""
        raw = (metadata or {}).get(METADATA_KEY)
        if raw is None:
            return None
        try:
            fields = json.loads(raw)
            return cls(dataset=str(fields["dataset"]), schema_version=int(fields["schema_version"]),
                       seed=None if fields["seed"] is None else int(fields["seed"]), config=str(fields["config"]))
        except (ValueError, KeyError, TypeError):
            return None

    def describe(self) -> str:
        seed = "no seed" if self.seed is None else f"seed {self.seed}"
        return f"{self.dataset} (schema v{self.schema_version}, {seed}, config {self.config})"

    def differences(self, found: FileIdentity | None) -> str | None:
        """``None`` if ``found`` is this identity, else what differs, in words."""
        if found is None:
            return "it carries no synth identity (written by another program or an older version)"
        if found == self:
            return None
        parts = [f"{name} {getattr(found, name)!r} where {getattr(self, name)!r} was expected"
                 for name in ("dataset", "schema_version", "seed", "config")
                 if getattr(found, name) != getattr(self, name)]
        return "it holds " + found.describe() + ": " + "; ".join(parts)


def config_fingerprint(config: Mapping[str, object]) -> str:
    """A short stable digest of a config mapping (canonical JSON, blake2b): equal configs, equal prints."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
