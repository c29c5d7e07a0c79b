"""The ``costing`` command line: build the demo dataset, validate a dataset, build a SQLite store.

Examples
--------
  costing validate data/demo             check a dataset, list every problem (exit 1 if any)
  costing validate my.sqlite --errors-csv problems.csv
  costing db build data/demo --db demo.sqlite
  costing demo --out data/demo --seed 2024
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd

from .benchmark.feasibility import check_dataset
from .data.dataset import load_dataset
from .data.demo.generator import write_demo
from .data.files import write_csv
from .data.schema import DATASET_TABLES, REQUIRED_TABLES
from .data.store import check_target, write_sqlite
from .errors import ERROR_COLUMNS, DatasetInUseError, DataValidationError, InputError
from .report.runner import add_parser as add_reports_parser

_WIDTH = {"row": 6, "column": 22, "rule": 26, "value": 24}


def _cut(text: str, width: int) -> str:
    text = str(text).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def format_problems(errors: pd.DataFrame, limit: int | None = 100,
                    noun: str = "problem") -> str:
    """The problem list as plain-text tables, one per file, for people rather than programs.

    A ``checked_against`` column (plausibility warnings) is added to each message.
    """
    if "checked_against" in errors.columns:
        errors = errors.assign(message=errors["message"] + " [checked against: "
                               + errors["checked_against"] + "]")
    lines = []
    shown = 0
    for file, grp in errors.groupby(errors["file"].replace("", "(dataset)"), sort=False):
        lines.append("")
        lines.append(f"{file}: {len(grp)} {noun}{'s' if len(grp) != 1 else ''}")
        head = ["line", "column", "rule", "value"]
        lines.append("  " + "  ".join(h.ljust(_WIDTH[h if h != 'line' else 'row'])
                                      for h in head) + "  what is wrong")
        lines.append("  " + "  ".join("-" * _WIDTH[h] for h in _WIDTH) + "  " + "-" * 40)
        for rec in grp.itertuples(index=False):
            if limit is not None and shown >= limit:
                break
            row = "" if pd.isna(rec.row) else str(rec.row)
            cells = [row, rec.column, rec.rule, rec.value]
            lines.append("  " + "  ".join(_cut(c, w).ljust(w) for c, w in
                                          zip(cells, _WIDTH.values(), strict=True))
                         + "  " + str(rec.message))
            shown += 1
        if limit is not None and shown >= limit:
            break
    if limit is not None and len(errors) > limit:
        lines.append("")
        lines.append(f"... {len(errors) - limit} more not shown (use --all, or --errors-csv FILE "
                     "to save the full list)")
    counts = errors["rule"].value_counts()
    lines.append("")
    lines.append(f"{noun.capitalize()}s by rule: "
                 + ", ".join(f"{r} {n}" for r, n in counts.items()))
    return "\n".join(lines)


def format_summary(ds) -> str:
    """A short description of a valid dataset: municipalities, years, rows per table, totals."""
    name = ds.metadata.get("name") or (ds.path.name if ds.path else "dataset")
    out = [f"Dataset {name!r} at {ds.path} is valid."]
    if ds.is_illustrative:
        out.append("Illustrative data (synthetic figures, not real municipal accounts).")
    munis = ds.municipalities.set_index("atvk_code")["name"]
    codes = ds.municipality_codes
    listed = ", ".join(f"{c} {munis.get(c, '')}".strip() for c in codes[:8])
    more = f", ... (+{len(codes) - 8})" if len(codes) > 8 else ""
    out.append(f"Municipalities: {len(codes)} ({listed}{more})")
    years = ds.years
    out.append(f"Years: {', '.join(map(str, years))}" if years else "Years: none")
    out.append("Rows per table: " + ", ".join(f"{t} {len(ds.tables[t]):,}" for t in ds.present))
    overridden = [t for t, s in ds.sources.items() if not s.startswith("costing/") and
                  t in ds.tables and t not in ds.present]
    out.append("Reference tables from the dataset (override the shipped ones): "
               + (", ".join(overridden) if overridden else "none"))
    ex = ds.expenditure.groupby("year")["amount_eur"].sum()
    out.append("Expenditure [EUR]: " + ", ".join(f"{y} {v:,.0f}" for y, v in ex.items()))
    if "staff" in ds.present:
        fte = ds.staff.groupby("year")["fte"].sum()
        out.append("Staff [FTE]: " + ", ".join(f"{y} {v:,.1f}" for y, v in fte.items()))
    cl = ds.outputs.groupby("year")["clients"].sum()
    out.append("Clients (sum over service centres): "
               + ", ".join(f"{y} {v:,}" for y, v in cl.items()))
    return "\n".join(out)


def _load_or_report(path: str, args) -> object | None:
    try:
        return load_dataset(path)
    except DataValidationError as e:
        errs = e.errors
        if len(errs) == 1 and errs.loc[0, "rule"] in ("path_not_found", "not_a_dataset"):
            print(f"costing: {errs.loc[0, 'message']}")
            return None
        print(f"{path}: NOT VALID — {len(errs)} problem{'s' if len(errs) != 1 else ''} "
              f"in {errs['file'].replace('', '(dataset)').nunique()} file(s).")
        print(format_problems(errs, None if getattr(args, "all", False) else args.max))
        target = getattr(args, "errors_csv", None)
        if target:
            print(_save_errors(errs, target, path))
        print(f"\nFix the problems above and run 'costing validate {path}' again.")
        return None


def _count(text: str) -> int:
    """argparse type: a whole number >= 0."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {n}")
    return n


def _save_errors(errs: pd.DataFrame, target: str, dataset: str) -> str:
    """Write the problem list to ``target``; the line to print (never a traceback).

    Text cells a spreadsheet would run as a formula are neutralised with a leading ``'``
    (:func:`costing.data.files.safe_cells`); the file is replaced atomically.
    """
    out = Path(target)
    if out.suffix.lower() == ".csv" and Path(dataset).is_dir() and \
            out.resolve().parent == Path(dataset).resolve():
        return (f"\nNot saved: {target} is inside the dataset folder, where it would be read as "
                "a table (or overwrite one); choose a file outside it")
    try:  # through safe_cells: a value such as =HYPERLINK(...) must not run in a spreadsheet
        write_csv(errs, out)
    except OSError as e:  # a WriteError naming the file, the reason and what to do
        return f"\nCould not save the list: {e}"
    return f"\nFull list written to {target}"


def _report_method_check(path: str, refused: pd.DataFrame, warnings: pd.DataFrame,
                         args) -> None:
    limit = None if getattr(args, "all", False) else args.max
    if len(refused):
        codes = refused["municipality_code"].replace("", pd.NA).dropna().unique()
        print(f"\n{path}: NOT VALID for the method — {len(refused)} problem"
              f"{'s' if len(refused) != 1 else ''}. The files are well formed, but the method "
              f"cannot compute {len(codes)} municipalit{'ies' if len(codes) != 1 else 'y'} "
              f"({', '.join(codes)}) from them; a report batch leaves "
              f"{'them' if len(codes) != 1 else 'it'} out of every comparison.")
        print(format_problems(refused.drop(columns=["municipality_code", "year"]), limit))
    if len(warnings):
        strict = " (--strict: counted as errors)" if args.strict else (
            " — not errors; check each value, or run with --strict to treat them as errors")
        print(f"\n{len(warnings)} plausibility warning{'s' if len(warnings) != 1 else ''}"
              f"{strict}. Each value passed validation but lies outside the range it was "
              "checked against (thresholds and their rationale: costing/reference/"
              "plausibility.csv); reports show them in their data-quality section.")
        print(format_problems(warnings.drop(columns=["municipality_code", "year",
                                                     "cost_centre_id"]), limit, "warning"))
    target = getattr(args, "errors_csv", None)
    if target and (len(refused) or len(warnings)):
        both = pd.concat([refused.assign(severity="error"),
                          warnings.assign(severity="warning")], ignore_index=True)
        print(_save_errors(both[[*ERROR_COLUMNS, "severity", "checked_against",
                                 "municipality_code", "year"]], target, path))


def cmd_validate(args) -> int:
    ds = _load_or_report(args.path, args)
    if ds is None:
        return 1
    refused, warnings = check_dataset(ds)  # what the method refuses; plausibility warnings
    if len(refused):
        _report_method_check(args.path, refused, warnings, args)
        print(f"\nFix the problems above and run 'costing validate {args.path}' again.")
        return 1
    print(format_summary(ds))
    _report_method_check(args.path, refused, warnings, args)
    return 1 if args.strict and len(warnings) else 0


def cmd_db_build(args) -> int:
    try:
        check_target(args.db)  # before the (long) validation
        ds = _load_or_report(args.dataset, args)
        if ds is None:
            print(f"Nothing written to {args.db}.")
            return 1
        path = write_sqlite(ds, args.db)
    except InputError as e:
        print(f"costing: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # write_sqlite has removed its temporary file
        print(f"costing: interrupted; nothing written to {args.db} (any previous file is "
              "unchanged)", file=sys.stderr)
        return 130
    n = sum(len(ds.tables[t]) for t in ds.present)
    print(f"Wrote {path} ({len(ds.present)} dataset tables, {n:,} rows, plus reference tables).")
    return 0


def _demo_target_problem(out: Path) -> str:
    """Why the demo must not be written to ``out`` ("" if it may): never over a file, nor over a
    folder holding anything but an earlier demo dataset (someone's own data would be lost)."""
    if out.exists() and not out.is_dir():
        return f"--out {out} is a file, not a folder"
    if not out.is_dir() or not any(out.iterdir()):
        return ""
    try:
        illustrative = json.loads((out / "metadata.json").read_text(encoding="utf-8")).get(
            "illustrative") is True
    except (OSError, ValueError, AttributeError):
        illustrative = False
    if not illustrative:
        return (f"the folder {out} already holds files and is not a demo dataset (its "
                "metadata.json does not say \"illustrative\": true), so writing the demo would "
                "overwrite them; choose a new or empty folder")
    return ""


def cmd_demo(args) -> int:
    problem = _demo_target_problem(Path(args.out))
    if problem:
        print(f"costing demo: {problem}; nothing written", file=sys.stderr)
        return 1
    try:
        if args.seed is None:
            write_demo(Path(args.out))
        else:
            write_demo(Path(args.out), args.seed)
    except OSError as e:
        print(f"costing demo: cannot write to {args.out}: {e.strerror or e}", file=sys.stderr)
        return 1
    args.max = 100
    ds = _load_or_report(args.out, args)
    if ds is None:
        return 1
    print(format_summary(ds))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="costing", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Full and unit costs of municipal social services: datasets, validation "
        "and reports.", epilog=__doc__.split("Examples\n--------\n", 1)[1])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a dataset and list every problem",
                       description="Check a dataset (folder of CSV files or .sqlite file) against "
                       "docs/data-model.md and against what the method needs (allocation "
                       "solvable, population for every municipality-year with costs, ...). Lists "
                       "every problem with file, line, column, rule and value; exit status 1 if "
                       "there is any, 0 if the dataset is valid. Plausibility warnings (values "
                       "that pass but are probably wrong) are listed too; they do not change "
                       "the exit status unless --strict is given.",
                       epilog=f"Required tables: {', '.join(REQUIRED_TABLES)}. Optional: "
                       f"{', '.join(t for t in DATASET_TABLES if t not in REQUIRED_TABLES)}; "
                       "a table that is given must have all its columns. Files must be UTF-8 "
                       "CSV with commas, dates YYYY-MM-DD, decimal point '.'.")
    p.add_argument("path", help="dataset folder or .sqlite file")
    p.add_argument("--max", type=_count, default=100, help="problems to print (default 100)")
    p.add_argument("--all", action="store_true", help="print every problem")
    p.add_argument("--errors-csv", metavar="FILE", help="also save all problems to a CSV file")
    p.add_argument("--strict", action="store_true",
                   help="treat plausibility warnings as errors (exit 1 if there is any)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("db", help="SQLite store of a dataset")
    dbsub = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    b = dbsub.add_parser("build", help="validate a dataset and write it to one SQLite file",
                         description="Validate DATASET and write it, with the reference tables "
                         "and a schema version, to a SQLite file (all or nothing).")
    b.add_argument("dataset", help="dataset folder (or .sqlite file)")
    b.add_argument("--db", required=True, metavar="FILE.sqlite", help="database to write")
    b.add_argument("--max", type=_count, default=100, help="problems to print (default 100)")
    b.set_defaults(func=cmd_db_build)

    p = sub.add_parser("demo", help="write the illustrative demo dataset",
                       description="Generate the demo dataset (real municipalities and "
                       "populations, synthetic costs and activity) into a folder.")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the generator's)")
    p.set_defaults(func=cmd_demo)

    add_reports_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DatasetInUseError as e:  # not a problem of the data: try again when it is closed
        print(f"costing: {e}", file=sys.stderr)
        return 75  # EX_TEMPFAIL
    except BrokenPipeError:  # output piped into e.g. `head`, which has stopped reading
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 1


if __name__ == "__main__":
    sys.exit(main())
