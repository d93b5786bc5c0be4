"""Version-4 UUID strings from random bytes equal Python's own uuid module, byte for byte."""

import uuid

import numpy as np

from synth_assets.core.ids import uuid4_from_bytes


def test_uuid_strings_equal_pythons_uuid_module():
    raw = np.random.default_rng(7).integers(0, 256, (5_000, 16), dtype=np.uint8)
    raw[0], raw[1] = 0, 255  # every digit 0, every digit f
    got = uuid4_from_bytes(raw, name="user_id")
    assert got.name == "user_id"
    assert got.to_list() == [str(uuid.UUID(bytes=bytes(row), version=4)) for row in raw]
    assert all(uuid.UUID(text).version == 4 and uuid.UUID(text).variant == uuid.RFC_4122 for text in got[:50])


def test_the_callers_bytes_are_not_changed():
    raw = np.full((3, 16), 255, dtype=np.uint8)
    uuid4_from_bytes(raw)
    assert (raw == 255).all()
