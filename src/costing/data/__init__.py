"""The data layer: the comparative dataset, its schema and validation, the stores, territory
changes and the demo dataset.

Nothing here implements the costing method; every higher layer (method, workload, benchmark,
report) reads its tables through :class:`Dataset`.
"""

from .dataset import (
    PROJECT_ROOT,
    Dataset,
    dataset_from_frames,
    demo_dataset,
    load_dataset,
    reference_table,
)
from .demo import generate_demo, write_demo
from .schema import SCHEMAS
from .store import build_database, write_sqlite
from .territory import harmonise_territory, territory_map

__all__ = [
    "PROJECT_ROOT", "SCHEMAS", "Dataset", "build_database", "dataset_from_frames",
    "demo_dataset", "generate_demo", "harmonise_territory", "load_dataset", "reference_table",
    "territory_map", "write_demo", "write_sqlite",
]
