"""The package as a user installs it: a wheel, not the checkout.

Builds the wheel with pip, installs it (not editable) into a new virtual environment and, from
an empty folder outside the checkout, regenerates and validates the demo, loads the packaged
demo dataset and writes one report. The new environment borrows the third-party dependencies
of the environment running the tests (a path entry, so their editable ``costing`` stays
invisible, and the data files they installed, such as nbconvert's templates), which keeps the
test off the network; ``costing`` itself comes only from the wheel. Registered kernels named
``python3`` and ``costing`` that cannot start are put in the way: the batch must start its
kernels with its own interpreter, never by name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from paths import ROOT

import costing as ct

MUNICIPALITY = "LV0054000"


def _run(cmd: list[str], cwd: Path, env: dict, timeout: float = 600) -> str:
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"{' '.join(map(str, cmd))}\n{res.stdout[-3000:]}\n" \
                                f"{res.stderr[-3000:]}"
    return res.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheelhouse")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out),
          str(ROOT)], cwd=ROOT, env=dict(os.environ))
    (path,) = out.glob("costing-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(tmp_path_factory, wheel) -> tuple[Path, dict, Path]:
    """(the new environment's bin folder, the environment variables to use, an empty folder)."""
    base = tmp_path_factory.mktemp("installed")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base,
         env=dict(os.environ))
    python = venv / "bin" / "python"
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                         "['purelib'])"], cwd=base, env=dict(os.environ)).strip())
    deps = sysconfig.get_paths()["purelib"]
    (purelib / "borrowed_dependencies.pth").write_text(deps + "\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
          "--no-index", "--quiet", str(wheel)], cwd=base, env=dict(os.environ))
    # kernels registered under the usual names, pointing at nothing that can start
    kernels = base / "jupyter" / "kernels"
    for name in ("python3", "costing"):
        (kernels / name).mkdir(parents=True)
        (kernels / name / "kernel.json").write_text(json.dumps({
            "argv": ["/nonexistent/python", "-m", "ipykernel_launcher", "-f",
                     "{connection_file}"], "display_name": name, "language": "python"}))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # the borrowed nbconvert finds its HTML templates in the data files it installed
    shared_data = Path(sys.prefix) / "share" / "jupyter"
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", MPLBACKEND="Agg",
               JUPYTER_PATH=f"{base / 'jupyter'}{os.pathsep}{shared_data}",
               JUPYTER_DATA_DIR=str(base / "jupyter"))
    empty = base / "work"
    empty.mkdir()
    return venv / "bin", env, empty


def test_the_wheel_carries_the_template_the_demo_and_the_reference_tables(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "costing/report/template/municipality_report.ipynb" in names
    demo = {n.rsplit("/", 1)[1] for n in names if n.startswith("costing/data/demo/dataset/")}
    assert demo == {p.name for p in ct.data.dataset.DEMO_DIR.iterdir()}
    shipped = {p.name for p in ct.data.dataset.REFERENCE_DIR.iterdir() if p.is_file()}
    assert shipped == {n.rsplit("/", 1)[1] for n in names if n.startswith("costing/reference/")}
    assert not [n for n in names if n.startswith(("tests/", "notebooks/", "data/"))]


def test_the_installed_package_loads_its_demo_from_outside_the_checkout(installed):
    bin_dir, env, empty = installed
    out = _run([str(bin_dir / "python"), "-c",
                "import costing as ct; ds = ct.demo_dataset(); "
                "print(ct.__file__); print(ct.PROJECT_ROOT); print(len(ds.municipality_codes))"],
               cwd=empty, env=env)
    file, root, n = out.split()
    assert Path(file).is_relative_to(bin_dir.parent) and not Path(file).is_relative_to(ROOT)
    assert root == "None" and n == "43"


def test_the_installed_commands_regenerate_and_validate_the_demo(installed):
    bin_dir, env, empty = installed
    out = _run([str(bin_dir / "costing"), "demo", "--out", "demo"], cwd=empty, env=env)
    assert "is valid" in out
    out = _run([str(bin_dir / "costing"), "validate", "demo"], cwd=empty, env=env)
    assert "is valid" in out and "Illustrative data" in out


def test_the_installed_command_writes_a_report_with_its_own_kernel(installed):
    bin_dir, env, empty = installed
    out = _run([str(bin_dir / "costing"), "reports", "--municipality", MUNICIPALITY, "--lang",
                "en", "--workers", "1", "--out", "reports", "--no-progress"], cwd=empty, env=env)
    assert "1 of 1 reports written" in out, out
    html = (empty / "reports" / "en" / f"{MUNICIPALITY}.html").read_text(encoding="utf-8")
    assert "Valmieras novads" in html and "Illustrative data" in html
    assert (empty / "reports" / "en" / "index.html").exists()
