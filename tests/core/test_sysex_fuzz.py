"""Property test: ≥ 10 000 random and mutated dumps through every decoder — no exception other
than SysExError, no hang, bounded memory."""

from __future__ import annotations

import random
import time
import tracemalloc

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import SysExError
from core.sysex import decode_bytes
from core.sysex.decode import DECODERS
from core.sysex.framing import RawMessage, scan_bytes
from tests.support.sysex_dumps import valid_dumps

VALID = valid_dumps(random.Random(99))
DUMPS_PER_EXAMPLE = 10
EXAMPLES = 1100
MIDI_HEADER = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk"
SPECIAL = [0xF0, 0xF7, 0x80, 0x90, 0xFF, 0xF8, 0x00, 0x7F]


def _mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(6)
        pos = rng.randrange(len(out) + 1)
        if kind == 0 and out:
            out[min(pos, len(out) - 1)] = rng.randrange(256)
        elif kind == 1:
            out[pos:pos] = bytes([rng.choice(SPECIAL)])
        elif kind == 2:
            del out[pos:pos + rng.randint(1, 300)]
        elif kind == 3:
            out = out[:pos]
        elif kind == 4:
            out[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 20)))
        else:
            out += rng.choice(VALID)
    return bytes(out)


def _run(dump: bytes) -> None:
    start = time.perf_counter()
    try:
        decode_bytes(dump)
        for message in scan_bytes(dump).scan.messages[:20]:
            for decoder in DECODERS:  # every decoder sees every message, claimed or not
                d = decoder("fuzz")
                d.feed(0, message)
                d.finish()
    except SysExError:
        pass
    assert time.perf_counter() - start < 2.0, "decoding one small dump took too long"


def test_ten_thousand_random_and_mutated_dumps():
    count = [0]

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(seed=st.integers(0, 2**32 - 1), noise=st.binary(max_size=64))
    def check(seed: int, noise: bytes) -> None:
        rng = random.Random(seed)
        for i in range(DUMPS_PER_EXAMPLE):
            if i == 0:
                dump = noise
            elif i == 1:
                dump = MIDI_HEADER + _mutate(rng.choice(VALID), rng)
            elif i % 3 == 0:
                dump = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
            else:
                dump = _mutate(rng.choice(VALID), rng)
            _run(dump)
            count[0] += 1

    check()
    assert count[0] >= 10_000


def test_every_decoder_takes_any_message():
    rng = random.Random(5)
    for _ in range(2000):
        head = rng.choice([b"\xf0\x00\x20\x33\x01", b"\xf0\x41\x10\x00\x06\x12", b"\xf0\x43\x00",
                           b"\xf0\x42\x30\x03", b"\xf0\x00\x20\x29\x00\x33\x00", b"\xf0\x41\x30",
                           b"\xf0"])
        body = bytes(rng.randrange(128) for _ in range(rng.randint(0, 600)))
        for status in ("complete", "truncated", "unterminated"):
            data = head + body + (b"\xf7" if status == "complete" else b"")
            for decoder in DECODERS:
                d = decoder("x")
                try:
                    d.feed(0, RawMessage(0, data, status))
                    d.finish()
                except SysExError:
                    pass


def test_memory_stays_bounded_on_a_large_random_dump():
    rng = random.Random(3)
    data = bytes(rng.randrange(256) for _ in range(2_000_000))
    tracemalloc.start()
    decode_bytes(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 60 * len(data)  # a few copies of the input, not a blow-up
