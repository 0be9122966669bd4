"""Compare two presets parameter by parameter."""

from __future__ import annotations

from dataclasses import dataclass

from core.sysex.model import Preset


@dataclass(frozen=True)
class ParamDiff:
    """One parameter of a comparison; ``a``/``b`` are ``None`` where a preset lacks it."""

    name: str
    section: str
    a: int | None
    b: int | None
    a_text: str
    b_text: str

    @property
    def differs(self) -> bool:
        """Whether the two values differ."""
        return self.a != self.b


def compare_presets(a: Preset, b: Preset) -> list[ParamDiff]:
    """Every parameter of either preset, in table order (``a``'s first), with both values.

    Presets of different synths are compared on the parameter names they share; the others
    appear with ``None`` on the side that lacks them.
    """
    rows: list[ParamDiff] = []
    b_params = {p.name: p for p in b.table.parameters}
    seen = set()
    for p in a.table.parameters:
        va = p.read(a.data)
        q = b_params.get(p.name)
        vb = q.read(b.data) if q is not None else None
        rows.append(ParamDiff(p.name, p.section, va, vb, p.format(va),
                              q.format(vb) if q is not None and vb is not None else ""))
        seen.add(p.name)
    for q in b.table.parameters:
        if q.name not in seen:
            vb = q.read(b.data)
            rows.append(ParamDiff(q.name, q.section, None, vb, "", q.format(vb)))
    return rows


def differences(a: Preset, b: Preset) -> list[ParamDiff]:
    """Only the parameters that differ."""
    return [row for row in compare_presets(a, b) if row.differs]
