"""Published files (reports, databases) get ordinary permissions, not mkstemp's owner-only 0600."""

import os
import stat
import tempfile

from costing.data.files import publish


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
