"""Big CSV files are read in blocks: the same table and the same problems as in one piece.

The block size is made tiny (a few hundred bytes) so that every kind of line — quoted values
with line breaks, blank lines, ragged lines, bad bytes — falls on or near a block border.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from paths import ROOT

import costing as ct
from costing.data import readers
from costing.data.problems import Problems
from costing.data.readers import decode, parse_csv, read_csv_table

DEMO = ROOT / "src" / "costing" / "data" / "demo" / "dataset"
SIZES = [37, 200, 1000]


def whole(path, table):
    """The path every file took before block reading: all bytes, decoded, parsed at once."""
    p = Problems()
    p.files[table] = path.name
    text = decode(path.read_bytes(), table, p)
    return (None if text is None else parse_csv(text, table, p)), p.frame()


def blocks(path, table, size):
    p = Problems()
    p.files[table] = path.name
    return read_csv_table(path, table, p, chunk_bytes=size), p.frame()


def assert_same(path, table, size):
    want, want_p = whole(path, table)
    got, got_p = blocks(path, table, size)
    pd.testing.assert_frame_equal(got_p, want_p)
    if want is None:
        assert got is None
        return
    assert got is not None and list(got.columns) == list(want.columns)
    assert got.index.equals(want.index)
    assert (got.astype(object).to_numpy() == want.to_numpy()).all()


def body(n: int = 120) -> list[str]:
    return [f"W{1000 + i // 6},2024-03-{1 + i % 28:02d},{'ADMIN' if i % 2 else 'TRAVEL'},"
            f"{15 * (1 + i % 9)}" for i in range(n)]


HEADER = "worker_id,date,activity_code,minutes"


def lines_with(edit) -> str:
    rows = body()
    edit(rows)
    return "\n".join([HEADER, *rows]) + "\n"


CASES = {
    "plain": lambda r: None,
    "quoted values with line breaks": lambda r: [r.__setitem__(i, f'"W1,\n{i}","x\ny",A,1')
                                                  for i in range(3, 110, 9)],
    "blank lines and empty rows": lambda r: [r.__setitem__(i, "" if i % 2 else ",,,")
                                             for i in range(5, 110, 11)],
    "ragged lines": lambda r: [r.__setitem__(i, r[i] + ",x" if i % 2 else "W1,2024-03-01")
                               for i in range(7, 110, 13)],
    "stray quote late": lambda r: r.__setitem__(100, 'W1,"2024"x,A,1'),
    "quote never closed": lambda r: r.__setitem__(90, '"W1,2024-03-01,A,1'),
    "cp1257 byte late": lambda r: r.__setitem__(95, "W1,2024-03-01,Ā,1"),
    "bad byte after a stray quote": lambda r: (r.__setitem__(20, 'W1,"x"y,A,1'),
                                               r.__setitem__(100, "W1,2024-03-01,Ā,1")),
    "NUL late after a bad byte": lambda r: (r.__setitem__(20, "W1,2024-03-01,Ā,1"),
                                            r.__setitem__(100, "W1,20\x0024-03-01,A,1")),
    "spaces only lines": lambda r: [r.__setitem__(i, "   ") for i in range(9, 110, 17)],
    "lone carriage returns": lambda r: [r.__setitem__(i, r[i] + "\r" + r[i]) for i in (10, 60)],
}


def write_case(path, name):
    text = lines_with(CASES[name])
    raw = text.encode("utf-8")
    if "cp1257" in name or "bad byte" in name:
        raw = raw.replace("Ā".encode(), "Ā".encode("cp1257"))
    path.write_bytes(raw)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", list(CASES))
def test_blocks_give_the_table_and_problems_of_the_whole_file(tmp_path, name, size):
    path = tmp_path / "time_use.csv"
    write_case(path, name)
    assert_same(path, "time_use", size)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("variant", ["crlf", "bom", "unnamed trailing columns", "semicolons",
                                     "header one column short", "header short, one good line",
                                     "duplicate header", "blank first line", "one column"])
def test_blocks_keep_file_level_rules(tmp_path, variant, size):
    rows, header = body(), HEADER
    if variant == "unnamed trailing columns":
        header += ",,"
        rows = [r + (",," if i % 3 else "") for i, r in enumerate(rows)]
    elif variant == "semicolons":
        header, rows = header.replace(",", ";"), [r.replace(",", ";") for r in rows]
    elif variant == "header one column short":
        header = header.rsplit(",", 1)[0]
    elif variant == "header short, one good line":  # every line is wrong but one, at the end
        header = header.rsplit(",", 1)[0]
        rows[-1] = rows[-1].rsplit(",", 1)[0]
    elif variant == "duplicate header":
        header = header.replace("minutes", "date")
    elif variant == "blank first line":
        header = "\n" + header
    elif variant == "one column":
        header, rows = "worker_id", [r.split(",")[0] for r in rows]
    text = "\n".join([header, *rows]) + "\n"
    if variant == "crlf":
        text = text.replace("\n", "\r\n")
    raw = text.encode("utf-8")
    if variant == "bom":
        raw = b"\xef\xbb\xbf" + raw
    path = tmp_path / "time_use.csv"
    path.write_bytes(raw)
    assert_same(path, "time_use", size)


@pytest.mark.parametrize("size", [4096, 65536])
def test_every_demo_and_reference_file(tmp_path, size):
    for path in [*sorted(DEMO.glob("*.csv")), *sorted((ROOT / "src" / "costing" / "reference")
                                                       .glob("*.csv"))]:
        if path.stat().st_size > size:
            assert_same(path, path.stem, size)


def test_a_file_read_in_blocks_holds_each_text_once(tmp_path):
    path = tmp_path / "time_use.csv"
    write_case(path, "plain")
    df, problems = blocks(path, "time_use", 200)
    assert len(problems) == 0
    assert all(isinstance(df[c].dtype, pd.CategoricalDtype) for c in df.columns)
    assert df["activity_code"].cat.categories.tolist() == ["TRAVEL", "ADMIN"]


@pytest.fixture
def demo_copy(tmp_path):
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target)
    return target


def spoil(folder) -> None:
    """Bad cells of many kinds through time_use.csv and caseloads.csv of the demo."""
    path = folder / "time_use.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    for i in range(50, len(lines) - 1, 9973):
        w, d, a, m = lines[i].split(",")
        kind = (i // 9973) % 7
        lines[i] = [f"{w},{d},{a},half an hour", f"{w},{d[8:]}.{d[5:7]}.{d[:4]},{a},{m}",
                    f"{w},{d},COFFEE,{m}", f"{w[:3]}\u200b{w[3:]},{d},{a},{m}", f"{w},{d},{m}",
                    f'"{w}","{d}","{a}",{m}', lines[i - 1]][kind]
    path.write_text("\n".join(lines), encoding="utf-8")
    path = folder / "caseloads.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    for i in range(30, len(lines) - 1, 7001):
        cells = lines[i].split(",")
        cells[3] = "1,5"  # a decimal comma: one value too many
        lines[i] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")


def load_errors(folder):
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(folder)
    return info.value.errors


def test_load_dataset_in_blocks_gives_the_same_problems(demo_copy, monkeypatch):
    spoil(demo_copy)
    want = load_errors(demo_copy)
    assert {"not_a_number", "not_a_date", "foreign_key", "invisible_character",
            "field_count", "duplicate_key"} <= set(want["rule"])
    monkeypatch.setattr(readers, "CHUNK_BYTES", 50_000)  # time_use.csv: about 80 blocks
    got = load_errors(demo_copy)
    pd.testing.assert_frame_equal(got, want)


def test_load_dataset_in_blocks_gives_the_same_tables(demo_copy, monkeypatch):
    want = ct.load_dataset(demo_copy)
    monkeypatch.setattr(readers, "CHUNK_BYTES", 50_000)
    got = ct.load_dataset(demo_copy)
    assert set(got.tables) == set(want.tables)
    for name in want.tables:
        pd.testing.assert_frame_equal(got.tables[name], want.tables[name], obj=name)
    assert got.content_hash() == want.content_hash()
    assert np.array_equal(got.time_use["minutes"].to_numpy(), want.time_use["minutes"].to_numpy())
