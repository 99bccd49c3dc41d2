"""The command line: exit codes, the error list, the one-line summary."""

import io
import re
import subprocess
import sys

import pytest
from conftest import REPO

from portal.cli import main


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_success_prints_one_summary_line_then_the_page_weight(site):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    code, out, err = run("build", "--site", str(site.root), "--now", "2024-01-01")
    assert code == 0
    assert err == ""
    assert re.fullmatch(r"Built 6 pages in \d+\.\d\d s: \d+ files written, 0 unchanged, "
                        r"0 removed, 0 warnings → \S+\n"
                        r"Page weight, first visit \(gzip, without content images\): "
                        r"home /: .+; article /tin-tuc/bai-a/: .+\.\n", out), out


def test_build_is_the_default_command(site):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    code, out, _ = run("--site", str(site.root), "--now", "2024-01-01", "--quiet")
    assert (code, out) == (0, "")
    assert (site.output / "index.html").is_file()


def test_content_errors_exit_1_and_list_every_error(site):
    site.article("a.md", "title: A\ndate: hôm qua\n")
    site.article("b.md", "date: 2023-01-01\n")
    code, out, err = run("build", "--site", str(site.root), "--now", "2024-01-01")
    assert code == 1
    assert out == ""
    assert err == (
        "content/articles/a.md:3: wrong value for 'date': expected a date like 2023-03-09, "
        "2023-03-09 08:30 or 09/03/2023, got 'hôm qua'\n"
        "content/articles/b.md:1: missing required front-matter key 'title': expected a "
        "non-empty text, got nothing\n"
        "Build failed: 2 errors, 0 warnings; the output folder was not changed.\n"
    )


def test_warnings_are_printed_on_success(site):
    site.article("nhap.md", "title: Nháp\ndate: 2023-03-01\ndraft: true\n")
    site.article("a.md", "title: A\ndate: 2023-03-02\n", "[x](nhap.md)\n")
    code, out, err = run("build", "--site", str(site.root), "--now", "2024-01-01")
    assert code == 0
    assert err == ("content/articles/a.md:6: warning: links to content/articles/nhap.md, which "
                   "is not published yet (draft)\n")
    assert ", 1 warning → " in out


def test_usage_errors_exit_2(site, tmp_path):
    code, _, err = run("build", "--site", str(site.root), "--now", "tomorrow")
    assert code == 2
    assert err.startswith("error: --now: expected a date like 2023-03-09, 2023-03-09 08:30 or "
                          "09/03/2023, got 'tomorrow'\n")
    code, _, err = run("build", "--bogus")
    assert code == 2
    assert err.startswith("error: unrecognized arguments: --bogus\n")
    code, _, err = run("publish")
    assert code == 2
    assert err.startswith("error: argument COMMAND: invalid choice: 'publish'")
    code, _, err = run("build", "--site", str(tmp_path / "nowhere"))
    assert code == 2
    assert err.startswith(f"error: {tmp_path / 'nowhere'}: no such site folder\n")


def test_entry_point_script_builds_the_sample_site(tmp_path):
    result = subprocess.run(
        [sys.executable, "build.py", "build", "--now", "2024-01-01", "--output",
         str(tmp_path / "out")],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built ")
    assert (tmp_path / "out/tin-tuc/cho-gao-phat-dong-chuyen-de-thi-dua-day-manh-cai-cach-hanh-"
            "chinh-nam-2023-tren-dia-ban-huyen-cho-gao/index.html").is_file()


@pytest.mark.parametrize("entry", [["build.py"], ["-m", "portal"]])
def test_process_entry_points_exit_with_the_commands_code(tmp_path, entry):
    """``run`` (what the entry points call) exits with :func:`main`'s code, output flushed."""
    ok = subprocess.run([sys.executable, *entry, "build", "--now", "2024-01-01", "-q",
                         "--output", str(tmp_path / "out")],
                        cwd=REPO, capture_output=True, text=True, check=False)
    assert (ok.returncode, ok.stderr) == (0, "")
    assert (tmp_path / "out/index.html").is_file()
    usage = subprocess.run([sys.executable, *entry, "build", "--site", str(tmp_path / "khong")],
                           cwd=REPO, capture_output=True, text=True, check=False)
    assert usage.returncode == 2
    assert usage.stderr.startswith(f"error: {tmp_path / 'khong'}: no such site folder\n")


def test_unwritable_output_is_a_clear_error(site, tmp_path):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    blocker = tmp_path / "tep"
    blocker.write_text("không phải thư mục")
    code, out, err = run("build", "--site", str(site.root), "--now", "2024-01-01",
                         "--output", str(blocker / "out"))
    assert (code, out) == (1, "")
    assert err == (f"error: {blocker}/.out.staging: cannot write the output: expected a folder "
                   "the build can create and write, got Not a directory\n")
