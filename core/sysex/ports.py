"""Send SysEx to hardware through mido's MIDI output ports (python-rtmidi backend).

:func:`output_ports` never raises: when MIDI output is impossible it says why (backend not
installed, no MIDI system, no ports) so the window can disable "Send" with that reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import SysExError

_log = logging.getLogger(__name__)
BACKEND = "mido.backends.rtmidi"


@dataclass(frozen=True)
class PortStatus:
    """Output port names, or the reason there are none (``reason`` empty when ports exist)."""

    names: tuple[str, ...]
    reason: str = ""

    @property
    def available(self) -> bool:
        """Whether at least one output port exists."""
        return bool(self.names)


def output_ports(backend: str = BACKEND) -> PortStatus:
    """The MIDI output ports; never raises."""
    try:
        import mido

        names = tuple(mido.Backend(backend, load=True).get_output_names())
    except ImportError as exc:
        missing = getattr(exc, "name", None) or str(exc)
        return PortStatus((), f"MIDI output needs python-rtmidi ({missing} is not installed)")
    except Exception as exc:  # rtmidi raises its own error types when no MIDI system exists
        _log.debug("MIDI backend unavailable", exc_info=True)
        return PortStatus((), f"no MIDI system available ({type(exc).__name__}: {exc})")
    if not names:
        return PortStatus((), "no MIDI output ports found (connect an interface or synth)")
    return PortStatus(names)


def send_messages(port_name: str, messages: Sequence[bytes], *,
                  backend: str = BACKEND) -> None:
    """Send framed SysEx messages to ``port_name``; :class:`SysExError` on any failure."""
    try:
        import mido

        midi = mido.Backend(backend, load=True)
        with midi.open_output(port_name) as port:
            for message in messages:
                if len(message) < 2 or message[0] != 0xF0 or message[-1] != 0xF7:
                    raise SysExError("not a complete SysEx message")
                port.send(mido.Message("sysex", data=message[1:-1]))
    except SysExError:
        raise
    except Exception as exc:  # backend errors of every kind become one clear message
        raise SysExError(f"cannot send to MIDI port {port_name!r} ({type(exc).__name__}: "
                         f"{exc})") from None
