"""What every format decoder and encoder shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import SysExError
from core.sysex.framing import RawMessage
from core.sysex.model import Bank, Preset


@dataclass(frozen=True)
class Claim:
    """A decoder's answer for one message it recognises.

    ``kind`` names the message for the listing; ``checksum`` says whether it verified
    (``"ok"``, ``"bad: stored 0x12, computed 0x34"``, ``"none"``); ``note`` is a line for the
    dump's notes when the message was skipped or repaired.
    """

    kind: str
    device_id: int | None = None
    checksum: str = "none"
    note: str = ""


@dataclass(frozen=True)
class Target:
    """Where an encoded preset goes: the edit buffer (``program is None``) or a slot."""

    program: int | None = None
    bank: int | None = None
    device_id: int | None = None

    @property
    def is_edit_buffer(self) -> bool:
        """Whether this is the edit buffer."""
        return self.program is None


EDIT_BUFFER = Target()


@dataclass
class DecoderState:
    """Banks and notes gathered by one decoder over one dump."""

    banks: list[Bank] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class FormatDecoder:
    """One family's decoder for one dump: :meth:`feed` each message, then :meth:`finish`."""

    family = ""

    def __init__(self, source: str) -> None:
        self.source = source
        self.state = DecoderState()

    def feed(self, index: int, message: RawMessage) -> Claim | None:
        """Recognise (and collect) ``message``; ``None`` when it is not this family's."""
        raise NotImplementedError

    def finish(self) -> DecoderState:
        """Banks built from the collected messages."""
        return self.state


def checksum_note(stored: int, computed: int) -> str:
    """``"ok"`` or ``"bad: stored 0x.., computed 0x.."``."""
    if stored == computed:
        return "ok"
    return f"bad: stored 0x{stored:02X}, computed 0x{computed:02X}"


def wrong_length_note(what: str, message: RawMessage, expected: int | str) -> str:
    """The dump note for a ``what`` message of the wrong length or cut short (skipped)."""
    return (f"{what} at offset {message.offset} has {len(message.data)} bytes "
            f"(expected {expected}; {message.status}): skipped")


def bad_checksum_warning(note: str, what: str = "checksum") -> tuple[str, ...]:
    """A preset warning for a failed checksum (empty when it verified)."""
    if note.startswith("bad"):
        return (f"{what} {note} — data kept as received; the synth may show a warning",)
    return ()


def check_program(program: int, count: int, synth: str) -> None:
    """Raise :class:`SysExError` unless ``0 <= program < count``."""
    if not 0 <= program < count:
        raise SysExError(f"{synth}: program slot {program} outside 0–{count - 1}")


def range_warnings(preset: Preset) -> tuple[str, ...]:
    """Warnings for parameter values outside their documented range (first five named)."""
    problems = preset.table.out_of_range(preset.data)
    if not problems:
        return ()
    more = f" and {len(problems) - 5} more" if len(problems) > 5 else ""
    return ("values out of range: " + "; ".join(problems[:5]) + more,)
