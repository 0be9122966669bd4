"""Suite-wide settings: the result cache is off in tests, Qt renders offscreen, and Breakroom's
data folder (separated stems) is a fresh temporary folder, never the user's."""

import os
import tempfile

os.environ["BREAKROOM_CACHE__ENABLED"] = "false"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="breakroom-test-data-")
