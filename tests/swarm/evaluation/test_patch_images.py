from __future__ import annotations

import pytest

from swarm.evaluation.errors import PatchApplyError
from swarm.evaluation.patch_images import images

PATCH = """\
diff --git a/pkg/a.py b/pkg/a.py
--- a/pkg/a.py
+++ b/pkg/a.py
@@ -1,2 +1,2 @@
 def f():
-    return 1
+    return 2
diff --git a/pkg/b.py b/pkg/b.py
new file mode 100644
--- /dev/null
+++ b/pkg/b.py
@@ -0,0 +1 @@
+X = 1
"""


def test_pre_and_post_images_come_from_git_apply() -> None:
    files = {"pkg/a.py": "def f():\n    return 1\n"}
    asked: list[str] = []

    def read(path: str) -> str | None:
        asked.append(path)
        return files.get(path)

    before, after = images(PATCH, read)
    assert asked == ["pkg/a.py"]  # a new file has no pre-image to read
    assert before == files
    assert after == {"pkg/a.py": "def f():\n    return 2\n", "pkg/b.py": "X = 1\n"}


def test_a_patch_that_does_not_fit_its_pre_image_is_refused() -> None:
    with pytest.raises(PatchApplyError, match="does not apply"):
        images(PATCH, {"pkg/a.py": "def f():\n    return 7\n"}.get)
