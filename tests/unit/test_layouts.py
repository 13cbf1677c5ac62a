"""The layout generator (devstack/layouts) and its scoring: the offline engine's yardstick."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from devstack import layouts
from devstack.layouts.content import Dish
from devstack.layouts.score import score

ROOT = Path(__file__).resolve().parents[2]


def test_the_evaluation_seeds_are_the_ones_fixed_before_the_engine_changed_and_never_development_seeds():
    assert layouts.EVAL_SEEDS == tuple(range(9100, 9108))
    assert layouts.FRESH_SEEDS == tuple(range(9300, 9308))
    assert layouts.SEVENTH_SEEDS == tuple(range(10100, 10108))
    held = {seed for seeds in layouts.HELD_SEEDS.values() for seed in seeds}
    dev = layouts.dev_seeds(1200, start=9000)
    assert len(dev) == 1200 and not set(dev) & held and held >= set(layouts.SEVENTH_SEEDS)


def test_a_seed_draws_the_same_page_every_time():
    a, b = layouts.generate("nested", 5), layouts.generate("nested", 5)
    assert a.image.tobytes() == b.image.tobytes() and a.dishes == b.dishes
    assert layouts.generate("nested", 6).image.tobytes() != a.image.tobytes()


@pytest.mark.parametrize("family", list(layouts.FAMILIES))
def test_every_family_draws_pages_of_dishes_in_its_own_shape(family):
    page = layouts.generate(family, 1)
    truth = [d for d in page.dishes if not d.optional]
    assert len(truth) >= 3 and len({d.name for d in truth}) == len(truth)
    assert page.landscape == (page.image.size == (2000, 1500))
    if family == "landscape":
        assert page.landscape
    if family == "price-less":
        assert all(d.amount is None for d in truth)


def _item(name, price=None):
    return SimpleNamespace(original_name=name, price_value=price)


def test_recall_counts_exact_names_and_precision_counts_real_dishes_however_slightly_misread():
    dishes = [Dish("Pad Thai", "$12", 12.0), Dish("Green Curry", "$14", 14.0), Dish("Massaman Curry", "$15", 15.0),
              Dish("Set Menu A", "$40", 40.0, optional=True), Dish("宮保雞丁", "", None, aliases=("Kung Pao Chicken",))]
    items = [_item("Pad Thai", 12.0), _item("Green Curyy", 14.0), _item("STARTERS"), _item("Set Menu A", 40.0),
             _item("Kung Pao Chicken"), _item("Pad Thai", 12.0), _item("Massaman Curry", 51.0)]
    s, missed, junk = score(dishes, items)
    assert (s.dishes, s.found, s.items, s.real, s.exact) == (4, 3, 6, 4, 3)
    assert missed == ["Green Curry"] and junk == ["STARTERS", "Pad Thai"]  # a dish returned twice counts once
    assert (s.priced, s.price_right) == (2, 1)


def test_the_benchmark_refuses_to_list_misses_on_the_evaluation_seeds():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "offline_layouts.py"), "--verbose"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "only with --dev" in out.stderr
