"""Each folder of ``tests/invalid_sites`` is a broken site; its ``expected.txt`` is exactly what
the command line prints for it (regenerate by hand after reading the new text)."""

import io
from pathlib import Path

import pytest

from portal.cli import main

CASES = sorted(p for p in (Path(__file__).parent / "invalid_sites").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_site_reports_every_error(case, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = main(["build", "--site", str(case), "--output", str(tmp_path / "out"), "--now",
                 "2024-01-01"], stdout=out, stderr=err)
    assert code == 1
    assert out.getvalue() == ""
    assert err.getvalue() == (case / "expected.txt").read_text(encoding="utf-8")
    assert not (tmp_path / "out").exists()
