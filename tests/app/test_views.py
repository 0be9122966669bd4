"""The track views (app.views): shared time axis, waveform, spectrogram, drum timeline, loop."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.views import LoopRegionModel, TimeAxis, TrackViews
from app.views.base import TimeView, format_time
from app.views.drum_timeline_view import hit_tooltip
from app.views.style import HIT_HIGH, HIT_LOW
from app.views.time_axis import MIN_SPAN_S
from app.views.track_views import BUSY_TEXT, EMPTY_TEXT, NO_HITS_TEXT
from benchmarks.generated_audio import write_music
from core.analysis.spectrogram import SpectrogramImage, spectrogram_image
from core.audio.peaks import PeakPyramid
from core.results import DrumHit, FileInfo, Loop, TrackAnalysis

DURATION = 20.0
LOOP = Loop(4.0, 8.0, 2)


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def music_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 s of generated music (stereo 44.1 kHz)."""
    return write_music(tmp_path_factory.mktemp("views") / "music.wav", DURATION / 60.0)


@pytest.fixture(scope="module")
def pyramid(music_wav: Path) -> PeakPyramid:
    return PeakPyramid.from_file(music_wav)


@pytest.fixture(scope="module")
def image(music_wav: Path) -> SpectrogramImage:
    return spectrogram_image(music_wav, max_columns=2000)


def make_hits() -> tuple[DrumHit, ...]:
    """Kick on every downbeat, snare on beats 2 and 4, closed hats on every 8th."""
    hits = []
    for k in range(10):
        bar = 2.0 * k
        hits.append(DrumHit(bar, "kick", 110, 0.95))
        hits.append(DrumHit(bar + 0.5, "snare", 90, 0.8))
        hits.append(DrumHit(bar + 1.5, "snare", 70, 0.4))
    hits.extend(DrumHit(0.25 * k, "hihat_closed", 1 + (k * 7) % 127, 0.6) for k in range(80))
    return tuple(hits)


def make_analysis(path: Path, *, loop: Loop | None = LOOP,
                  hits: tuple[DrumHit, ...] | None = None) -> TrackAnalysis:
    """Beats every 0.5 s, downbeats every 2 s, some drum hits."""
    return TrackAnalysis(
        file=FileInfo(str(path), 1, None, "WAV", 2, 44100, DURATION),
        duration=DURATION, sample_rate=44100,
        beats=tuple(0.5 * k for k in range(40)),
        downbeats=tuple(2.0 * k for k in range(10)),
        drum_hits=make_hits() if hits is None else hits,
        loop=loop)


@pytest.fixture
def views(qtbot: QtBot) -> TrackViews:
    widget = TrackViews()
    qtbot.addWidget(widget)
    widget.resize(1200, 720)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def loaded(views: TrackViews, qtbot: QtBot, music_wav: Path, pyramid: PeakPyramid,
           image: SpectrogramImage) -> TrackViews:
    views.set_peaks(pyramid)
    views.set_spectrogram(image)
    views.set_analysis(make_analysis(music_wav))
    QApplication.processEvents()
    return views


# -- helpers ----------------------------------------------------------------------------------


def x_ranges(views: TrackViews) -> list[tuple[float, float]]:
    return [tuple(view.view_box.viewRange()[0])  # type: ignore[misc]
            for view in (views.waveform, views.spectrogram, views.drums)]


def assert_all_show(views: TrackViews, start: float, end: float) -> None:
    assert views.time_axis.range == pytest.approx((start, end))
    for got in x_ranges(views):
        assert got == pytest.approx((start, end), abs=1e-6)


def viewport_pos(view: TimeView, seconds: float, y: float) -> QPoint:
    """Pixel of data point (seconds, y) of ``view``'s main plot, in viewport coordinates."""
    scene = view.view_box.mapViewToScene(QPointF(seconds, y))
    return view.mapFromScene(scene)


def send_mouse(widget: QWidget, kind: QEvent.Type, pos: QPoint,
               buttons: Qt.MouseButton = Qt.MouseButton.LeftButton,
               modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else \
        Qt.MouseButton.LeftButton
    local = QPointF(pos)
    event = QMouseEvent(kind, local, QPointF(widget.mapToGlobal(pos)), button, buttons,
                        modifiers)
    QApplication.sendEvent(widget, event)


def drag(qtbot: QtBot, view: TimeView, from_pos: QPoint, to_pos: QPoint, *,
         modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
         steps: int = 6) -> None:
    """Press, move in steps and release the left button on ``view``'s viewport."""
    viewport = view.viewport()
    send_mouse(viewport, QEvent.Type.MouseButtonPress, from_pos, modifiers=modifiers)
    for k in range(1, steps + 1):
        qtbot.wait(15)  # pyqtgraph drops mouse moves closer than 10 ms
        pos = from_pos + (to_pos - from_pos) * (k / steps)
        send_mouse(viewport, QEvent.Type.MouseMove, pos, modifiers=modifiers)
    qtbot.wait(15)
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, to_pos,
               buttons=Qt.MouseButton.NoButton, modifiers=modifiers)


def click(view: TimeView, pos: QPoint) -> None:
    viewport = view.viewport()
    send_mouse(viewport, QEvent.Type.MouseButtonPress, pos)
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, pos, buttons=Qt.MouseButton.NoButton)


# -- time axis and loop model (no widgets) ----------------------------------------------------


def test_time_axis_clamps_and_zooms_around_anchor() -> None:
    axis = TimeAxis()
    seen: list[tuple[float, float]] = []
    axis.rangeChanged.connect(lambda a, b: seen.append((a, b)))
    axis.set_duration(100.0)
    assert axis.range == (0.0, 100.0) and axis.is_full()
    axis.zoom(4.0, anchor_s=50.0)
    assert axis.range == pytest.approx((37.5, 62.5))
    axis.zoom(2.0, anchor_s=40.0)  # the anchor stays at the same place on screen
    assert (40.0 - axis.start) / axis.span == pytest.approx((40.0 - 37.5) / 25.0)
    axis.pan(1000.0)
    assert axis.end == pytest.approx(100.0) and axis.span == pytest.approx(12.5)
    axis.set_range(-5.0, 3.0)
    assert axis.range == pytest.approx((0.0, 8.0))
    axis.zoom(1e9)
    assert axis.span == pytest.approx(MIN_SPAN_S)
    axis.zoom(1e-9)
    assert axis.range == pytest.approx((0.0, 100.0))
    axis.set_range(10.0, 10.0)  # widened to the minimum span around the point
    assert axis.span == pytest.approx(MIN_SPAN_S) and axis.start < 10.0 < axis.end
    axis.fit()
    assert axis.is_full()
    assert seen[-1] == pytest.approx((0.0, 100.0))
    axis.set_duration(0.0)
    assert axis.duration == 0.0 and axis.playhead is None


def test_time_axis_follows_the_playhead() -> None:
    axis = TimeAxis()
    axis.set_duration(60.0)
    axis.set_range(0.0, 10.0)
    axis.set_follow(True)
    axis.set_playhead(5.0)
    assert axis.range == pytest.approx((0.0, 10.0))  # in view: no jump
    axis.set_playhead(9.95)  # reaching the right edge turns the page
    assert axis.start < 9.95 < axis.end and axis.span == pytest.approx(10.0)
    axis.set_playhead(40.0)  # a seek far away
    assert axis.start <= 40.0 <= axis.end
    axis.zoom_in()  # zooms around the playhead
    assert axis.start <= 40.0 <= axis.end and axis.span == pytest.approx(5.0)
    axis.pan(-30.0)  # the user looks elsewhere: following stops
    assert not axis.follow
    axis.set_playhead(45.0)
    assert not axis.start <= 45.0 <= axis.end


def test_loop_model_snaps_to_bars() -> None:
    model = LoopRegionModel()
    model.set_grid([0.0, 2.0, 4.0, 6.0, 8.0], duration=13.0)
    # Bar lines continue past the last downbeat at the last bar's length.
    assert list(model.grid) == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]
    seen: list[tuple[float, float, int]] = []
    model.loopChanged.connect(lambda a, b, n: seen.append((a, b, n)))
    model.set_loop(2.7, 9.2)
    assert model.loop == (2.0, 10.0, 4) and seen == [(2.0, 10.0, 4)]
    model.set_loop(2.2, 9.9)  # snaps to the same loop: no signal
    assert len(seen) == 1
    model.set_loop(5.0, 5.1)  # at least one bar
    assert model.loop == (4.0, 6.0, 1)
    model.set_loop(12.5, 30.0)
    assert model.loop == (10.0, 12.0, 1)
    cleared: list[bool] = []
    model.loopCleared.connect(lambda: cleared.append(True))
    model.clear_loop()
    assert model.loop is None and cleared == [True]
    model.set_grid([], duration=10.0)  # no grid: clamped, not snapped, 0 bars
    model.set_loop(1.234, 20.0)
    assert model.loop == (1.234, 10.0, 0)


def test_format_time() -> None:
    assert format_time(83.0) == "1:23"
    assert format_time(83.25, 0.01) == "1:23.25"
    assert format_time(3723.0) == "1:02:03"
    assert format_time(0.5, 0.1) == "0:00.5"


# -- the widget -------------------------------------------------------------------------------


def test_empty_and_busy_states(views: TrackViews, pyramid: PeakPyramid) -> None:
    assert views.stack.currentWidget() is views.empty_label
    assert views.empty_label.text() == EMPTY_TEXT
    assert not views.zoom_in_action.isEnabled()
    views.set_busy(True)
    assert views.stack.currentIndex() == 1
    for view in (views.waveform, views.spectrogram, views.drums):
        assert view.placeholder_text == BUSY_TEXT
    views.set_peaks(pyramid)
    assert views.waveform.placeholder_text is None
    assert views.spectrogram.placeholder_text == BUSY_TEXT
    views.set_busy(False)
    assert views.spectrogram.placeholder_text == "No spectrogram"
    assert views.zoom_in_action.isEnabled()


def test_items_exist(loaded: TrackViews, music_wav: Path) -> None:
    views = loaded
    assert views.stack.currentIndex() == 1
    assert views.time_axis.duration == pytest.approx(DURATION)
    assert_all_show(views, 0.0, DURATION)
    # Waveform: one to two points per pixel of the detail plot.
    width = views.waveform.plot_width()
    assert 0.9 * width <= views.waveform.wave.point_count <= 2 * width + 8
    assert views.waveform.overview_wave.point_count > 0
    # Bar numbers: 10 bars of 2 s on ~1000 px, each numbered.
    labels = views.waveform.grid.visible_labels()
    assert labels == [str(k) for k in range(1, 11)]
    # Beat and bar lines (pairs of points per line).
    assert views.waveform.grid.beat_curve.getData()[0].size == 2 * 40
    assert views.waveform.grid.bar_curve.getData()[0].size == 2 * 10
    # Spectrogram: the image and its levels.
    assert views.spectrogram.image_item.image.shape == (256, views.spectrogram.image.columns)
    assert views.spectrogram.color_bar.opacity() == 1.0
    tick_labels = [label for level in views.spectrogram.left_axis._tickLevels
                   for _, label in level]
    assert "1 kHz" in tick_labels and "100 Hz" in tick_labels
    # Drum lanes for the instruments present only, in vocabulary order; every hit drawn.
    assert views.drums.lanes == ("kick", "snare", "hihat_closed")
    lane_names = [label for _, label in views.drums.left_axis._tickLevels[0]]
    assert lane_names == ["Kick", "Snare", "Hi-hat closed"]
    assert views.drums.hit_count() == len(make_hits())
    # The loop from the analysis on every view, and in the toolbar.
    for view in (views.waveform, views.spectrogram, views.drums):
        assert view.loop_item.isVisible()
        assert view.loop_item.getRegion() == pytest.approx((4.0, 8.0))
    assert "2 bars" in views.loop_label.text()


def test_views_line_up(loaded: TrackViews) -> None:
    """One second is at the same screen x on every view."""
    views = loaded
    for seconds in (0.0, 7.5, DURATION):
        xs = [view.mapToGlobal(QPoint(round(view.time_to_widget_x(seconds)), 0)).x()
              for view in (views.waveform, views.spectrogram, views.drums)]
        assert max(xs) - min(xs) <= 1, xs


def test_zoom_pan_fit_change_every_view(loaded: TrackViews, qtbot: QtBot) -> None:
    views = loaded
    axis = views.time_axis
    axis.zoom(4.0, anchor_s=10.0)
    assert_all_show(views, 7.5, 12.5)
    axis.pan(2.0)
    assert_all_show(views, 9.5, 14.5)
    labels = views.waveform.grid.visible_labels()
    assert labels == ["6", "7", "8"]  # bars at 10, 12 and 14 s
    views.zoom_out_action.trigger()
    assert axis.span == pytest.approx(10.0)
    views.fit_action.trigger()
    assert_all_show(views, 0.0, DURATION)
    views.zoom_in_action.trigger()
    assert_all_show(views, 5.0, 15.0)
    views.fit_action.trigger()


def test_keyboard_shortcuts(loaded: TrackViews, qtbot: QtBot) -> None:
    views = loaded
    views.activateWindow()
    views.setFocus()
    qtbot.waitUntil(views.hasFocus)
    qtbot.keyClick(views, Qt.Key.Key_Plus)
    assert views.time_axis.span == pytest.approx(DURATION / 2)
    qtbot.keyClick(views, Qt.Key.Key_Minus)
    assert views.time_axis.is_full()
    qtbot.keyClick(views, Qt.Key.Key_Equal)
    qtbot.keyClick(views, Qt.Key.Key_0)
    assert views.time_axis.is_full()
    qtbot.keyClick(views, Qt.Key.Key_F)
    assert views.time_axis.follow and views.follow_action.isChecked()


def test_wheel_zooms_around_the_pointer(loaded: TrackViews) -> None:
    views = loaded
    view = views.waveform
    pos = viewport_pos(view, 15.0, 0.0)
    event = QWheelEvent(QPointF(pos), QPointF(view.viewport().mapToGlobal(pos)), QPoint(0, 0),
                        QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)
    axis = views.time_axis
    assert axis.span == pytest.approx(DURATION / 1.25)
    assert (15.0 - axis.start) / axis.span == pytest.approx(0.75, abs=0.01)
    assert_all_show(views, axis.start, axis.end)


def test_drag_pans_and_overview_follows(loaded: TrackViews, qtbot: QtBot) -> None:
    views = loaded
    axis = views.time_axis
    axis.set_range(10.0, 14.0)
    view = views.drums  # no loop body here to grab
    drag(qtbot, view, viewport_pos(view, 13.0, 0.2), viewport_pos(view, 11.0, 0.2))
    assert axis.span == pytest.approx(4.0)
    assert axis.start == pytest.approx(12.0, abs=0.05)
    assert views.waveform.visible_range.getRegion() == pytest.approx(axis.range)
    # Dragging the overview's rectangle pans every view.
    overview = views.waveform
    box = overview.overview_box
    start = overview.mapFromScene(box.mapViewToScene(QPointF(14.0, 0.0)))
    end = overview.mapFromScene(box.mapViewToScene(QPointF(6.0, 0.0)))
    drag(qtbot, overview, start, end)
    assert axis.span == pytest.approx(4.0)
    assert axis.start == pytest.approx(4.0, abs=0.1)
    assert_all_show(views, axis.start, axis.end)


def test_loop_drag_snaps_to_bars(loaded: TrackViews, qtbot: QtBot) -> None:
    views = loaded
    view = views.waveform
    seen: list[tuple[float, float, int]] = []
    views.loopChanged.connect(lambda a, b, n: seen.append((a, b, n)))
    # Drag the loop body (4–8 s) right by 2.9 s: it lands on the bars at 6 and 10 s.
    drag(qtbot, view, viewport_pos(view, 6.0, -0.5), viewport_pos(view, 8.9, -0.5))
    assert seen and seen[-1] == pytest.approx((6.0, 10.0, 2))
    for start, end, bars in seen:
        assert bars == round((end - start) / 2.0) and start % 2.0 == pytest.approx(0.0)
    for other in (views.waveform, views.spectrogram, views.drums):
        assert other.loop_item.getRegion() == pytest.approx((6.0, 10.0))
    # Drag the right edge from 10 s to 13.3 s: 4 bars.
    seen.clear()
    drag(qtbot, view, viewport_pos(view, 10.0, -0.5), viewport_pos(view, 13.3, -0.5))
    assert seen[-1] == pytest.approx((6.0, 14.0, 4))
    assert views.drums.loop_item.getRegion() == pytest.approx((6.0, 14.0))
    assert views.loop_model.loop == pytest.approx((6.0, 14.0, 4))


def test_shift_drag_draws_a_new_loop(loaded: TrackViews, qtbot: QtBot) -> None:
    views = loaded
    view = views.waveform
    seen: list[tuple[float, float, int]] = []
    views.loopChanged.connect(lambda a, b, n: seen.append((a, b, n)))
    drag(qtbot, view, viewport_pos(view, 12.3, 0.0), viewport_pos(view, 17.6, 0.0),
         modifiers=Qt.KeyboardModifier.ShiftModifier)
    assert seen[-1] == pytest.approx((12.0, 18.0, 3))
    assert views.time_axis.is_full()  # the Shift+drag did not pan


def test_clicking_a_hit_emits_hit_clicked(loaded: TrackViews, qtbot: QtBot) -> None:
    views = loaded
    views.time_axis.set_range(0.0, 4.0)
    hit = next(h for h in make_hits() if h.instrument == "snare" and h.time == 2.5)
    pos = views.drums.hit_widget_pos(hit)
    with qtbot.waitSignal(views.hitClicked) as blocker:
        click(views.drums, pos)
    assert blocker.args == [pytest.approx(2.5), "snare"]
    # A click on an empty spot of a lane plays nothing.
    misses: list[object] = []
    views.hitClicked.connect(lambda *a: misses.append(a))
    click(views.drums, views.drums.hit_widget_pos(hit) + QPoint(120, 0))
    assert not misses


def test_hover_shows_a_tooltip(loaded: TrackViews, qtbot: QtBot) -> None:
    views = loaded
    views.time_axis.set_range(0.0, 4.0)
    hit = next(h for h in make_hits() if h.instrument == "snare" and h.time == 1.5)
    pos = views.drums.hit_widget_pos(hit)
    send_mouse(views.drums.viewport(), QEvent.Type.MouseMove, pos + QPoint(1, 2),
               buttons=Qt.MouseButton.NoButton)
    assert views.drums.hovered == hit
    text = views.drums.view_box.toolTip()
    assert text == hit_tooltip(hit)
    assert "Snare at 0:01.500" in text and "velocity 70" in text and "confidence 40%" in text
    qtbot.wait(15)
    send_mouse(views.drums.viewport(), QEvent.Type.MouseMove, pos + QPoint(0, 200),
               buttons=Qt.MouseButton.NoButton)
    assert views.drums.hovered is None and views.drums.view_box.toolTip() == ""


def test_crowded_hits_drop_their_outlines(views: TrackViews, music_wav: Path) -> None:
    hats = tuple(DrumHit(0.05 * k, "hihat_closed", 64, 0.9) for k in range(400))
    views.set_analysis(make_analysis(music_wav, hits=hats))
    assert views.drums.crowded  # 400 hits on ~1000 px
    assert views.drums.crowded and not views.drums.blocks.outlines
    views.time_axis.set_range(5.0, 7.0)
    assert not views.drums.crowded
    assert views.drums.blocks.outlines and not views.drums.crowded


def test_clicking_the_waveform_seeks(loaded: TrackViews, qtbot: QtBot) -> None:
    views = loaded
    view = views.waveform
    with qtbot.waitSignal(views.seekRequested) as blocker:
        click(view, viewport_pos(view, 13.0, 0.0))
    per_pixel = DURATION / view.plot_width()
    assert blocker.args[0] == pytest.approx(13.0, abs=2 * per_pixel)


def test_playhead_on_every_view(loaded: TrackViews) -> None:
    views = loaded
    views.set_playhead(3.25)
    for view in (views.waveform, views.spectrogram, views.drums):
        assert view.playhead.isVisible() and view.playhead.value() == pytest.approx(3.25)
    assert views.waveform.overview_playhead.value() == pytest.approx(3.25)
    views.set_playhead(None)
    assert not views.drums.playhead.isVisible()


def test_no_hits_and_no_grid(views: TrackViews, music_wav: Path) -> None:
    analysis = make_analysis(music_wav, loop=None, hits=()).updated(beats=(), downbeats=())
    views.set_analysis(analysis)
    assert views.drums.lanes == () and views.drums.hit_count() == 0
    assert views.drums.placeholder_text == NO_HITS_TEXT
    assert views.waveform.grid.visible_labels() == []
    assert not views.waveform.loop_item.isVisible()


def test_clear_empties_everything(loaded: TrackViews) -> None:
    views = loaded
    views.set_playhead(2.0)
    views.clear()
    assert views.stack.currentWidget() is views.empty_label
    assert views.time_axis.duration == 0.0
    assert views.waveform.pyramid is None and views.waveform.wave.point_count == 0
    assert views.waveform.grid.visible_labels() == []
    assert views.spectrogram.image is None and views.spectrogram.image_item.image is None
    assert views.drums.lanes == () and views.drums.hit_count() == 0
    assert views.loop_model.loop is None and not views.drums.loop_item.isVisible()
    assert not views.waveform.playhead.isVisible()
    assert views.loop_label.text() == "" and views.range_label.text() == ""


def test_hit_blocks_are_drawn_shaded_by_velocity(views: TrackViews, music_wav: Path) -> None:
    loud, soft = DrumHit(1.0, "kick", 127, 1.0), DrumHit(3.0, "kick", 1, 1.0)
    views.set_analysis(make_analysis(music_wav, hits=(loud, soft)))
    views.time_axis.set_range(0.0, 4.0)
    QApplication.processEvents()
    image = views.drums.grab().toImage()
    ratio = image.devicePixelRatio()

    def colour_at(hit: DrumHit) -> QColor:
        pos = views.drums.hit_widget_pos(hit)
        return image.pixelColor(round(pos.x() * ratio), round(pos.y() * ratio))

    assert colour_at(loud).name() == HIT_HIGH.name()
    assert colour_at(soft).name() == HIT_LOW.name()
    # Between the blocks the lane background shows, not a hit colour.
    gap = views.drums.hit_widget_pos(loud) + QPoint(40, 0)
    background = image.pixelColor(round(gap.x() * ratio), round(gap.y() * ratio)).name()
    assert background not in (HIT_HIGH.name(), HIT_LOW.name())
