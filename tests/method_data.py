"""A small hand-checkable dataset for the costing-method tests (full cost, classification, prices).

Two municipalities, 2023:

* LV0001000 has an administration centre ``ADM``, a support centre ``SUP`` (transport) and two
  service centres: home care ``HC`` (client-hours) and long-term care ``LTC`` (bed-days).
* LV0002000 has a day centre ``DC`` with zero output and a social-work centre ``SW`` with
  output but no expenditure, to exercise the stated reasons.
"""

from __future__ import annotations

import pandas as pd

import costing as ct

M1, M2 = "LV0001000", "LV0002000"


def frames() -> dict[str, pd.DataFrame]:
    centres = pd.DataFrame(
        [
            (f"{M1}-ADM", M1, "Administration", "admin", "", "municipal", ""),
            (f"{M1}-SUP", M1, "Transport", "support", "", "municipal", ""),
            (f"{M1}-HC", M1, "Home care", "service", "HOME_CARE", "municipal", ""),
            (f"{M1}-LTC", M1, "Care home", "service", "LTC", "ngo", "20"),
            (f"{M2}-DC", M2, "Day centre", "service", "DAY_CARE", "municipal", "15"),
            (f"{M2}-SW", M2, "Social service", "service", "SOCIAL_WORK", "municipal", ""),
        ],
        columns=["cost_centre_id", "municipality_code", "name", "role", "service_code",
                 "provider_type", "places"],
    )
    exp = [
        (f"{M1}-ADM", "1100", 30_000), (f"{M1}-ADM", "1210", 7_077), (f"{M1}-ADM", "2230", 2_923),
        (f"{M1}-SUP", "1100", 8_000), (f"{M1}-SUP", "2320", 2_000),
        (f"{M1}-SUP", "5230", 50_000),  # a new vehicle: cash capital spending
        (f"{M1}-HC", "1100", 100_000), (f"{M1}-HC", "1210", 23_590), (f"{M1}-HC", "2210", 6_410),
        (f"{M1}-HC", "6200", 5_000),  # social benefit paid to clients
        (f"{M1}-LTC", "1100", 200_000), (f"{M1}-LTC", "1210", 47_180),
        (f"{M1}-LTC", "2360", 52_820),
        (f"{M1}-LTC", "7000", 1_000),  # a transfer
        (f"{M2}-DC", "1100", 20_000), (f"{M2}-DC", "2220", 4_000),
    ]
    expenditure = pd.DataFrame([(2023, c, e, a) for c, e, a in exp],
                               columns=["year", "cost_centre_id", "ekk_code", "amount_eur"])
    assets = pd.DataFrame(
        [
            ("A1", f"{M1}-LTC", "building", 2023, 1_000_000.0, 50.0, 0.0, ""),
            ("A2", f"{M1}-SUP", "vehicle", 2021, 30_000.0, 10.0, 3_000.0, ""),
            ("A3", f"{M1}-HC", "it", 2015, 5_000.0, 5.0, 0.0, ""),  # past its useful life
            ("A4", f"{M1}-HC", "equipment", 2019, 8_000.0, 10.0, 0.0, "2022"),  # disposed
        ],
        columns=["asset_id", "cost_centre_id", "asset_class", "acquisition_year",
                 "acquisition_cost_eur", "useful_life_years", "residual_value_eur",
                 "disposal_year"],
    )
    drivers = pd.DataFrame(
        [
            (2023, f"{M1}-ADM", f"{M1}-SUP", "fte", 1.0),
            (2023, f"{M1}-ADM", f"{M1}-HC", "fte", 5.0),
            (2023, f"{M1}-ADM", f"{M1}-LTC", "fte", 10.0),
            (2023, f"{M1}-SUP", f"{M1}-ADM", "hours", 10.0),
            (2023, f"{M1}-SUP", f"{M1}-HC", "hours", 60.0),
            (2023, f"{M1}-SUP", f"{M1}-LTC", "hours", 30.0),
        ],
        columns=["year", "from_centre_id", "to_centre_id", "driver", "quantity"],
    )
    outputs = pd.DataFrame(
        [
            (2023, f"{M1}-HC", "client_hour", 20_000.0, 80, 25_000.0),
            (2023, f"{M1}-LTC", "bed_day", 6_935.0, 22, 7_300.0),
            (2023, f"{M2}-DC", "client_day", 0.0, 0, 3_750.0),
            (2023, f"{M2}-SW", "case", 120.0, 110, ""),
        ],
        columns=["year", "cost_centre_id", "output_unit", "units", "clients", "capacity_units"],
    )
    tariffs = pd.DataFrame([(2023, f"{M1}-LTC", "bed_day", 40.0, 200_000.0)],
                           columns=["year", "cost_centre_id", "output_unit", "tariff_eur",
                                    "revenue_eur"])
    return {"cost_centres": centres, "expenditure": expenditure, "assets": assets,
            "drivers": drivers, "outputs": outputs, "tariffs": tariffs}


def small_dataset(**replace: pd.DataFrame) -> ct.Dataset:
    """The dataset above, validated by the loader; ``replace`` swaps whole tables."""
    f = frames()
    f.update(replace)
    return ct.dataset_from_frames(f)


class TablesOnly:
    """A minimal dataset object: tables as attributes and in ``.tables`` (no validation)."""

    def __init__(self, **tables):
        self.tables = tables

    def __getattr__(self, name):
        try:
            return self.__dict__["tables"][name]
        except KeyError:
            raise AttributeError(name) from None
