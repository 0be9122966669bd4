import threading

import pytest

from core.errors import Cancelled, InvalidParameter
from core.jobs import CancelToken, StagedProgress, check_cancel, scaled, split_progress


def recorder():
    calls: list[tuple[float, str]] = []
    return calls, lambda f, s: calls.append((f, s))


def test_cancel_token_is_one_way_and_thread_safe():
    token = CancelToken()
    assert not token.cancelled
    check_cancel(token)  # no-op
    threading.Thread(target=token.cancel, args=("user pressed cancel",)).start()
    assert token.wait(5.0)
    token.cancel("second reason is ignored")
    with pytest.raises(Cancelled, match="user pressed cancel"):
        token.raise_if_cancelled()
    check_cancel(None)  # a missing token never cancels


def test_split_progress_covers_zero_to_one_in_proportion():
    calls, cb = recorder()
    first, second = split_progress(cb, [1, 3])
    first(0.0, "a")
    first(1.0, "a")
    second(0.5, "b")
    second(1.0, "b")
    assert [round(f, 6) for f, _ in calls] == [0.0, 0.25, 0.625, 1.0]


def test_scaled_clamps_and_prefixes():
    calls, cb = recorder()
    sub = scaled(cb, 0.5, 1.0, prefix="song.wav: ")
    sub(2.0, "decode")
    sub(-1.0, "decode")
    assert calls == [(1.0, "song.wav: decode"), (0.5, "song.wav: decode")]
    assert scaled(None, 0.0, 1.0) is None
    with pytest.raises(InvalidParameter):
        scaled(cb, 0.8, 0.2)


def test_staged_progress_is_monotonic_and_ends_at_one():
    calls, cb = recorder()
    stages = StagedProgress(cb, {"hash": 1, "decode": 8, "tempo": 1})
    for name in ("hash", "decode", "tempo"):
        sub = stages.begin(name)
        for i in range(5):
            sub(i / 4, name)
    stages.done()
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions)
    assert calls[-1] == (1.0, "done")
    with pytest.raises(InvalidParameter, match="unknown stage"):
        stages.begin("nope")


@pytest.mark.parametrize("weights", [[], [1, 0], [-1]])
def test_split_progress_rejects_bad_weights(weights):
    with pytest.raises(InvalidParameter):
        split_progress(None, weights)
