"""Scan profiles without a stack: recipe lines, schema checks and inference, the result's formats."""
from __future__ import annotations

import csv
import io

import pytest

from tests.support import BAD_PROFILES, WINE_LIST


@pytest.mark.parametrize("line, expected", [
    ("2 cups flour", (2, None, "cup", "flour")),
    ("1 1/2 tsp baking powder", (1.5, None, "tsp", "baking powder")),
    ("1½ cups sugar", (1.5, None, "cup", "sugar")),
    ("½ cup milk", (0.5, None, "cup", "milk")),
    ("0,5 kg potatoes", (0.5, None, "kg", "potatoes")),
    ("2-3 cloves garlic, minced", (2, 3, "clove", "garlic, minced")),
    ("2 to 3 tbsp olive oil", (2, 3, "tbsp", "olive oil")),
    ("3 eggs", (3, None, None, "eggs")),
    ("1 garlic clove", (1, None, None, "garlic clove")),  # "g" of garlic is not grams
    ("Salt, to taste", (None, None, "to taste", "Salt")),
    ("砂糖 大さじ2", (2, None, "tbsp", "砂糖")),
    ("しょうゆ 小さじ1/2", (0.5, None, "tsp", "しょうゆ")),
    ("卵 2個", (2, None, "個", "卵")),
    ("塩 少々", (None, None, "pinch", "塩")),
    ("麵粉 200克", (200, None, "g", "麵粉")),
    ("醬油 2大匙", (2, None, "tbsp", "醬油")),
    ("雞蛋 3～4個", (3, 4, "個", "雞蛋")),
    ("Ｈ２Ｏ", None),
])
def test_an_ingredient_line_gives_its_quantity_range_unit_and_item_in_either_order(line, expected):
    from common.engines.local.recipe import ingredient

    got = ingredient(line)
    assert (got and (got["quantity"], got["quantity_max"], got["unit"], got["item"])) == expected


def test_a_recipe_card_gives_title_servings_times_ingredients_and_steps_with_continuations():
    from common.engines.local.recipe import Text, parse

    out = parse([Text("Pancakes", 60), Text("Serves 4 · Prep 10 min · Cook 1 hr 5 min", 30), Text("Ingredients", 40),
                 Text("2 cups flour", 30), Text("2 eggs", 30), Text("Method", 40), Text("1. Mix the flour", 30),
                 Text("and the eggs.", 30), Text("2) Fry.", 30)])
    assert (out["title"], out["servings"], out["prep_minutes"], out["cook_minutes"], out["total_minutes"]) == \
        ("Pancakes", 4, 10, 65, 75)
    assert [i["item"] for i in out["ingredients"]] == ["flour", "eggs"]
    assert out["steps"] == ["Mix the flour and the eggs.", "Fry."]


def test_a_schema_is_inferred_from_an_example_with_keys_required_and_array_items_merged():
    from common.profiles.schemas import infer_schema

    schema = infer_schema({"shop": "Bar", "rating": 4.5, "wines": [{"name": "A", "year": 2019},
                                                                   {"name": "B", "notes": None}]})
    assert schema["required"] == ["rating", "shop", "wines"] and schema["properties"]["rating"] == {"type": "number"}
    items = schema["properties"]["wines"]["items"]
    assert items["required"] == ["name"] and set(items["properties"]) == {"name", "year", "notes"}


def test_csv_is_the_first_array_with_nested_fields_as_dotted_columns():
    from common.profiles.formats import render

    data = {"shop": {"name": "Bar"}, "wines": [{"name": "A", "region": {"country": "ES"}, "grapes": ["x", "y"]},
                                               {"name": "B", "extra": 1}]}
    rows = list(csv.DictReader(io.StringIO(render(data, "csv"))))
    assert rows == [{"name": "A", "region.country": "ES", "grapes": '["x", "y"]', "extra": ""},
                    {"name": "B", "region.country": "", "grapes": "", "extra": "1"}]


def test_an_inferred_schema_accepts_its_own_example_whatever_its_arrays_mix():
    from common.profiles.schemas import check_schema, infer_schema, validate_result

    for example in ({"prices": [12, 14.5]}, {"w": [{"a": 1}, {"a": "one"}]}, {"rows": [[1, 2], ["a"]]},
                    {"w": [{"n": {"x": 1, "y": 2}}, {"n": {"x": 3}}]}):
        assert validate_result(example, check_schema(infer_schema(example))) == [], example


@pytest.mark.parametrize("body, needle", BAD_PROFILES)
def test_a_bad_profile_version_is_refused_naming_the_problem(body, needle):
    from common.core.errors import BadRequest
    from common.profiles.requests import VersionRequest

    with pytest.raises(BadRequest) as refused:
        VersionRequest.from_json({**WINE_LIST, **body})
    assert refused.value.status == 400 and needle in refused.value.message


def test_a_result_renders_in_each_format_and_each_parses_back_with_its_own_library():
    import json

    import xmltodict
    import yaml

    from common.profiles.formats import render

    wines = {"wines": [{"name": "Rioja", "vintage": 2019, "region": {"country": "Spain"}},
                       {"name": "Barolo", "vintage": 2016, "region": {"country": "Italy"}}]}
    assert json.loads(render(wines, "json")) == wines and yaml.safe_load(render(wines, "yaml")) == wines
    xml = xmltodict.parse(render(wines, "xml"))["result"]["wines"]
    assert [(w["name"], int(w["vintage"]), w["region"]["country"]) for w in xml] == \
        [("Rioja", 2019, "Spain"), ("Barolo", 2016, "Italy")]
    assert list(csv.DictReader(io.StringIO(render(wines, "csv")))) == \
        [{"name": "Rioja", "vintage": "2019", "region.country": "Spain"},
         {"name": "Barolo", "vintage": "2016", "region.country": "Italy"}]
    assert "- name: Rioja" in render(wines, "text")
