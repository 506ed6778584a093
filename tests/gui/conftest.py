"""GUI tests run real Qt widgets on the offscreen platform unless a platform is chosen already."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
