"""Paths the tests share: the project checkout and the hand-made mini dataset."""

from pathlib import Path

#: The project checkout.
ROOT = Path(__file__).resolve().parents[1]
#: The hand-made valid dataset (2 municipalities, 2 years, every table).
MINI_DIR = Path(__file__).resolve().parent / "fixtures" / "mini"
