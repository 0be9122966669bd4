"""Plain-text tables for terminal output."""

from __future__ import annotations

from collections.abc import Sequence


def format_table(header: Sequence[str], rows: Sequence[Sequence[object]],
                 *, align_right: Sequence[int] = ()) -> str:
    """Render rows as an aligned text table; ``align_right`` lists numeric column indexes."""
    cells = [[str(c) for c in header]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        parts = [(c.rjust(w) if i in align_right else c.ljust(w))
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def fmt_seconds(seconds: float | None) -> str:
    """``m:ss.s`` for durations (``h:mm:ss`` past an hour); empty for ``None``."""
    if seconds is None:
        return ""
    seconds = max(0.0, float(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 1:
        return f"{int(hours)}:{int(minutes):02d}:{int(secs):02d}"
    return f"{int(minutes)}:{secs:04.1f}"


def fmt_number(value: float | None, digits: int = 1, suffix: str = "") -> str:
    """A rounded number with an optional unit; empty for ``None``."""
    return "" if value is None else f"{value:.{digits}f}{suffix}"
