"""End to end: `costing reports` on the demo dataset, two municipalities, both languages.

One batch per language shares one output folder (so the shared results are computed once);
the whole module takes about a minute on two cores.
"""

import contextlib
import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from paths import MINI_DIR

import costing as ct
from costing.cli import main
from costing.data.files import atomic_write
from costing.data.municipalities import population_total, validate_codes
from costing.report import shared as rd
from costing.report.html import check_self_contained
from costing.report.runner import TEMPLATE

CODES = ["LV0001000", "LV0054000"]  # Rīga (the largest) and a novads
YEAR = 2024


@pytest.fixture(scope="module")
def demo():
    return ct.demo_dataset()


@pytest.fixture(scope="module")
def batch(tmp_path_factory, demo):
    out = tmp_path_factory.mktemp("reports")
    results = {lang: ct.run_reports(CODES, year=YEAR, lang=lang, out=out, workers=2,
                                    progress=False) for lang in ("lv", "en")}
    return out, results


def _html(out, lang, code):
    return (out / lang / f"{code}.html").read_text(encoding="utf-8")


def test_batch_succeeds_with_the_documented_layout(batch):
    out, results = batch
    for lang, res in results.items():
        assert res.ok, res.summary()
        assert (out / lang / "index.html").exists()
        for code in CODES:
            assert (out / lang / f"{code}.html").exists()
            assert (out / lang / "notebooks" / f"{code}.ipynb").exists()
    assert (out / "index.html").exists()
    assert len(list((out / "_shared").glob("*.pkl"))) == 1  # computed once for both languages
    assert not list(out.rglob("*.tmp*"))  # atomic writes leave no temporary files


@pytest.mark.parametrize("lang", ["lv", "en"])
@pytest.mark.parametrize("code", CODES)
def test_report_shows_the_library_numbers(batch, demo, lang, code):
    out, _ = batch
    html = _html(out, lang, code)
    name = demo.municipalities.set_index("atvk_code").at[code, "name"]
    assert name in html
    # key figures recomputed here with the library and formatted the same way
    uc = ct.unit_costs(demo, YEAR)
    full = uc.loc[uc["municipality_code"] == code, "full_cost_eur"].sum()
    pop = population_total(demo, YEAR)[code]
    assert ct.format_number(full, lang) in html
    assert ct.format_number(pop, lang) in html
    assert ct.format_number(full / pop, lang, 2) in html
    st = ct.staffing_norm(demo, YEAR).set_index("municipality_code").loc[code]
    assert ct.format_number(st["specialist_fte"], lang, 1) in html
    # each service's unit cost as in the library's table
    for value in uc.loc[uc["municipality_code"] == code, "unit_cost_eur"].dropna():
        assert ct.format_number(value, lang, 2) in html
    # language of the text
    heading = ct.label("section.services", lang)
    assert heading.replace("'", "&#x27;") in html or heading in html


@pytest.mark.parametrize("lang", ["lv", "en"])
def test_reports_have_no_code_no_errors_and_state_provenance(batch, demo, lang):
    out, _ = batch
    for code in CODES:
        html = _html(out, lang, code)
        assert "Traceback" not in html
        assert "data-mime-type=\"application/vnd.jupyter.stderr\"" not in html
        assert "class=\"jp-InputArea" not in html and "import costing" not in html
        assert "class=\"jp-InputPrompt" not in html and "class=\"jp-OutputPrompt" not in html
        assert "Report.open" not in html and "report.block" not in html
        check_self_contained(html)
        assert not re.search(r"<img[^>]+src=\"(?!data:)", html)
        assert not re.search(r"<script[^>]+src=", html)
        ct.assert_no_worker_ids(html)
        ct.assert_no_worker_ids(out / lang / "notebooks" / f"{code}.ipynb")
        assert demo.content_hash() in html and ct.__version__ in html
        assert f'lang="{lang}"' in html
        nb = json.loads((out / lang / "notebooks" / f"{code}.ipynb").read_text())
        outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
        assert not [o for o in outputs if o["output_type"] == "error"]
        assert not [o for o in outputs if o.get("name") == "stderr"]
        params = nb["metadata"]["papermill"]["parameters"]
        assert params["municipality"] == code and params["lang"] == lang
        assert any("injected-parameters" in c["metadata"].get("tags", []) for c in nb["cells"])


@pytest.mark.parametrize("lang", ["lv", "en"])
def test_illustrative_notice_in_reports_and_index(batch, demo, lang):
    out, _ = batch
    assert demo.is_illustrative
    notice = ct.label("notice.illustrative", lang)
    start = {"lv": "Ilustratīvi dati", "en": "Illustrative data"}[lang]
    assert notice.startswith(start)
    index = (out / lang / "index.html").read_text(encoding="utf-8")
    assert start in index
    for code in CODES:
        html = _html(out, lang, code)
        assert start in html
        # at the top: before the first section heading
        assert html.index(start) < html.index(ct.label("section.glance", lang).split("'")[0])
        assert f'href="{code}.html"' in index


def test_latvian_number_format_in_latvian_report(batch, demo):
    out, _ = batch
    pop = population_total(demo, YEAR)["LV0001000"]
    assert pop > 1000
    lv, en = _html(out, "lv", "LV0001000"), _html(out, "en", "LV0001000")
    assert ct.format_number(pop, "lv") in lv and "\u00a0" in ct.format_number(pop, "lv")
    assert ct.format_number(pop, "en") in en and "," in ct.format_number(pop, "en")


def _broken_template(tmp_path, victim):
    nb = nbformat.read(TEMPLATE, as_version=4)
    i = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(i + 2, nbformat.v4.new_code_cell(
        f"if municipality == {victim!r}:\n    raise RuntimeError('injected failure for test')"))
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    return path


def test_one_broken_municipality_does_not_stop_the_batch(tmp_path, batch, capsys):
    out_ok, _ = batch
    out = tmp_path / "out"
    (out / "_shared").mkdir(parents=True)
    for f in (out_ok / "_shared").glob("*.pkl"):  # reuse the shared results: same dataset/year
        os.link(f, out / "_shared" / f.name)
    victim, other = CODES
    rc = main(["reports", "--municipality", victim, other, "--lang", "en", "--out", str(out),
               "--workers", "2", "--no-progress", "--template",
               str(_broken_template(tmp_path, victim))])
    summary = capsys.readouterr().out
    assert rc != 0
    assert f"FAILED {victim}" in summary and "injected failure for test" in summary
    assert (out / "en" / f"{other}.html").exists()
    assert not (out / "en" / f"{victim}.html").exists()
    record = nbformat.read(out / "en" / "notebooks" / f"{victim}.ipynb", as_version=4)
    errors = [o for c in record.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors and errors[0].evalue == "injected failure for test"
    index = (out / "en" / "index.html").read_text(encoding="utf-8")
    assert "report failed" in index and f'href="{other}.html"' in index


@pytest.mark.parametrize("bad", ["../LV0001000", "LV00010001", "lv0001000", "LV0001000.html",
                                 "LV0001000/x", "LV0001000\n", "LV9999999", ""])
def test_bad_code_is_refused_before_anything_runs(tmp_path, bad, capsys):
    out = tmp_path / "out"
    rc = main(["reports", "--municipality", bad, "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "refused municipality code" in err and repr(bad) in err
    assert not out.exists() or not list(out.rglob("*.html"))


def test_validate_codes(demo):
    assert validate_codes(["LV0001000", "LV0001000"], demo) == ["LV0001000"]
    assert validate_codes(None, demo) == demo.municipality_codes
    with pytest.raises(ct.InputError, match="LV' \\+ 7 digits"):
        validate_codes(["LV1"], demo)


def test_atomic_write_replaces_whole_file(tmp_path):
    p = tmp_path / "a" / "x.html"
    atomic_write(p, "first")
    atomic_write(p, "second")
    assert p.read_text() == "second"
    assert [f.name for f in p.parent.iterdir()] == ["x.html"]


def test_self_contained_check_catches_remote_resources():
    check_self_contained('<img src="data:image/png;base64,AAAA">')
    for bad in ('<img src="http://x/y.png">', '<img alt="" src="y.png">',
                '<script src="https://cdn/x.js"></script>', '<link href="//cdn/x.css">'):
        with pytest.raises(ValueError, match="not self-contained"):
            check_self_contained(bad)


def test_shared_results_are_reused_and_checked(tmp_path, demo, batch):
    out, _ = batch
    path = next((out / "_shared").glob("*.pkl"))
    mtime = path.stat().st_mtime_ns
    again = rd.ensure_shared(demo, YEAR, "default", out / "_shared")
    assert again == path and path.stat().st_mtime_ns == mtime
    with pytest.raises(ct.InputError, match="year"):
        rd.load_shared(path, YEAR - 1, "default")
    sh = rd.load_shared(path, YEAR, "default")
    assert sh.dataset_hash == demo.content_hash()


def test_template_parameters_are_annotated_primitives():
    nb = nbformat.read(TEMPLATE, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    names = re.findall(r"^(\w+): (str|int) = ", cell.source, flags=re.M)
    assert dict(names) == {"municipality": "str", "year": "int", "lang": "str",
                           "dataset": "str", "peer_rule": "str", "shared": "str"}
    assert len(cell.source.strip().splitlines()) == 6  # nothing else in the cell


def test_index_lists_every_municipality(batch, demo):
    out, _ = batch
    index = (out / "lv" / "index.html").read_text(encoding="utf-8")
    for code in CODES:
        assert code in index
    check_self_contained(index)
    assert Path(out / "index.html").read_text(encoding="utf-8").count("index.html") == 2


class _FakeKernel:
    def __init__(self, ok):
        self.ok, self.shut = ok, False

    def shutdown_kernel(self, now=False):
        self.shut = True


def test_kernel_pool_retries_a_kernel_that_fails_to_start(monkeypatch):
    from costing.report.kernels import KernelPool

    made = []
    plan = iter([False, True, True])  # first kernel dies at start, the retry works

    def spawn(self):
        made.append(_FakeKernel(next(plan)))
        return made[-1]

    def ready(self, km):
        if not km.ok:
            raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(KernelPool, "_spawn", spawn)
    monkeypatch.setattr(KernelPool, "_ready", ready)
    pool = KernelPool("python3", retries=1, max_uses=1)
    km, attempts = pool.get(prefetch=True)
    assert attempts == 2 and km is made[1] and made[0].shut  # the dead one was cleaned up
    assert pool._spare is made[2]  # the next kernel is already starting
    pool.close()
    assert made[2].shut

    plan = iter([False, False])
    pool = KernelPool("python3", retries=1, max_uses=1)
    with pytest.raises(RuntimeError, match="failed to start 2 times"):
        pool.get(prefetch=False)


def test_another_dataset_and_a_model_it_cannot_support(tmp_path):
    # the hand-made mini dataset (2 municipalities) is too small for the expected-cost model:
    # both reports are written, the section is left out and the data-quality section says why
    mini = MINI_DIR
    res = ct.run_reports(None, year=YEAR, lang="en", dataset=str(mini), out=tmp_path,
                         workers=1, progress=False)
    assert res.ok, res.summary()
    ds = ct.load_dataset(mini)
    for code in ds.municipality_codes:
        html = (tmp_path / "en" / f"{code}.html").read_text(encoding="utf-8")
        assert "Not computed, section left out" in html and "Expected-cost model" in html
        assert ct.label("position.expected_title", "en") not in html
        assert str(mini.resolve()) in html  # the dataset parameter is on record
        # 3 workers per municipality < MIN_WORKERS: time use and caseload withheld, reason given
        assert ct.MIN_WORKERS > 3
        assert ct.label("workload.suppressed", "en", n=ct.MIN_WORKERS) in html
        assert ct.label("workload.caseload_suppressed", "en", n=ct.MIN_WORKERS) in html
        assert ct.label("workload.share", "en") not in html


def test_a_reused_kernel_carries_no_state_between_reports(tmp_path, batch):
    # one worker runs three reports in one warm kernel; a cell placed before the template's
    # own code checks that nothing of the previous municipality's notebook is left
    out_ok, _ = batch
    out = tmp_path / "out"
    (out / "_shared").mkdir(parents=True)
    for f in (out_ok / "_shared").glob("*.pkl"):
        os.link(f, out / "_shared" / f.name)
    nb = nbformat.read(TEMPLATE, as_version=4)
    i = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(
        "leftover = [n for n in ('sh', 'head', 'services', 'rs', 'ct', 'show') if n in dir()]\n"
        "assert not leftover, f'state of an earlier report: {leftover}'"))
    template = tmp_path / "isolated.ipynb"
    nbformat.write(nb, template)
    codes = ["LV0002000", "LV0003000", "LV0004000"]
    res = ct.run_reports(codes, year=YEAR, lang="en", out=out, workers=1, progress=False,
                         template=template)
    assert res.ok, res.summary()
    for code in codes:
        record = nbformat.read(out / "en" / "notebooks" / f"{code}.ipynb", as_version=4)
        counts = [c.execution_count for c in record.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1))  # a new session for every report


def test_a_mistyped_code_gets_a_suggestion(tmp_path, capsys):
    for typed in ("lv0001000", "1000"):
        rc = main(["reports", "--municipality", typed, "--out", str(tmp_path), "--no-progress"])
        assert rc == 2 and "did you mean 'LV0001000'?" in capsys.readouterr().err


@pytest.mark.parametrize("extra, expected", [
    (["--peer-rule", "zzz"], "invalid choice: 'zzz'"),  # used to run and drop the peer section
    (["--timeout", "0"], "--timeout must be > 0"),
    (["--workers", "0"], "--workers must be >= 1"),
    (["--year", "1999"], "year 1999 has no expenditure"),
])
def test_bad_arguments_are_refused_with_a_message(tmp_path, capsys, extra, expected):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) if extra[0] == "--peer-rule" else contextlib.nullcontext():
        rc = main(["reports", "--municipality", CODES[0], "--out", str(out), "--no-progress",
                   *extra])
        assert rc == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert not out.exists() or not list(out.rglob("*.html"))


def test_an_out_folder_that_is_a_file_or_unwritable_is_refused(tmp_path, capsys):
    blocker = tmp_path / "file.csv"
    blocker.write_text("a,b\n1,2\n", encoding="utf-8")
    for out, expected in ((blocker, "is a file, not a folder"),
                          (blocker / "sub", "cannot write to --out")):
        rc = main(["reports", "--municipality", CODES[0], "--out", str(out), "--no-progress"])
        err = capsys.readouterr().err
        assert rc == 2 and expected in err and "Traceback" not in err
    assert blocker.read_text(encoding="utf-8") == "a,b\n1,2\n"


def test_an_invalid_dataset_says_no_report_was_written(tmp_path, capsys, valid_dataset_dir):
    (valid_dataset_dir / "outputs.csv").unlink()
    out = tmp_path / "out"
    rc = main(["reports", "--dataset", str(valid_dataset_dir), "--municipality", "LV0026000",
               "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and "not valid, no report written" in err
    assert "required table outputs.csv is missing" in err
    assert not out.exists()


def test_a_mistyped_dataset_folder_gets_a_suggestion(tmp_path, capsys, valid_dataset_dir):
    typo = valid_dataset_dir.with_name(valid_dataset_dir.name + "x")
    rc = main(["reports", "--dataset", str(typo), "--municipality", "LV0026000",
               "--out", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and "does not exist; did you mean" in err and "not valid" not in err


def test_a_section_left_out_says_why_in_plain_words(monkeypatch, demo):
    def limited(ds, year, peer_rule, done):
        raise ct.InputError("time_use: the table is empty (no diary rows)")

    def broken(ds, year, peer_rule, done):
        raise KeyError("column")

    monkeypatch.setattr(rd, "COMPONENTS", [("workload", limited), ("bug", broken)])
    sh = rd.build_shared(demo, YEAR)
    assert sh.problems["workload"] == "time_use: the table is empty (no diary rows)"
    assert sh.problems["bug"].startswith("KeyError")  # an unexpected error keeps its type


def test_a_dataset_with_only_the_required_tables_gets_reports_and_an_index(tmp_path,
                                                                           valid_dataset_dir):
    for table in ("assets", "staff", "workers", "drivers", "survey_periods", "time_use",
                  "caseloads", "tariffs"):
        (valid_dataset_dir / f"{table}.csv").unlink()
    ct.load_dataset(valid_dataset_dir)  # valid: only cost_centres, expenditure, outputs needed
    year = int(ct.load_dataset(valid_dataset_dir).years[-1])
    res = ct.run_reports(["LV0026000"], year=year, lang="en", dataset=str(valid_dataset_dir),
                         out=tmp_path / "out", workers=1, progress=False)
    index = (tmp_path / "out" / "en" / "index.html").read_text(encoding="utf-8")
    assert "LV0026000" in index  # the index no longer fails on a missing figure
    for o in res.outcomes:
        if o.ok:
            assert f'href="{o.code}.html"' in index
        else:  # the shared results may leave it out (support centres without driver rows)
            assert o.status == "excluded", res.summary()


@pytest.mark.parametrize("lang", ["lv", "en"])
def test_a_municipality_alone_in_its_peer_group_is_told_so(monkeypatch, lang):
    from costing.report import base

    sh = rd.report_inputs(dataset=str(MINI_DIR), year=2024, peer_rule="default", shared="")
    two = ct.report.Report(sh, "LV0026000", lang).peers_sentence()
    assert "2" in two
    monkeypatch.setattr(base, "peer_codes", lambda sh, code: ([code], "novads_large"))
    report = ct.report.Report(sh, "LV0026000", lang)
    alone = report.peers_sentence()
    assert alone == ct.label("report.no_peers", lang,
                             group=report.label("peer.novads_large", default="novads_large"))
    assert "1" not in alone


def test_the_template_reads_like_an_outline():
    """After the parameters, the template opens the report and shows blocks: no display()
    plumbing, no (shared, code, language) passed around, one report.section per section."""
    nb = nbformat.read(TEMPLATE, as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code"
             and "parameters" not in c.metadata.get("tags", [])]
    src = "\n".join(cells)
    assert "display(" not in src and "sh," not in src and "lang)" not in src
    statements = [ln for ln in src.splitlines() if ln and not ln.startswith((" ", ")"))]
    opening = ("from costing.report import Report", "report = Report.open(")
    assert all(ln.startswith(("report.", *opening)) for ln in statements), statements
    assert sum(ln.startswith("report.section(") for ln in statements) == 5
    assert all(cell.lstrip().startswith(("report.section(", "from costing.report"))
               for cell in cells)


def test_a_report_object_refuses_a_code_and_a_language_it_does_not_know(demo):
    sh = rd.build_shared(demo, YEAR)
    with pytest.raises(ct.InputError, match="not a municipality of this dataset"):
        ct.report.Report(sh, "LV9999999", "en")
    with pytest.raises(ct.InputError, match="lang: expected one of lv, en"):
        ct.report.Report(sh, "LV0001000", "de")
    report = ct.report.Report(sh, "LV0001000", "en")
    assert report.label("no.such.key", default="fallback") == "fallback"
    with pytest.raises(ct.InputError, match="label key 'no.such.key'"):
        report.label("no.such.key")
    table = report.services_table()
    assert set(table.attrs["numeric"]) <= set(table.columns)
