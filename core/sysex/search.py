"""Search presets by name, tags and parameter values: ``cutoff>100 category:bass warm``.

Terms (all must match):

* a plain word — in the name, a tag/category or the synth's name (case-insensitive);
* ``category:bass`` / ``tag:bass`` — a category or tag equal to the word (``cat:`` too);
* ``synth:virus`` — in the synth's name; ``name:pad`` — in the name;
* ``is:fav`` (or ``fav``/``favourite``) — favourites only;
* ``cutoff>100``, ``resonance<=20``, ``algorithm=5``, ``osc1_shape!=0`` — a parameter
  (by name or alias, raw values) compared with a number. A preset whose synth has no such
  parameter does not match.
"""

from __future__ import annotations

import operator
import re
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from core.sysex.spec import SynthTable

_OPS: dict[str, Callable[[int, int], bool]] = {
    ">=": operator.ge, "<=": operator.le, "!=": operator.ne, ">": operator.gt,
    "<": operator.lt, "=": operator.eq, "==": operator.eq}
_PARAM = re.compile(r"^([A-Za-z_][\w]*)\s*(>=|<=|!=|==|>|<|=)\s*(-?\d+)$")


class Searchable(Protocol):
    """What a search looks at (a :class:`Preset` or a library row)."""

    @property
    def name(self) -> str: ...
    @property
    def synth(self) -> str: ...
    @property
    def table(self) -> SynthTable: ...
    @property
    def data(self) -> bytes: ...


@dataclass(frozen=True)
class ParamFilter:
    """``key op value`` on a parameter's raw value."""

    key: str
    op: str
    value: int

    def matches(self, table: SynthTable, data: bytes) -> bool:
        """True when any parameter named ``key`` satisfies the comparison."""
        compare = _OPS[self.op]
        return any(compare(p.read(data), self.value) for p in table.find(self.key))


@dataclass(frozen=True)
class Query:
    """A parsed search (see the module docstring)."""

    words: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    synths: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    params: tuple[ParamFilter, ...] = ()
    favourites: bool = False

    @property
    def empty(self) -> bool:
        """Whether the query matches everything."""
        return not (self.words or self.tags or self.synths or self.names or self.params
                    or self.favourites)

    def matches(self, item: Searchable, tags: Iterable[str] = (),
                favourite: bool = False) -> bool:
        """Whether ``item`` (with its ``tags`` and favourite flag) matches every term."""
        if self.favourites and not favourite:
            return False
        name = item.name.lower()
        synth = item.synth.lower()
        tag_set = {t.lower() for t in tags}
        for word in self.words:
            if word not in name and word not in synth and not any(word in t for t in tag_set):
                return False
        if any(t not in tag_set for t in self.tags):
            return False
        if any(s not in synth for s in self.synths):
            return False
        if any(n not in name for n in self.names):
            return False
        table, data = item.table, item.data
        return all(f.matches(table, data) for f in self.params)


def parse_query(text: str) -> Query:
    """Parse a search string; never raises (unbalanced quotes are read as plain words)."""
    try:
        tokens = shlex.split(text or "")
    except ValueError:
        tokens = (text or "").split()
    tokens = _join_operators(tokens)
    words: list[str] = []
    tags: list[str] = []
    synths: list[str] = []
    names: list[str] = []
    params: list[ParamFilter] = []
    favourites = False
    for token in tokens:
        low = token.lower()
        match = _PARAM.match(token)
        if match:
            params.append(ParamFilter(match.group(1).lower(), match.group(2),
                                      int(match.group(3))))
        elif low in ("is:fav", "is:favourite", "is:favorite", "fav", "favourite", "favorite"):
            favourites = True
        elif ":" in low and low.split(":", 1)[1]:
            key, value = low.split(":", 1)
            if key in ("category", "cat", "tag"):
                tags.append(value)
            elif key == "synth":
                synths.append(value)
            elif key == "name":
                names.append(value)
            else:
                words.append(low)
        elif low:
            words.append(low)
    return Query(tuple(words), tuple(tags), tuple(synths), tuple(names), tuple(params),
                 favourites)


def _join_operators(tokens: Sequence[str]) -> list[str]:
    """``cutoff > 100`` typed with spaces becomes ``cutoff>100``."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if i + 2 < len(tokens) and tokens[i + 1] in _OPS:
            out.append(tokens[i] + tokens[i + 1] + tokens[i + 2])
            i += 3
            continue
        out.append(tokens[i])
        i += 1
    return out
