"""The parameter view: one preset's parameters by section (double-click a value to edit it
within its range), or two presets compared with their differences highlighted."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.sysex.widgets import HintTreeWidget
from core.errors import SysExError
from core.sysex.compare import ParamDiff, compare_presets
from core.sysex.model import Preset
from core.sysex.spec import SECTIONS, Parameter

DIFF_BRUSH = QBrush(QColor(255, 214, 120))
DIFF_TEXT = QBrush(QColor(21, 22, 26))
"""Dark text on the highlight: readable whatever the theme's text colour."""
EDITED_TEXT = QBrush(QColor(255, 138, 61))
PARAM_ROLE = Qt.ItemDataRole.UserRole + 1
VALUE_COLUMN = 1
EMPTY_HINT = ("Select a preset to see its parameters.\n\nSelect two to compare them; "
              "double-click a value to edit it.")


class ParamSpinBox(QSpinBox):
    """A spin box over a parameter's range that shows and reads values in the synth's units."""

    def __init__(self, param: Parameter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = param
        self.setRange(param.minimum, param.maximum)
        self.setToolTip(f"{param.format(param.minimum)} … {param.format(param.maximum)} "
                        f"(raw {param.minimum}–{param.maximum}); Enter keeps, Esc cancels")

    def textFromValue(self, value: int) -> str:
        """Qt override: the value as the synth shows it."""
        return self.param.format(value)

    def valueFromText(self, text: str) -> int:
        """Qt override: a typed value in the synth's units."""
        try:
            return self.param.parse(text)
        except SysExError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        """Qt override: accept what :meth:`Parameter.parse` reads; let typing go on otherwise."""
        try:
            self.param.parse(text)
        except SysExError:
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos


class ParamDelegate(QStyledItemDelegate):
    """Editors for the value column: a combo for named values, else a :class:`ParamSpinBox`.

    Committing does not write into the tree: it asks the view to emit ``value_edited`` so the
    panel can push an undoable edit.
    """

    def __init__(self, view: ParameterView) -> None:
        super().__init__(view.tree)
        self.view = view

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget | None:
        """Qt override: an editor for an editable parameter's value, else none."""
        param = self.view.param_at(index)
        if param is None or index.column() != VALUE_COLUMN or not self.view.editable:
            return None
        if param.display.kind == "choices" and param.display.choices:
            combo = QComboBox(parent)
            for value in range(param.minimum, param.maximum + 1):
                combo.addItem(param.format(value), value)
            return combo
        return ParamSpinBox(param, parent)

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        """Qt override: start from the current value."""
        param = self.view.param_at(index)
        if param is None or self.view.preset is None:
            return
        value = param.read(self.view.preset.data)
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(value)))
        elif isinstance(editor, QSpinBox):
            editor.setValue(value)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel,
                     index: QModelIndex | QPersistentModelIndex) -> None:
        """Qt override: report the new value (the panel applies it through its undo stack)."""
        param = self.view.param_at(index)
        if param is None:
            return
        if isinstance(editor, QComboBox):
            value = int(editor.currentData())
        else:
            assert isinstance(editor, QSpinBox)
            editor.interpretText()
            value = editor.value()
        self.view.request_edit(param.name, value)


class ParameterView(QWidget):
    """Header (name, synth, slot, edits, warnings), an "only differences" switch when
    comparing, and the parameter tree."""

    value_edited = Signal(str, int)
    """A parameter's new raw value, typed by the person (not yet applied)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preset: Preset | None = None
        self.original: Preset | None = None
        self.compared: tuple[Preset, Preset] | None = None
        self.editable = False
        self._items: dict[str, QTreeWidgetItem] = {}
        self._rows: list[ParamDiff] = []
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setVisible(False)
        self.diff_only = QCheckBox("Only differences")
        self.diff_only.setToolTip("Hide the parameters both presets share with the same value")
        self.diff_only.setVisible(False)
        self.diff_only.toggled.connect(self._redraw_comparison)
        self.tree = HintTreeWidget()
        self.tree.setObjectName("sysex_parameters")
        self.tree.set_hint(EMPTY_HINT)
        self.tree.setHeaderLabels(["parameter", "value", "raw"])
        self.tree.setUniformRowHeights(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.tree.setItemDelegate(ParamDelegate(self))
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        head = self.tree.header()
        head.setStretchLastSection(False)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.diff_only)
        layout.addWidget(self.tree, 1)

    # -- what is shown ---------------------------------------------------------------------

    def clear(self) -> None:
        """Show nothing (the hint)."""
        self.preset = self.original = None
        self.compared = None
        self.editable = False
        self._items = {}
        self.tree.clear()
        self.tree.setHeaderLabels(["parameter", "value", "raw"])
        self.header.setVisible(False)
        self.diff_only.setVisible(False)

    def show_preset(self, preset: Preset, original: Preset | None = None) -> None:
        """``preset``'s parameters by section; values differing from ``original`` (the preset
        as decoded) are drawn bold and orange. Showing the same kind of preset again updates
        the values in place (scroll position and open sections stay)."""
        original = original or preset
        same_layout = (self.compared is None and self.preset is not None
                       and self.preset.table is preset.table and bool(self._items))
        self.preset, self.original, self.compared = preset, original, None
        self.editable = bool(preset.table.parameters)
        self.diff_only.setVisible(False)
        self.tree.set_hint("" if self.editable else
                           "No documented parameters for this format.")
        self._update_header()
        if same_layout:
            for name, item in self._items.items():
                self._fill_value(item, preset.table.parameter(name))
            return
        self.tree.clear()
        self._items = {}
        self.tree.setHeaderLabels(["parameter", "value", "raw"])
        for section, params in preset.table.sections().items():
            group = QTreeWidgetItem([section, "", ""])
            group.setFirstColumnSpanned(True)
            for p in params:
                item = QTreeWidgetItem([p.title, "", ""])
                item.setData(0, PARAM_ROLE, p.name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                item.setToolTip(0, _describe(p))
                item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight)
                self._items[p.name] = item
                self._fill_value(item, p)
                group.addChild(item)
            self.tree.addTopLevelItem(group)
            group.setExpanded(True)

    def _fill_value(self, item: QTreeWidgetItem, p: Parameter) -> None:
        assert self.preset is not None and self.original is not None
        value = p.read(self.preset.data)
        before = p.read(self.original.data)
        item.setText(1, p.format(value))
        item.setText(2, str(value))
        edited = value != before
        font = QFont()
        font.setBold(edited)
        for column in (0, 1, 2):
            item.setFont(column, font)
            item.setData(column, Qt.ItemDataRole.ForegroundRole, EDITED_TEXT if edited else None)
        item.setToolTip(1, (f"edited — was {p.format(before)} (raw {before}); " if edited else "")
                        + f"double-click to edit ({p.format(p.minimum)} … "
                        f"{p.format(p.maximum)})")

    def _update_header(self) -> None:
        preset = self.preset
        assert preset is not None and self.original is not None
        lines = [f"<b>{_html(preset.display_name)}</b> — {_html(preset.synth)}"
                 + (f", {_html(preset.slot)}" if preset.slot else "")]
        changed = sum(1 for n, v in preset.values().items() if self.original.values()[n] != v)
        if changed:
            lines.append(f"<span style='color:#ff8a3d'>edited: {changed} parameter(s) changed; "
                         "the original file is untouched — export to keep it</span>")
        if not preset.table.parameters:
            lines.append("The parameters of this format are not documented: the data is kept "
                         "as it is and can still be exported, copied and sent.")
        lines.extend(f"<span style='color:#e68c28'>⚠ {_html(w)}</span>" for w in preset.warnings)
        self.header.setText("<br>".join(lines))
        self.header.setVisible(True)

    def show_comparison(self, a: Preset, b: Preset) -> list[str]:
        """Two presets side by side by section, differing parameters highlighted; returns the
        names of the parameters that differ."""
        self.preset = self.original = None
        self.compared = (a, b)
        self.editable = False
        self._items = {}
        rows = compare_presets(a, b)
        differing = [r.name for r in rows if _differs(r)]
        lines = [f"<b>A</b> {_html(a.display_name)} ({_html(a.synth)}) · <b>B</b> "
                 f"{_html(b.display_name)} ({_html(b.synth)}) — {len(differing)} of "
                 f"{sum(1 for r in rows if r.a is not None and r.b is not None)} shared "
                 "parameter(s) differ"]
        if a.table is not b.table:
            lines.append("Different kinds of preset: only the parameters both have are "
                         "compared.")
        self.header.setText("<br>".join(lines))
        self.header.setVisible(True)
        self.diff_only.setVisible(True)
        self._rows = rows
        self._redraw_comparison()
        return differing

    def _redraw_comparison(self, *_: object) -> None:
        if self.compared is None:
            return
        a, b = self.compared
        self.tree.clear()
        self.tree.setHeaderLabels(["parameter", "A", "B"])
        self.tree.headerItem().setToolTip(1, a.display_name)
        self.tree.headerItem().setToolTip(2, b.display_name)
        order = {s: i for i, s in enumerate(SECTIONS)}
        groups: dict[str, QTreeWidgetItem] = {}
        only = self.diff_only.isChecked()
        for row in sorted(self._rows, key=lambda r: order.get(r.section, len(SECTIONS))):
            differs = _differs(row)
            if only and not differs:
                continue
            group = groups.get(row.section)
            if group is None:
                group = groups[row.section] = QTreeWidgetItem([row.section, "", ""])
                group.setFirstColumnSpanned(True)
                self.tree.addTopLevelItem(group)
                group.setExpanded(True)
            param = _param_of(a, b, row.name)
            item = QTreeWidgetItem([param.title, row.a_text or "–", row.b_text or "–"])
            item.setToolTip(0, _describe(param))
            if differs:
                for column in range(3):
                    item.setBackground(column, DIFF_BRUSH)
                    item.setForeground(column, DIFF_TEXT)
            elif row.a is None or row.b is None:
                item.setToolTip(1, "only one of the presets has this parameter")
                for column in range(3):
                    item.setForeground(column, self.palette().placeholderText())
            group.addChild(item)

    # -- editing ---------------------------------------------------------------------------

    def param_at(self, index: QModelIndex | QPersistentModelIndex) -> Parameter | None:
        """The parameter of a tree row (``None`` for sections and the comparison)."""
        if self.preset is None or self.compared is not None:
            return None
        name = index.siblingAtColumn(0).data(PARAM_ROLE)
        return self.preset.table.parameter(name) if name else None

    def item_of(self, name: str) -> QTreeWidgetItem | None:
        """The tree row of a parameter (single-preset view)."""
        return self._items.get(name)

    def edit_parameter(self, name: str) -> None:
        """Open the value editor of ``name`` (as a double-click does)."""
        item = self._items.get(name)
        if item is not None and self.editable:
            self.tree.scrollToItem(item)
            self.tree.setCurrentItem(item, VALUE_COLUMN)
            self.tree.editItem(item, VALUE_COLUMN)

    def _double_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        if column != VALUE_COLUMN and item.data(0, PARAM_ROLE):
            self.tree.editItem(item, VALUE_COLUMN)  # a double-click on the name edits too

    def request_edit(self, name: str, value: int) -> None:
        """Emit ``value_edited`` when ``value`` differs from the shown one."""
        if self.preset is None:
            return
        if self.preset.table.parameter(name).read(self.preset.data) != value:
            self.value_edited.emit(name, value)


def _differs(row: ParamDiff) -> bool:
    return row.a is not None and row.b is not None and row.a != row.b


def _param_of(a: Preset, b: Preset, name: str) -> Parameter:
    return a.table.parameter(name) if a.table.has(name) else b.table.parameter(name)


def _describe(p: Parameter) -> str:
    parts = [p.description or p.title, f"range {p.format(p.minimum)} … {p.format(p.maximum)} "
             f"(raw {p.minimum}–{p.maximum})"]
    if p.cc is not None:
        parts.append(f"MIDI CC {p.cc}")
    parts.append(f"search as {p.name}" + (f" or {', '.join(p.aliases)}" if p.aliases else ""))
    return "\n".join(parts)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
