"""Items of the latent map: clips, SysEx presets and analysed loops, side by side.

A :class:`MapItem` is anything with a feature vector, a label and a way to be auditioned. Items
of one ``kind`` share a feature space and are projected together; different kinds (whose
vectors have different meanings and sizes) are projected each on its own and laid out side by
side (:func:`layout`), so a producer sees performances and patches on one map.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.jobs import CancelToken, ProgressCallback, check_cancel, report
from core.latent.clip import CC_NAMES, GridClip
from core.latent.projection import project
from core.latent.synth import SAMPLE_RATE, render_clip


@dataclass(frozen=True)
class Audition:
    """What clicking an item plays and shows: mono ``samples`` (float32) at ``sample_rate``
    Hz and named curves (0–1 per grid step, e.g. the CC automation)."""

    samples: np.ndarray
    sample_rate: int
    curves: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class MapItem:
    """One point of the map.

    ``vector``: its features (a clip's latent mean, a preset's normalised parameters, a loop's
    audio features); ``kind``: ``"clip"``, ``"sysex"`` or ``"loop"``; ``group``: what it is
    coloured by (file, tag); ``tempo`` in BPM when known; ``audition``: builds its
    :class:`Audition` (``None`` = nothing to play); ``payload``: the object behind it (a
    :class:`GridClip` for clips).
    """

    vector: np.ndarray
    label: str
    kind: str = "clip"
    group: str = ""
    tempo: float | None = None
    audition: Callable[[], Audition] | None = None
    payload: Any = None


def clip_audition(clip: GridClip, grid: Any) -> Audition:
    """The built-in synth's render of ``clip`` and its present CC curves."""
    curves = {f"CC{n} {CC_NAMES.get(n, '')}".strip(): clip.cc[:, k]
              for k, n in enumerate(grid.cc_numbers) if bool(clip.cc_present[k])}
    return Audition(render_clip(clip, grid), SAMPLE_RATE, curves)


def clip_items(model: Any, clips: Sequence[GridClip], *,
               progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> list[MapItem]:
    """Map items of ``clips`` (vectors = the model's posterior means), encoded in batches."""
    items: list[MapItem] = []
    batch = 64
    for start in range(0, len(clips), batch):
        check_cancel(cancel)
        report(progress, start / max(1, len(clips)), "encoding")
        part = list(clips[start:start + batch])
        mu, _ = model.encode(part)
        for clip, vector in zip(part, mu, strict=True):
            items.append(MapItem(vector=vector, label=os.path.basename(clip.source) or clip.tag,
                                 kind="clip", group=clip.tag, tempo=clip.bpm,
                                 audition=_audition_of(clip, model.grid), payload=clip))
    report(progress, 1.0, "encoded")
    return items


def _audition_of(clip: GridClip, grid: Any) -> Callable[[], Audition]:
    return lambda: clip_audition(clip, grid)


def sysex_items(paths: Sequence[str | os.PathLike[str]]) -> list[MapItem]:
    """Map items of the presets in SysEx files: vectors are each parameter scaled to 0–1 by
    its table's range, in table order (presets of different synths are different kinds of
    vectors, so the kind is ``sysex:<table id>``). Nothing to audition yet (no synth engine
    for the patches). Raises :class:`core.errors.SysExError` for an unreadable file."""
    from core.sysex.decode import decode_file

    items: list[MapItem] = []
    for path in paths:
        for preset in decode_file(path).presets():
            params = preset.table.parameters
            values = preset.values()
            vector = np.array([(values[p.name] - p.minimum) / max(1, p.maximum - p.minimum)
                               for p in params], dtype=np.float32)
            items.append(MapItem(vector=np.clip(vector, 0, 1), label=preset.display_name,
                                 kind=f"sysex:{preset.table_id}", group=preset.synth,
                                 payload=preset))
    return items


def loop_items(paths: Sequence[str | os.PathLike[str]], *, bars: int = 4, top: int = 3,
               progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> tuple[list[MapItem], list[str]]:
    """Map items of the ``top`` best ``bars``-bar loops of each audio file, and one note per
    file that gave none (no beat grid, too short, unreadable).

    Each track is analysed (from the result cache when unchanged) and its loops ranked; a loop's
    vector is its mean per-step onset pattern (pooled mel bands) and mean band levels over its
    bars — what it sounds like, not where it sits — so loops of similar grooves and timbres land
    together. Clicking one plays the loop (mono, at the file's rate).
    """
    from core.analysis.loops import NoBeatGrid, rank_loops, steps_per_bar, track_bar_features
    from core.analysis.pipeline import analyze_file
    from core.errors import Cancelled, CoreError

    items: list[MapItem] = []
    skipped: list[str] = []
    for k, path in enumerate(paths):
        check_cancel(cancel)
        report(progress, k / max(1, len(paths)), f"loops of {os.path.basename(path)}")
        name = os.path.basename(path)
        try:
            analysis = analyze_file(path, cancel=cancel)
            features = track_bar_features(path, analysis, cancel=cancel)
            loops = rank_loops(features, analysis, bars=bars, steps=steps_per_bar(analysis),
                               cancel=cancel)[:max(1, top)]
        except NoBeatGrid:
            skipped.append(f"{name}: no beat grid, so no loops")
            continue
        except Cancelled:
            raise
        except CoreError as exc:
            skipped.append(str(exc))
            continue
        for loop in loops:
            first = loop.first_bar
            span = slice(first, first + loop.bars)
            vector = np.concatenate([features.onsets[span].mean(axis=0).ravel(),
                                     features.levels[span].mean(axis=0) / 20.0])
            items.append(MapItem(
                vector=vector.astype(np.float32),
                label=f"{name} bars {first + 1}–{first + loop.bars}", kind="loop",
                group=name, tempo=analysis.tempo_bpm,
                audition=_loop_audition(path, loop.start, loop.end), payload=loop))
    report(progress, 1.0, "loops")
    return items, skipped


def _loop_audition(path: str | os.PathLike[str], start_s: float,
                   end_s: float) -> Callable[[], Audition]:
    def audition() -> Audition:
        from core.audio import load

        buffer = load(path, mono=True, offset=start_s, duration=end_s - start_s)
        return Audition(np.asarray(buffer.samples[0], np.float32), buffer.sample_rate)

    return audition


def layout(items: Sequence[MapItem], method: str = "pca", *, seed: int = 0,
           progress: ProgressCallback | None = None,
           cancel: CancelToken | None = None) -> np.ndarray:
    """``[n, 2]`` map coordinates: each kind projected with ``method`` on its own, scaled into
    a unit box and placed left to right in order of first appearance."""
    coords = np.zeros((len(items), 2))
    kinds: list[str] = []
    for item in items:
        if item.kind not in kinds:
            kinds.append(item.kind)
    for k, kind in enumerate(kinds):
        check_cancel(cancel)
        index = [i for i, item in enumerate(items) if item.kind == kind]
        vectors = np.stack([np.asarray(items[i].vector, np.float64) for i in index])
        xy = project(vectors, method, seed=seed, cancel=cancel)
        span = np.maximum(np.ptp(xy, axis=0), 1e-12)
        xy = (xy - xy.min(axis=0)) / span * 2.0 - 1.0 if len(index) > 1 else xy * 0.0
        coords[index] = xy + np.array([2.5 * k, 0.0])
        report(progress, (k + 1) / len(kinds), f"projected {kind}")
    return coords
