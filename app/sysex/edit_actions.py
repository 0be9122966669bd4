"""The SysEx panel's undoable edits: tags, favourites, removal from the library, parameter
values and reverting them. Mixed into :class:`app.sysex.panel.SysExPanel`, which provides the
widgets, the library, the undo stack, ``selected_rows``, ``say`` and ``report``."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog, QWidget

from app.sysex.commands import (
    FavouriteCommand,
    LibraryRef,
    PanelCommand,
    RemoveCommand,
    SetParameterCommand,
    TagCommand,
)
from app.sysex.preset_model import PresetRow
from core.errors import CoreError, SysExError

if TYPE_CHECKING:
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QMenu

    from app.sysex.param_view import ParameterView
    from app.sysex.preset_model import PresetTableModel
    from core.sysex.library import Library
    from core.sysex.model import Preset


class PresetEditsMixin:
    """Tags, stars, removal and parameter edits, each pushed on ``undo_stack``."""

    def _widget(self) -> QWidget:
        """The panel, as the parent of dialogs."""
        assert isinstance(self, QWidget)
        return self

    if TYPE_CHECKING:
        library: Library
        undo_stack: QUndoStack
        table_model: PresetTableModel
        params: ParameterView
        tags_menu: QMenu
        edits: dict[Hashable, Preset]
        _originals: dict[Hashable, Preset]
        _shown_key: Hashable | None

        def selected_rows(self) -> list[PresetRow]: ...
        def say(self, text: str) -> None: ...
        def report(self, title: str, exc: object) -> None: ...
        def _update_actions(self) -> None: ...

    # -- tags, favourites, removal -------------------------------------------------------

    def _refs(self) -> list[LibraryRef]:
        return [LibraryRef(r.fingerprint, r.original or r.preset, r.origin)
                for r in self.selected_rows()]

    def _push(self, command: PanelCommand, done: str) -> bool:
        """Run ``command`` through the undo stack; ``done`` goes to the status line unless it
        failed (it was reported, and the stack dropped it)."""
        self.undo_stack.push(command)
        if not command.failed:
            self.say(done)
        return not command.failed

    def toggle_favourite(self) -> None:
        """Star the selected presets (unstar when all are starred); undoable."""
        rows = self.selected_rows()
        if not rows:
            return
        star = not all(r.favourite for r in rows)
        self._push(FavouriteCommand(self, self._refs(), star),
                   f"{'starred' if star else 'unstarred'} {len(rows)} preset(s)")

    def add_tags(self, tags: Sequence[str]) -> None:
        """Add tags to the selected presets (stored in the library first when needed)."""
        refs = self._refs()
        tags = [t.strip().lower() for t in tags if t.strip()]
        if refs and tags:
            self._push(TagCommand(self, refs, tags, add=True),
                       f"tagged {len(refs)} preset(s) with {', '.join(tags)}")

    def remove_tag(self, tag: str) -> None:
        """Remove a tag from the selected presets."""
        refs = self._refs()
        if refs:
            self._push(TagCommand(self, refs, [tag], add=False),
                       f"removed the tag “{tag}” from {len(refs)} preset(s)")

    def _ask_tag(self) -> None:
        if not self.selected_rows():
            return
        try:
            known = self.library.all_tags()
        except CoreError:
            known = []
        text, ok = QInputDialog.getItem(self._widget(), "Add tags", "Tags (comma separated):",
                                        known, 0, True)
        if ok:
            self.add_tags(text.split(","))

    def _fill_tags_menu(self) -> None:
        self.tags_menu.clear()
        self.tags_menu.addAction(self.add_tag_action)
        tags = sorted({t for r in self.selected_rows() for t in r.tags})
        if tags:
            self.tags_menu.addSeparator()
        for tag in tags:
            self.tags_menu.addAction(f"Remove “{tag}”", lambda t=tag: self.remove_tag(t))

    def remove_from_library(self) -> None:
        """Delete: take the selected presets out of the library (undoable; files stay)."""
        ids = [r.library_id for r in self.selected_rows() if r.library_id is not None]
        if not ids:
            if self.selected_rows():
                self.say("the selected presets are not in the library")
            return
        self._push(RemoveCommand(self, ids),
                   f"removed {len(ids)} preset(s) from the library — Ctrl+Z brings them back")

    # -- parameter edits (undoable) -------------------------------------------------------

    def edit_value(self, name: str, value: int) -> None:
        """Set parameter ``name`` of the shown preset to the raw ``value`` (undoable)."""
        row = self._shown_row()
        if row is None:
            return
        try:
            param = row.preset.table.parameter(name)
        except SysExError as exc:
            self.report("Edit refused", exc)
            return
        if not param.minimum <= value <= param.maximum:
            self.report("Edit refused", SysExError(
                f"{param.title}: {value} is outside {param.minimum}–{param.maximum}"))
            return
        old = param.read(row.preset.data)
        if old == value:
            return
        self._push(SetParameterCommand(self, row.key, row.preset.display_name, param, old,
                                       value),
                   f"{param.title}: {param.format(old)} → {param.format(value)} on "
                   f"{row.preset.display_name} (not saved: export to keep it)")

    def apply_values(self, key: Hashable, values: dict[str, int]) -> None:
        """Set parameters of the preset ``key`` (used by the undo commands)."""
        original = self._originals[key]
        edited = self.edits.get(key, original).with_values(values)
        if edited.data == original.data:
            self.edits.pop(key, None)
        else:
            self.edits[key] = edited
        index = self.table_model.find_row(key)
        if index is not None:
            row = self.table_model.row_at(index)
            row.preset = edited
            self.table_model.refresh_row(row)
        if key == self._shown_key:
            self.params.show_preset(edited, original)
        self._update_actions()

    def revert_selected(self) -> None:
        """Put the selected preset's edited parameters back to their decoded values."""
        row = self._shown_row()
        if row is None or not row.modified:
            return
        assert row.original is not None
        old, new = row.preset.values(), row.original.values()
        changed = [n for n in old if old[n] != new[n]]
        self.undo_stack.beginMacro(f"revert {row.preset.display_name}")
        for name in changed:
            param = row.preset.table.parameter(name)
            self.undo_stack.push(SetParameterCommand(self, row.key, row.preset.display_name,
                                                     param, old[name], new[name]))
        self.undo_stack.endMacro()
        self.say(f"reverted {len(changed)} parameter(s) of {row.original.display_name}")

    def _shown_row(self) -> PresetRow | None:
        rows = self.selected_rows()
        return rows[0] if len(rows) == 1 else None
