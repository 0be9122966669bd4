import io

from core.cli.progress_display import ProgressDisplay, bar


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_shape():
    assert bar(0.0, 10) == "[..........]"
    assert bar(0.5, 10) == "[#####.....]"
    assert bar(7.0, 10) == "[##########]"


def test_terminal_shows_per_file_and_overall_bars_then_clears_them():
    term = FakeTerminal()
    display = ProgressDisplay(term, total=2)
    display.update("a.wav", 0.5, "decoding")
    text = term.getvalue()
    assert "overall (0/2 files)" in text and "decoding" in text and "a.wav" in text
    assert " 25%" in text  # overall = (0 done + 0.5) / 2
    display.finish("a.wav", "a.wav: ok")
    assert "[1/2] a.wav: ok" in term.getvalue()
    display.close()
    assert term.getvalue().endswith("\x1b[1A\x1b[2K")  # the live bar line was erased


def test_pipe_gets_one_plain_line_per_file_and_no_escape_codes():
    pipe = io.StringIO()
    display = ProgressDisplay(pipe, total=1)
    display.update("a.wav", 0.3, "decoding")
    display.finish("a.wav", "a.wav: ok")
    display.close()
    assert pipe.getvalue() == "[1/1] a.wav: ok\n"


def test_disabled_display_prints_nothing():
    term = FakeTerminal()
    display = ProgressDisplay(term, total=1, enabled=False)
    display.update("a.wav", 0.3, "decoding")
    display.finish("a.wav", "a.wav: ok")
    display.close()
    assert term.getvalue() == ""
