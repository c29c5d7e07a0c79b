"""Packaging: the two environment descriptions agree, and CI runs the README's test command."""

from __future__ import annotations

import re
import tomllib

from paths import ROOT

_REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*((?:[<>=!~]=?\s*[^,\s]+\s*,?\s*)*)$")


def _parse(spec: str) -> tuple[str, str]:
    """'pandas >= 2.2' -> ('pandas', '>=2.2'); names normalised as pip does."""
    m = _REQ.match(spec)
    assert m, f"cannot parse requirement {spec!r}"
    name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
    return name, re.sub(r"\s+", "", m.group(2))


def _pyproject() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    deps = dict(_parse(s) for s in specs)
    deps["python"] = re.sub(r"\s+", "", project["requires-python"])
    return deps


def _environment_yml() -> dict[str, str]:
    """The conda dependency list (plain YAML list items; the pip sub-list is the package)."""
    deps, in_deps, in_pip = {}, False, False
    for line in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        stripped = line.split("#", 1)[0].rstrip()
        if not stripped:
            continue
        if re.match(r"^dependencies:\s*$", stripped):
            in_deps = True
            continue
        if in_deps and not stripped.startswith(" "):
            in_deps = False
        if not in_deps:
            continue
        item = stripped.strip()
        if item == "- pip:":
            in_pip = True
            continue
        indent = len(stripped) - len(stripped.lstrip())
        if in_pip and indent > 2:
            continue  # pip installs the project itself (-e .)
        in_pip = False
        assert item.startswith("- "), f"unexpected line in environment.yml: {line!r}"
        name, bound = _parse(item[2:])
        if name != "pip":
            deps[name] = bound
    return deps


def test_parsers_understand_the_formats():
    assert _parse("pandas>=2.2") == ("pandas", ">=2.2")
    assert _parse("ruff >= 0.5, <1") == ("ruff", ">=0.5,<1")
    assert _parse("Jupyter_Client") == ("jupyter-client", "")


def test_pyproject_and_environment_yml_list_the_same_packages_and_bounds():
    py, conda = _pyproject(), _environment_yml()
    assert sorted(py) == sorted(conda), (
        f"only in pyproject: {sorted(set(py) - set(conda))}; "
        f"only in environment.yml: {sorted(set(conda) - set(py))}")
    diff = {n: (py[n], conda[n]) for n in py if py[n] != conda[n]}
    assert not diff, f"different bounds (pyproject, environment.yml): {diff}"


def test_environment_yml_installs_the_project_itself():
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s+- -e \.\s*$", text, re.M)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test\b", readme, re.M), "README must give the test command"
    commands = [ln.strip() for ln in ci.splitlines() if ln.strip() and not ln.startswith("#")]
    assert "make test" in commands
    assert (ROOT / ".ci" / "run").stat().st_mode & 0o111, ".ci/run must be executable"


def test_make_test_runs_lint_and_pytest():
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^test:(.*)\n((?:\t.*\n)+)", make, re.M)
    assert target, "Makefile has no test target"
    assert "lint" in target.group(1) and "pytest" in target.group(2)


def test_reference_tables_template_and_demo_ship_with_the_package():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = data["tool"]["setuptools"]["package-data"]["costing"]
    assert {"reference/*.csv", "data/demo/dataset/*", "report/template/*.ipynb"} <= set(shipped)


def test_lint_covers_notebooks_and_the_import_layers():
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", make, re.M).group(1)
    assert "notebooks" in lint and "lint-imports" in lint
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "notebooks" not in data["tool"]["ruff"].get("extend-exclude", [])
    (contract,) = data["tool"]["importlinter"]["contracts"]
    assert contract["type"] == "layers"
    assert contract["layers"][1:6] == ["costing.report", "costing.benchmark", "costing.workload",
                                       "costing.method", "costing.data"]


def test_docstring_examples_run_in_the_tests():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in options["addopts"] and "src/costing" in options["testpaths"]
