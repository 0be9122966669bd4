"""Accuracy and speed of drum transcription on generated clips (reused by the benchmarks).

:func:`evaluate_drums` renders devset clip specs, transcribes each with the chosen backend and
scores onset F-measure (mir_eval matching, 50 ms window) per instrument group — 3 classes
(kick; snare+clap+rim; hi-hats) and 5 classes (+ toms; + ride/crash) — separately for
drums-only clips, full mixes and the drum stems of the full mixes. Hits of one group closer
than 30 ms count once (see :mod:`core.analysis.drum_model.metrics`).

>>> from core.devset import development_set
>>> table = evaluate_drums(development_set("unseen", clips_per_style=4), backend="model")
>>> table["drums"]["3"]["mean_f"], table["seconds_per_minute"]
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from core.analysis.drum_model.metrics import GROUPS_3, GROUPS_5, GroupScores
from core.analysis.drums import DrumOptions, DrumTranscriber

KINDS = ("drums", "full", "stem")
"""Clip kinds scored: drums-only clips, full mixes, and the drum stems of the full mixes."""


def evaluate_drums(specs: Iterable[Any], *, backend: str = "model",
                   options: DrumOptions | None = None, kits: Mapping[str, Any] | None = None,
                   include_stems: bool = True) -> dict[str, Any]:
    """Score drum transcription on the clips of ``specs`` (``core.devset.ClipSpec`` s).

    Parameters
    ----------
    specs
        Clip specs, e.g. ``development_set("unseen", clips_per_style=4)``.
    backend
        ``"model"`` or ``"classic"`` (ignored when ``options`` is given).
    options
        Full :class:`DrumOptions` (weights file, device, threshold scale).
    kits
        Pre-loaded kits by name (others are loaded on demand and kept).
    include_stems
        Also transcribe the isolated drum stem of every full mix.

    Returns
    -------
    dict
        ``{kind: {"3": summary, "5": summary, "clips": n, "minutes": m}}`` for each kind in
        :data:`KINDS` with clips, where a summary is
        :meth:`core.analysis.drum_model.metrics.GroupScores.summary` (per-class ``f``/``p``/
        ``r``, ``mean_f``, ``micro_f``); plus ``"seconds_per_minute"`` (transcription time per
        minute of audio, rendering excluded), ``"backend"``, ``"device"`` and
        ``"fallback_reason"``.
    """
    from core.devset import iter_clips

    options = options or DrumOptions(backend=backend)
    scores = {kind: (GroupScores(GROUPS_3), GroupScores(GROUPS_5)) for kind in KINDS}
    minutes = dict.fromkeys(KINDS, 0.0)
    clips = dict.fromkeys(KINDS, 0)
    model = None
    spent, audio_minutes = 0.0, 0.0
    info: dict[str, Any] = {}
    for clip in iter_clips(list(specs), dict(kits) if kits else None):
        sources = [(clip.truth.mix, clip.samples)]
        if include_stems and clip.truth.mix == "full" and clip.drums is not None:
            sources.append(("stem", clip.drums))
        for kind, samples in sources:
            start = time.perf_counter()
            transcriber = DrumTranscriber(clip.sample_rate, options=options, model=model)
            model = getattr(transcriber.stream, "_model", model)  # load the weights once
            step = 10 * clip.sample_rate
            for k in range(0, samples.shape[1], step):
                transcriber.feed(samples[:, k:k + step])
            result = transcriber.finish()
            spent += time.perf_counter() - start
            audio_minutes += clip.duration / 60.0
            for group_scores in scores[kind]:
                group_scores.add(clip.truth.hits, result.hits)
            minutes[kind] += clip.duration / 60.0
            clips[kind] += 1
            info = {"backend": result.backend, "version": result.version,
                    "device": result.device, "fallback_reason": result.fallback_reason}
    table: dict[str, Any] = {
        kind: {"3": scores[kind][0].summary(), "5": scores[kind][1].summary(),
               "clips": clips[kind], "minutes": round(minutes[kind], 2)}
        for kind in KINDS if clips[kind]}
    table["seconds_per_minute"] = spent / audio_minutes if audio_minutes else 0.0
    table.update(info)
    return table


def format_table(tables: Mapping[str, Mapping[str, Any]]) -> str:
    """Plain-text table: one row per (name, kind), mean F of 3 and 5 classes and per class."""
    lines = [f"{'run':<24}{'kind':<7}{'clips':>6}{'F3':>7}{'F5':>7}  "
             "kick  snare hihat  tom   cymbal  s/min"]
    for name, table in tables.items():
        for kind in KINDS:
            if kind not in table:
                continue
            row = table[kind]
            per = row["5"]["classes"]
            cells = "".join(f"{per[g]['f']:6.3f}" for g in ("kick", "snare", "hihat", "tom",
                                                          "cymbal"))
            lines.append(f"{name:<24}{kind:<7}{row['clips']:>6}{row['3']['mean_f']:7.3f}"
                         f"{row['5']['mean_f']:7.3f}  {cells} {table['seconds_per_minute']:6.3f}")
    return "\n".join(lines)
