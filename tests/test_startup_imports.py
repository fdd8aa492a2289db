"""Start-up loads only what its path needs (issue 16, "Start in under a second").

Each check runs a fresh interpreter and lists the heavy modules it loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("httpx", "PIL", "term_image", "pydantic", "sqlite3", "apprise", "textual", "alarmtui.engine.poller")


def loaded_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO, timeout=60)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_dashboard_module_loads_no_http_no_imaging_no_settings_models() -> None:
    # The poller and providers (httpx) come with an in-process engine; Pillow and term-image with the first photo.
    assert loaded_after("import alarmtui.ui.app") == {"textual"}


def test_the_command_line_loads_nothing_heavy_for_version_or_help() -> None:
    assert loaded_after("import alarmtui.cli") == set()
    code = "import contextlib, io\nfrom alarmtui.cli import main\nwith contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n    main(['--version'])"
    assert loaded_after(code) == set()


def test_a_photo_still_decodes_with_pillow_loaded_on_first_use() -> None:
    code = (
        "import io\nfrom alarmtui import imaging\nassert 'PIL' not in sys.modules\n"
        "from PIL import Image\nbuf = io.BytesIO()\nImage.new('RGB', (8, 8), 'red').save(buf, 'PNG')\n"
        "assert imaging.decode(buf.getvalue()).size == (8, 8)\nassert imaging.halfblock_ansi(buf.getvalue(), 4, 2)"
    )
    assert {"PIL", "term_image"} <= loaded_after(code)
