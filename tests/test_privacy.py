"""Small-cell suppression and worker-id scanning (methodology 7.6, rule 7.19)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import costing as ct
from costing.privacy import suppression_reason


def test_suppress_small_cells_hand_example():
    # Counts 3, 5, 7 with N_min = 5: only the first row (3 < 5) is blanked; 5 is enough.
    df = pd.DataFrame({"municipality_code": ["A", "B", "C"], "year": [2024] * 3,
                       "n_workers": [3, 5, 7], "hours": [10.0, 20.0, 30.0], "cases": [1, 2, 3],
                       "status": ["red", "green", "amber"], "meets": [True, False, True]})
    out = ct.suppress_small_cells(df)
    assert out["suppressed"].tolist() == [True, False, False]
    assert out["suppression_reason"].tolist() == ["fewer than 5 workers", "", ""]
    assert np.isnan(out.loc[0, "hours"]) and np.isnan(out.loc[0, "cases"])
    assert pd.isna(out.loc[0, "status"]) and pd.isna(out.loc[0, "meets"])
    # keys and the count stay, the other rows are untouched
    assert out["municipality_code"].tolist() == ["A", "B", "C"]
    assert out["n_workers"].tolist() == [3, 5, 7]
    assert out.loc[1:, "hours"].tolist() == [20.0, 30.0]
    assert out.loc[1:, "status"].tolist() == ["green", "amber"]
    # the input is not modified
    assert df.loc[0, "hours"] == 10.0
    ct.assert_suppressed(out)


def test_suppress_small_cells_threshold_and_reason_follow_min_workers():
    df = pd.DataFrame({"n_workers": [2, 3], "x": [1.0, 2.0]})
    out = ct.suppress_small_cells(df, value_cols=["x"], min_workers=3)
    assert out["x"].isna().tolist() == [True, False]
    assert out.loc[0, "suppression_reason"] == suppression_reason(3) == "fewer than 3 workers"


@pytest.mark.parametrize("kwargs, match", [
    ({"count_col": "workers"}, "count column 'workers'"),
    ({"min_workers": 0}, "min_workers"),
    ({"value_cols": ["nope"]}, "nope"),
])
def test_suppress_small_cells_bad_arguments(kwargs, match):
    df = pd.DataFrame({"n_workers": [2], "x": [1.0]})
    with pytest.raises(ct.InputError, match=match):
        ct.suppress_small_cells(df, **kwargs)


def test_suppress_small_cells_rejects_missing_counts():
    with pytest.raises(ct.InputError, match="counts >= 0"):
        ct.suppress_small_cells(pd.DataFrame({"n_workers": [np.nan], "x": [1.0]}))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.floats(-1e6, 1e6, allow_nan=False)),
                min_size=1, max_size=30), st.integers(1, 10))
def test_suppression_property(rows, min_workers):
    df = pd.DataFrame(rows, columns=["n_workers", "value"])
    out = ct.suppress_small_cells(df, min_workers=min_workers)
    small = df["n_workers"] < min_workers
    assert out.loc[small, "value"].isna().all()
    assert (out.loc[~small, "value"] == df.loc[~small, "value"]).all()
    assert (out["suppressed"] == small).all()
    ct.assert_suppressed(out, min_workers=min_workers)


def test_assert_suppressed_catches_a_leak():
    leaky = pd.DataFrame({"n_workers": [4, 9], "share": [0.5, 0.6]})
    with pytest.raises(ct.PrivacyError, match="fewer than 5 workers"):
        ct.assert_suppressed(leaky)
    with pytest.raises(ct.PrivacyError, match="no worker count column"):
        ct.assert_suppressed(pd.DataFrame({"share": [0.5]}))


@pytest.mark.parametrize("obj", [
    "Report: W1001 spent 3 h",
    "<td>W42</td>",
    pd.DataFrame({"who": ["W7"], "x": [1]}),
    pd.DataFrame({"x": [1]}, index=["W0001"]),
    pd.DataFrame({"W12": [1]}),
    pd.Series(["a", "W3"]),
    {"cells": [{"outputs": [{"data": {"text/plain": "worker W55"}}]}]},
    ["fine", ("also fine", "W9")],
])
def test_worker_ids_are_found(obj):
    with pytest.raises(ct.PrivacyError, match="worker id"):
        ct.assert_no_worker_ids(obj)


@pytest.mark.parametrize("obj", [
    "W3C HTML, KW12 kilowatts, 12W power, W-1, Wales",
    pd.DataFrame({"municipality_code": ["LV0001000"], "activity_code": ["HOME_VISIT"],
                  "n_workers": [12]}),
    '<img src="data:image/png;base64,iVBORw0KGgo+W1234/AAA=">',
    {"outputs": [{"data": {"image/png": "AAAA W1234 AAAA", "text/plain": "<Figure>"}}]},
])
def test_no_false_alarms(obj):
    ct.assert_no_worker_ids(obj)


def test_message_masks_the_id():
    with pytest.raises(ct.PrivacyError) as err:
        ct.assert_no_worker_ids("W12345")
    assert "W12345" not in str(err.value) and "W1****" in str(err.value)


def test_scans_files(tmp_path):
    nb = {"cells": [{"cell_type": "code", "outputs": [{"text": "W77 was here"}]}]}
    (tmp_path / "a.ipynb").write_text(json.dumps(nb))
    (tmp_path / "b.html").write_text("<p>all clear</p>")
    with pytest.raises(ct.PrivacyError):
        ct.assert_no_worker_ids(tmp_path / "a.ipynb")
    ct.assert_no_worker_ids(tmp_path / "b.html")


def _published_outputs(ds, min_workers):
    """Every workload output of the mini dataset (2 municipalities of 3 workers each)."""
    return {
        "time use": ct.workload_summary(ds, by="municipality_code", n_boot=50,
                                        min_workers=min_workers),
        "caseload": ct.weighted_caseload(ds, min_workers=min_workers),
        "staff need": ct.staff_need(ds, available_hours=85.6, min_workers=min_workers),
        "activity cost": ct.activity_costs(ds, 2024, min_workers=min_workers),
        "case cost": ct.cost_per_case(ds, 2024, min_workers=min_workers),
    }


def test_nothing_leaks_for_a_municipality_with_too_few_workers(mini):
    # The mini dataset has 3 workers per municipality, fewer than MIN_WORKERS = 5.
    assert mini.workers.groupby(["year", "cost_centre_id"]).size().max() < ct.MIN_WORKERS
    published = _published_outputs(mini, ct.MIN_WORKERS)
    unsafe = _published_outputs(mini, 1)  # what would have been shown without the rule
    for name, table in published.items():
        assert table["suppressed"].all(), name
        ct.assert_suppressed(table)
        ct.assert_no_worker_ids(table)
        html = table.to_html() + table.to_csv()
        ct.assert_no_worker_ids(html)
        # no figure of the unsuppressed table appears in the published rendering
        raw = unsafe[name]
        numeric = [c for c in raw.columns if pd.api.types.is_float_dtype(raw[c])]
        for value in raw[numeric].to_numpy().ravel():
            if np.isfinite(value) and value not in (0.0, 1.0):
                assert f"{value:.4f}"[:-1] not in html, (name, value)
        if "status" in raw:
            assert not table["status"].notna().any()


def test_suppress_small_cells_needs_a_data_frame():
    with pytest.raises(ct.InputError, match="df must be a pandas DataFrame, got list"):
        ct.suppress_small_cells([1, 2])
