"""Suite-wide settings: the result cache is off in tests, Qt renders offscreen, and Breakroom's
data folder (separated stems) is a fresh temporary folder, never the user's. Each test process
compiles numba's functions (librosa, used by test helpers) into its own cache folder: two xdist
workers writing and loading one shared cache at once crashed a worker (numba issue 4807).
Both folders are removed when the process exits."""

import atexit
import os
import shutil
import tempfile


def _temporary_folder(prefix: str) -> str:
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


os.environ["BREAKROOM_CACHE__ENABLED"] = "false"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["XDG_DATA_HOME"] = _temporary_folder("breakroom-test-data-")
os.environ["NUMBA_CACHE_DIR"] = _temporary_folder("breakroom-test-numba-")
