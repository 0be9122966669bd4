"""The latent lab's state: the loaded model, the map items and their coordinates, the
selection, the training curve and the last interpolation. Controllers write it; views
subscribe to its signals."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from core.latent.clip import GridClip
from core.latent.map_items import MapItem


class LatentLabModel(QObject):
    """State of the latent-lab page.

    Signals
    -------
    model_changed(object)
        A :class:`core.latent.inference.LatentModel` was loaded or trained (or ``None``).
    items_changed()
        The map items changed (coordinates follow with ``coords_changed``).
    coords_changed()
        New 2-D coordinates for the items.
    selection_changed()
        The lasso selection changed.
    current_changed(int)
        The clicked item (−1 = none).
    history_changed()
        A training epoch was added or the curve was cleared.
    interpolation_changed()
        A new interpolation was decoded.
    """

    model_changed = Signal(object)
    items_changed = Signal()
    coords_changed = Signal()
    selection_changed = Signal()
    current_changed = Signal(int)
    history_changed = Signal()
    interpolation_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model: Any = None
        self.items: list[MapItem] = []
        self.coords = np.zeros((0, 2))
        self.selection: set[int] = set()
        self.current = -1
        self.history: list[dict[str, float]] = []
        self.interpolation: list[GridClip] = []
        self.pair: list[int] = []

    def set_model(self, model: Any) -> None:
        """Use ``model`` for encoding, interpolation and export."""
        self.model = model
        self.model_changed.emit(model)

    def set_items(self, items: list[MapItem]) -> None:
        """Replace the map items (selection, current item and pair are cleared)."""
        self.items = list(items)
        self.coords = np.zeros((len(items), 2))
        self.selection, self.current, self.pair = set(), -1, []
        self.items_changed.emit()
        self.selection_changed.emit()
        self.current_changed.emit(-1)

    def add_items(self, items: list[MapItem]) -> None:
        """Append items (e.g. SysEx presets next to clips)."""
        self.items += list(items)
        self.coords = np.vstack([self.coords, np.zeros((len(items), 2))])
        self.items_changed.emit()

    def set_coords(self, coords: np.ndarray) -> None:
        """New coordinates ``[n, 2]`` for the current items."""
        if len(coords) == len(self.items):
            self.coords = np.asarray(coords, dtype=float)
            self.coords_changed.emit()

    def set_selection(self, indices: set[int]) -> None:
        """The lasso selection."""
        self.selection = {i for i in indices if 0 <= i < len(self.items)}
        self.selection_changed.emit()

    def set_current(self, index: int) -> None:
        """The clicked item; it also becomes the newest end of the interpolation pair."""
        self.current = index if 0 <= index < len(self.items) else -1
        if self.current >= 0 and self.items[self.current].kind == "clip":
            self.pair = ([*self.pair, self.current])[-2:]
        self.current_changed.emit(self.current)

    def add_epoch(self, record: dict[str, float]) -> None:
        """One training epoch (an ``EpochRecord.to_dict()``)."""
        self.history.append(dict(record))
        self.history_changed.emit()

    def set_history(self, history: list[dict[str, float]]) -> None:
        """Replace the training curve (e.g. a loaded checkpoint's history)."""
        self.history = [dict(h) for h in history]
        self.history_changed.emit()

    def set_interpolation(self, clips: list[GridClip]) -> None:
        """The clips of the last interpolation."""
        self.interpolation = list(clips)
        self.interpolation_changed.emit()
