"""The demo dataset: a seeded generator of synthetic costs, staffing and activity for the real
municipalities, and the generated dataset itself (``dataset/``, shipped as package data).

``generator`` writes the tables; ``units`` plans each municipality's service centres and
``flows`` their money, staff, outputs and diaries. ``data/demo/README.md`` in the dataset folder
says which figures are real and which synthetic.
"""

from ..dataset import DEMO_DIR
from .generator import generate_demo, write_demo

__all__ = ["DEMO_DIR", "generate_demo", "write_demo"]
