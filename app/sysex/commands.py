"""Undoable edits of the SysEx panel: a parameter value, tags, favourites, removal from the
library.

Library edits name presets by sound (fingerprint), not by library id, so a preset of an open
file that is not in the library yet is stored when it gets its first tag or star — and taken
out again when that edit is undone.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtGui import QUndoCommand

from core.errors import CoreError
from core.sysex.library import Library, RemovedPreset
from core.sysex.model import Preset
from core.sysex.spec import Parameter


class EditTarget(Protocol):
    """What the commands change: the panel."""

    library: Library

    def apply_values(self, key: Hashable, values: dict[str, int]) -> None:
        """Set parameters of the preset ``key`` (raises ``CoreError`` when they do not fit)."""

    def library_changed(self) -> None:
        """Show the library's new tags, favourites and contents."""

    def report(self, title: str, exc: object) -> None:
        """Tell the person that an edit failed."""


@dataclass(frozen=True)
class LibraryRef:
    """A preset as the library knows it: its sound (as decoded) and where it was seen."""

    fingerprint: str
    preset: Preset
    source: str = ""


class PanelCommand(QUndoCommand):
    """Runs ``_redo``/``_undo``; a failure is reported and the command made obsolete (the
    stack then drops it) instead of escaping into Qt."""

    def __init__(self, target: EditTarget, text: str) -> None:
        super().__init__(text)
        self.target = target
        self.failed = False

    def redo(self) -> None:
        """Qt override."""
        try:
            self._redo()
        except CoreError as exc:
            self.failed = True
            self.target.report(f"Cannot {self.text()}", exc)
            self.setObsolete(True)

    def undo(self) -> None:
        """Qt override."""
        try:
            self._undo()
        except CoreError as exc:
            self.target.report(f"Cannot undo {self.text()}", exc)

    def _redo(self) -> None:
        raise NotImplementedError

    def _undo(self) -> None:
        raise NotImplementedError


class SetParameterCommand(PanelCommand):
    """One parameter of one preset set to a new raw value."""

    def __init__(self, target: EditTarget, key: Hashable, preset_name: str, param: Parameter,
                 old: int, new: int) -> None:
        super().__init__(target, f"set {param.title} {param.format(old)} → {param.format(new)}"
                                 f" on {preset_name}")
        self.key, self.name, self.old, self.new = key, param.name, old, new

    def _redo(self) -> None:
        self.target.apply_values(self.key, {self.name: self.new})

    def _undo(self) -> None:
        self.target.apply_values(self.key, {self.name: self.old})


class _LibraryCommand(PanelCommand):
    """Shared by the tag and favourite commands: stores presets that are not in the library
    yet (and removes them again on undo)."""

    def __init__(self, target: EditTarget, refs: Sequence[LibraryRef], text: str) -> None:
        super().__init__(target, text)
        self.refs = list({r.fingerprint: r for r in refs}.values())
        self.created: list[int] = []

    def _ids(self, create: bool) -> dict[str, tuple[int, tuple[str, ...], bool]]:
        """fingerprint → (id, tags, favourite) for each ref in the library (stored first when
        ``create``)."""
        library = self.target.library
        found = library.find(r.fingerprint for r in self.refs)
        self.created = []
        out = {fp: (item.id, item.tags, item.favourite) for fp, item in found.items()}
        if create:
            for ref in self.refs:
                if ref.fingerprint not in out:
                    pid = library.store(ref.preset, source=ref.source)
                    self.created.append(pid)
                    item = library.get(pid)
                    out[ref.fingerprint] = (pid, item.tags, item.favourite)
        return out

    def _drop_created(self) -> None:
        if self.created:
            self.target.library.remove(self.created)
            self.created = []


class TagCommand(_LibraryCommand):
    """Add or remove tags on several presets."""

    def __init__(self, target: EditTarget, refs: Sequence[LibraryRef], tags: Sequence[str],
                 add: bool) -> None:
        clean = list(dict.fromkeys(t.strip().lower() for t in tags if t.strip()))
        words = ", ".join(f"“{t}”" for t in clean)
        super().__init__(target, refs, f"{'tag' if add else 'untag'} {len(refs)} preset(s) "
                                       f"{'with' if add else 'from'} {words}")
        self.tags, self.add = clean, add
        self.changed: list[tuple[int, str]] = []

    def _redo(self) -> None:
        library = self.target.library
        self.changed = []
        for pid, tags, _fav in self._ids(create=self.add).values():
            for tag in self.tags:
                if self.add and tag not in tags:
                    library.add_tag(pid, tag)
                    self.changed.append((pid, tag))
                elif not self.add and tag in tags:
                    library.remove_tag(pid, tag)
                    self.changed.append((pid, tag))
        self.target.library_changed()

    def _undo(self) -> None:
        library = self.target.library
        for pid, tag in self.changed:
            if self.add:
                library.remove_tag(pid, tag)
            else:
                library.add_tag(pid, tag)
        self._drop_created()
        self.target.library_changed()


class FavouriteCommand(_LibraryCommand):
    """Star or unstar several presets."""

    def __init__(self, target: EditTarget, refs: Sequence[LibraryRef], favourite: bool) -> None:
        super().__init__(target, refs, f"{'star' if favourite else 'unstar'} {len(refs)} "
                                       "preset(s)")
        self.favourite = favourite
        self.changed: list[int] = []

    def _redo(self) -> None:
        library = self.target.library
        self.changed = []
        for pid, _tags, fav in self._ids(create=self.favourite).values():
            if fav != self.favourite:
                library.set_favourite(pid, self.favourite)
                self.changed.append(pid)
        self.target.library_changed()

    def _undo(self) -> None:
        for pid in self.changed:
            self.target.library.set_favourite(pid, not self.favourite)
        self._drop_created()
        self.target.library_changed()


class RemoveCommand(PanelCommand):
    """Take presets out of the library (their tags, star and occurrences come back on undo)."""

    def __init__(self, target: EditTarget, preset_ids: Sequence[int]) -> None:
        super().__init__(target, f"remove {len(preset_ids)} preset(s) from the library")
        self.ids = list(preset_ids)
        self.removed: tuple[RemovedPreset, ...] = ()

    def _redo(self) -> None:
        library = self.target.library
        if self.removed:  # a redo after undo: the restored presets, found by sound
            found = library.find(r.fingerprint for r in self.removed)
            self.ids = [item.id for item in found.values()]
        self.removed = library.remove(self.ids)
        self.target.library_changed()

    def _undo(self) -> None:
        self.target.library.restore(self.removed)
        self.target.library_changed()
