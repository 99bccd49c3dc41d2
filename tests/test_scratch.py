"""Temporary folders held while in use and swept once abandoned (``portal/scratch.py``)."""

from __future__ import annotations

import errno
import os

import pytest

import portal.scratch as scratch
from portal.scratch import held_folder, remove_abandoned


def test_a_held_folder_is_removed_after_use_even_when_the_work_fails(tmp_path):
    with pytest.raises(RuntimeError), held_folder("viec-", tmp_path) as folder:
        (folder / "trang.html").write_text("<p>Trang</p>", encoding="utf-8")
        raise RuntimeError("hỏng")
    assert list(tmp_path.iterdir()) == []


def test_without_locks_folders_work_and_none_is_taken_for_abandoned(tmp_path, monkeypatch):
    """A file system that refuses ``flock`` (some network file systems): the build goes on;
    no folder can be known to be abandoned, so none is removed."""
    def refused(handle, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(scratch.fcntl, "flock", refused)
    (tmp_path / "viec-cu").mkdir()
    os.utime(tmp_path / "viec-cu", (1, 1))
    with held_folder("viec-", tmp_path) as folder:
        (folder / "a.html").write_text("a", encoding="utf-8")
        assert remove_abandoned(tmp_path, "viec-") == []
    assert [p.name for p in tmp_path.iterdir()] == ["viec-cu"]
