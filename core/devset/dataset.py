"""The development set: a deterministic list of clip specs across all styles, rendered lazily.

``development_set(split)`` returns :class:`ClipSpec` s; nothing is rendered until
:func:`iter_clips`. Splits: ``"train"`` and ``"dev"`` draw kits from the train kits (different
seeds, so different clips), ``"unseen"`` from the held-out kits (see :mod:`core.devset.kits`).
The list depends only on the arguments and on which kits this machine has.

Per style, ``clips_per_style`` clips: the style's anchor tempos first (174/170/176 for drum &
bass, 140 for dubstep, 140 and 150 for trap, …), then tempos spread over its range; and,
counting clips over the whole set, alternately drums-only and full mixes, drum-to-rest levels
cycling +6, 0, −6, +3, −3 dB, every third clip humanised (2–10 ms), every other clip of a
swing style swung (ratio from the style's range), every fifth clip with a tempo change half-way
(±3–5 %), every fourth full mix with a pads-only intro, every third clip pitch-shifted
(±1–2 semitones), half of them augmented, and a lead-in of 0–0.5 s.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from core.devset.generate import ClipSpec, render_clip
from core.devset.kits import Kit, is_unseen, kit_names, load_kit
from core.devset.patterns import STYLES, Style
from core.devset.truth import Clip
from core.errors import InvalidParameter
from core.jobs import CancelToken, ProgressCallback, check_cancel, report

SPLITS: tuple[str, ...] = ("train", "dev", "unseen")
_DRUM_TO_REST = (6.0, 0.0, -6.0, 3.0, -3.0)


def _kit_pool(split: str, kits: Mapping[str, Kit] | Sequence[str] | None) -> list[str]:
    held_out = split == "unseen"
    if kits is None:
        return list(kit_names("unseen" if held_out else "train"))
    names = [n for n in (kits.keys() if isinstance(kits, Mapping) else kits)
             if is_unseen(n) == held_out]
    if not names:
        raise InvalidParameter(f"none of the given kits belongs to the {split!r} split")
    return names


def _bpm(st: Style, i: int, n: int, r: np.random.Generator) -> float:
    if i < len(st.anchor_bpms):
        return float(st.anchor_bpms[i])
    lo, hi = st.bpm_range
    slots = max(1, n - len(st.anchor_bpms))
    return float(round(lo + (hi - lo) * (i - len(st.anchor_bpms) + r.uniform()) / slots))


def _spec(st: Style, i: int, n: int, counter: int, kit: str, seconds: float,
          seed: int) -> ClipSpec:
    r = np.random.default_rng(seed)
    bpm = _bpm(st, i, n, r)
    total = max(2, round(seconds / (st.beats_per_bar * 60.0 / bpm)))
    full = counter % 2 == 1
    intro = int(r.integers(1, 3)) if full and counter % 4 == 1 and total > 4 else 0
    bars = total - intro
    change = None
    if counter % 5 == 4 and bars >= 4:
        factor = 1.0 + float(r.choice([-1, 1])) * r.uniform(0.03, 0.05)
        change = (bars // 2, float(round(bpm * factor)))
    swung = st.swing_unit is not None and (counter // 2) % 2 == 1
    return ClipSpec(
        style=st.name, bpm=bpm, bars=bars, kit=kit, seed=seed,
        mix="full" if full else "drums",
        drum_to_rest_db=_DRUM_TO_REST[(counter // 2) % len(_DRUM_TO_REST)],
        humanize_ms=round(r.uniform(2.0, 10.0), 1) if counter % 3 == 2 else 0.0,
        velocity_jitter=round(r.uniform(0.0, 8.0), 1),
        swing=round(r.uniform(*st.swing_range), 2) if swung else 1.0,
        tempo_change=change,
        pitch_semitones=float(r.choice([-2, -1, 1, 2])) if counter % 3 == 1 else 0.0,
        augment=(counter // 4) % 2 == 1, intro_bars=intro,
        lead_in=round(r.uniform(0.0, 0.5), 3))


def development_set(split: str = "dev", *, seed: int = 0, clips_per_style: int = 4,
                    seconds: float = 20.0,
                    kits: Mapping[str, Kit] | Sequence[str] | None = None) -> list[ClipSpec]:
    """A deterministic list of clip specs over every style (see the module docstring).

    Parameters
    ----------
    split : str
        ``"train"``, ``"dev"`` (train kits, other seeds) or ``"unseen"`` (held-out kits).
    seed : int
        Varies every random choice; the same arguments give the same list.
    clips_per_style : int
        Clips per style (≥ 1).
    seconds : float
        Approximate length of each clip in seconds (whole bars, intro included).
    kits : mapping or sequence of kit names, optional
        Kits to draw from (only those of the split are used); default: every kit of the split
        available on this machine.

    Raises
    ------
    InvalidParameter
        Unknown split, ``clips_per_style`` < 1, ``seconds`` ≤ 0, or no kit of the split.
    """
    if split not in SPLITS:
        raise InvalidParameter(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    if clips_per_style < 1 or seconds <= 0:
        raise InvalidParameter("clips_per_style must be >= 1 and seconds > 0")
    pool = _kit_pool(split, kits)
    specs, counter = [], 0
    offset = zlib.crc32(f"{split}/{seed}".encode())
    for st in STYLES.values():
        for i in range(clips_per_style):
            clip_seed = zlib.crc32(f"{split}/{seed}/{st.name}/{i}".encode()) & 0x7FFFFFFF
            kit = pool[(counter + offset) % len(pool)]
            specs.append(_spec(st, i, clips_per_style, counter, kit, seconds, clip_seed))
            counter += 1
    return specs


def iter_clips(specs: Iterable[ClipSpec], kits: Mapping[str, Kit] | None = None, *,
               cache_dir: Path | None = None, progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> Iterator[Clip]:
    """Render ``specs`` one by one. Kits missing from ``kits`` are loaded once and kept for
    the rest of the iteration (``cache_dir``: SoundFont kit cache).

    Raises
    ------
    Cancelled
        ``cancel`` was set (checked before each clip).
    InvalidParameter
        A spec names a kit that is not installed.
    """
    specs = list(specs)
    loaded: dict[str, Kit] = dict(kits or {})
    for k, spec in enumerate(specs):
        check_cancel(cancel)
        if spec.kit not in loaded:
            loaded[spec.kit] = load_kit(spec.kit, cache_dir)
        clip = render_clip(spec, loaded)
        report(progress, (k + 1) / len(specs), spec.name)
        yield clip
