"""Suite-wide settings: the result cache is off in tests, and Qt renders offscreen."""

import os

os.environ["BREAKROOM_CACHE__ENABLED"] = "false"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
