"""Track → best loop → quantized drum MIDI (and the same loop as audio): one call.

The CLI's ``loop2midi`` and the window's Export MIDI dialog both run :func:`loop_to_midi`:
analyse the track (cached), rank its loops (:mod:`core.analysis.loops`), take the chosen rank,
quantize the drum hits inside it (:mod:`core.midi.quantize`) and write a MIDI file that is
exactly ``bars`` bars long with the loop's own tempo, so the clip and the audio loop line up in
a DAW. Every output is checked before anything is written: an existing file is never replaced
unless ``overwrite`` is set, and no partial set of outputs is left behind by that check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from core.analysis.loops import LOOP_BARS, LoopCandidate, find_loops
from core.cache import ResultCache
from core.errors import CoreError, InvalidParameter, OutputExists
from core.jobs import CancelToken, ProgressCallback, StagedProgress, report
from core.midi.drum_maps import drum_map
from core.midi.export import write_drum_midi
from core.midi.quantize import (
    QuantizedNote,
    QuantizeOptions,
    choose_grid,
    loop_span,
    quantize_hits,
)
from core.results import TimeSignature, TrackAnalysis


class EmptyLoop(CoreError):
    """The chosen loop holds no drum hits, so there is no MIDI to write."""


@dataclass(frozen=True)
class LoopMidiOptions:
    """What :func:`loop_to_midi` exports.

    ``bars`` (one of :data:`LOOP_BARS`), ``rank`` (1 = best candidate), ``quantize`` (grid,
    strength, swing mode; with ``swing="keep"`` the track's measured swing is used),
    ``drum_map`` (preset name or map file), ``source`` (``"mix"``, or ``"drums"`` to take hits
    and loop features from ``drum_stem``), ``midi_out`` and ``audio_out`` (``None``: no audio
    loop), ``stems`` (stem name → stem file, cut to ``<audio_out stem>.<name>.wav`` too),
    ``note_length`` and ``overwrite``.
    """

    bars: int = 4
    rank: int = 1
    quantize: QuantizeOptions = field(default_factory=QuantizeOptions)
    drum_map: str = "gm"
    source: Literal["mix", "drums"] = "mix"
    drum_stem: str | None = None
    midi_out: str | None = None
    audio_out: str | None = None
    stems: Mapping[str, str] = field(default_factory=dict)
    note_length: Literal["fixed", "to_next"] = "fixed"
    overwrite: bool = False
    auto_grid: bool = False

    def __post_init__(self) -> None:
        if self.bars not in LOOP_BARS:
            raise InvalidParameter(f"bars must be one of {', '.join(map(str, LOOP_BARS))}, "
                                   f"got {self.bars}")
        if self.rank < 1:
            raise InvalidParameter(f"rank must be 1 or more, got {self.rank}")
        if self.source not in ("mix", "drums"):
            raise InvalidParameter(f"source must be mix or drums, got {self.source!r}")
        if self.source == "drums" and not self.drum_stem:
            raise InvalidParameter("source 'drums' needs a drum stem file (--drum-stem), "
                                   "or separate the track first")
        drum_map(self.drum_map)  # raises on an unknown preset or a bad map file


@dataclass(frozen=True)
class LoopMidiResult:
    """What :func:`loop_to_midi` did: the ``analysis``, every ranked ``candidates`` (best
    first), the ``chosen`` one, its ``notes`` (positions in quarter notes from the loop start),
    the MIDI tempo ``bpm`` (quarter notes per minute, so the clip lasts exactly as long as the
    audio loop), the ``time_signature``, the ``written`` files (MIDI first) and the
    ``quantize`` options used (the grid :func:`choose_grid` picked with ``auto_grid``)."""

    analysis: TrackAnalysis
    candidates: tuple[LoopCandidate, ...]
    chosen: LoopCandidate
    notes: tuple[QuantizedNote, ...]
    bpm: float
    time_signature: TimeSignature
    written: tuple[Path, ...] = ()
    quantize: QuantizeOptions = field(default_factory=QuantizeOptions)


def loop_notes(analysis: TrackAnalysis, loop: LoopCandidate, options: QuantizeOptions, *,
               auto_grid: bool = False
               ) -> tuple[list[QuantizedNote], float, TimeSignature, QuantizeOptions]:
    """Quantized notes of ``loop`` (in quarter notes), the MIDI tempo, the meter and the
    quantize options used (``auto_grid`` replaces the grid by :func:`choose_grid`'s).

    The grid's beats become quarter notes through the time signature (a 6/8 dotted-quarter
    beat is 1.5 quarter notes); the tempo makes ``loop.bars`` bars last ``end − start``.
    """
    if auto_grid:
        options = replace(options, grid=choose_grid(analysis.drum_hits, analysis.beats,
                                                    loop.start, loop.end))
    if options.swing == "keep" and analysis.groove is not None:
        options = replace(options, swing_8th=analysis.groove.swing_8th,
                          swing_16th=analysis.groove.swing_16th)
    notes = quantize_hits(analysis.drum_hits, analysis.beats, loop.start, loop.end, options)
    meter = analysis.time_signature or TimeSignature(4, 4)
    _, length_beats = loop_span(analysis.beats, loop.start, loop.end)
    quarters_per_bar = 4.0 * meter.numerator / meter.denominator
    scale = quarters_per_bar * loop.bars / length_beats
    scaled = [replace(n, beat=n.beat * scale, original_beat=n.original_beat * scale)
              for n in notes]
    bpm = loop.bars * quarters_per_bar * 60.0 / (loop.end - loop.start)
    return scaled, bpm, meter, options


def _track_name(path: Path, loop: LoopCandidate) -> str:
    """The MIDI track name: ASCII (MIDI text is Latin-1), e.g. ``kick drums bars 5-8``."""
    stem = path.stem.encode("ascii", "replace").decode("ascii")
    return f"{stem} drums bars {loop.first_bar + 1}-{loop.first_bar + loop.bars}"


def _targets(path: Path, options: LoopMidiOptions) -> tuple[Path, Path | None, dict[str, Path]]:
    midi = Path(options.midi_out) if options.midi_out else path.with_suffix(".loop.mid")
    audio = Path(options.audio_out) if options.audio_out else None
    stems = {}
    if audio is not None:
        stems = {name: audio.with_name(f"{audio.stem}.{name}{audio.suffix or '.wav'}")
                 for name in options.stems}
    return midi, audio, stems


def _cut_audio(path: Path, loop: LoopCandidate, audio_path: Path, opts: LoopMidiOptions,
               stem_paths: Mapping[str, Path]) -> list[Path]:
    """Cut the loop from the mix and every stem; removes what it wrote if one cut fails."""
    from core.audio.loop_cut import cut_loop

    written: list[Path] = []
    try:
        written.append(cut_loop(path, loop.start, loop.end, audio_path, overwrite=opts.overwrite))
        for name, stem_file in opts.stems.items():
            written.append(cut_loop(stem_file, loop.start, loop.end, stem_paths[name],
                                    overwrite=opts.overwrite))
    except BaseException:
        for done in written:
            done.unlink(missing_ok=True)
        raise
    return written


def loop_to_midi(path: str | Path, options: LoopMidiOptions | None = None, *,
                 analysis: TrackAnalysis | None = None, cache: ResultCache | None = None,
                 progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None) -> LoopMidiResult:
    """Find the loop of ``options.rank`` in the track at ``path`` and export it.

    ``analysis`` skips the analysis step (the window passes the one it shows). Raises
    :class:`core.analysis.loops.NoBeatGrid` on a track without a grid,
    :class:`InvalidParameter` when the loop is longer than the track or the rank does not
    exist, :class:`EmptyLoop` when the loop has no drum hits, :class:`OutputExists` when an
    output exists and ``overwrite`` is off (nothing is written then).
    """
    from core.analysis.pipeline import analyze_file

    opts = options or LoopMidiOptions()
    path = Path(path)
    midi_path, audio_path, stem_paths = _targets(path, opts)
    outputs = [midi_path, *([audio_path] if audio_path else []), *stem_paths.values()]
    if not opts.overwrite:
        for target in outputs:
            if target.exists():
                raise OutputExists(target)
    stages = StagedProgress(progress, {"analysis": 0.7 if analysis is None else 1e-6,
                                       "loops": 0.25, "export": 0.05})
    if analysis is None:
        stem = opts.drum_stem if opts.source == "drums" else None
        analysis = analyze_file(path, cache=cache, drum_stem=stem,
                                progress=stages.begin("analysis"), cancel=cancel)
    candidates = find_loops(path, analysis, bars=opts.bars, top=max(opts.rank, 10),
                            drum_stem=opts.drum_stem if opts.source == "drums" else None,
                            progress=stages.begin("loops"), cancel=cancel)
    if opts.rank > len(candidates):
        raise InvalidParameter(f"{path}: only {len(candidates)} candidate {opts.bars}-bar loops; "
                               f"rank {opts.rank} does not exist")
    chosen = candidates[opts.rank - 1]
    notes, bpm, meter, used = loop_notes(analysis, chosen, opts.quantize,
                                         auto_grid=opts.auto_grid)
    if not notes:
        raise EmptyLoop(f"{path}: no drum hits in the loop {chosen.start:.2f}–{chosen.end:.2f} s "
                        f"(bars {chosen.first_bar + 1}–{chosen.first_bar + chosen.bars}); "
                        "nothing to write as MIDI")
    export_progress = stages.begin("export")
    report(export_progress, 0.0, "writing MIDI")
    written = [write_drum_midi(midi_path, notes, bpm=bpm, bars=chosen.bars,
                               beats_per_bar=meter.numerator, denominator=meter.denominator,
                               drum_map=drum_map(opts.drum_map),
                               track_name=_track_name(path, chosen),
                               note_length=opts.note_length, overwrite=opts.overwrite)]
    if audio_path is not None:
        report(export_progress, 0.5, "cutting audio")
        try:
            written += _cut_audio(path, chosen, audio_path, opts, stem_paths)
        except BaseException:
            for done in written:  # files this call created; nothing else is touched
                done.unlink(missing_ok=True)
            raise
    stages.done()
    return LoopMidiResult(analysis, tuple(candidates), chosen, tuple(notes), bpm, meter,
                          tuple(written), used)
