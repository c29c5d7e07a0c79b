"""Published files (reports, databases) get ordinary permissions, not mkstemp's owner-only 0600;
temporaries stay private and next to their target."""

import os
import stat
import tempfile

import pytest

from costing.data.files import WriteError, atomic_write, new_temporary, publish


def test_publish_gives_the_mode_of_an_ordinary_file(tmp_path):
    old = os.umask(0o022)
    try:
        fd, tmp = tempfile.mkstemp(dir=tmp_path)
        os.close(fd)
        assert stat.S_IMODE(os.stat(tmp).st_mode) == 0o600
        target = tmp_path / "report.html"
        target.write_text("old")
        publish(tmp, target)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644  # 0666 less umask 022
    assert target.read_text() == "" and not os.path.exists(tmp)


def test_atomic_write_gives_the_mode_of_an_ordinary_file_and_leaves_nothing(tmp_path):
    old = os.umask(0o027)
    try:
        target = tmp_path / "sub" / "index.html"
        atomic_write(target, "<p>x</p>")
        atomic_write(target, b"<p>y</p>")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert target.read_bytes() == b"<p>y</p>"
    assert [p.name for p in target.parent.iterdir()] == ["index.html"]


def test_a_temporary_is_private_until_published(tmp_path):
    tmp = new_temporary(tmp_path / "mini.sqlite")
    assert tmp.parent == tmp_path and tmp.name.startswith(".mini.sqlite.pid")
    assert tmp.name.endswith(".tmp") and stat.S_IMODE(os.stat(tmp).st_mode) == 0o600


def test_a_file_where_the_folder_should_be_is_named(tmp_path):
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(WriteError, match="a file stands where a folder is needed while "
                       r"writing .*a-file/x\.html; choose another place"):
        atomic_write(tmp_path / "a-file" / "x.html", "x")
