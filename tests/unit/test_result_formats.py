"""A result rendered as XML and CSV holds every value, parses back, and runs nothing in a spreadsheet."""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from common.profiles.formats import render


def _xml(data: dict) -> ET.Element:
    return ET.fromstring(render(data, "xml").encode())  # raises on XML that is not well-formed


def test_a_key_named_field_is_kept_beside_keys_that_are_not_xml_names():
    root = _xml({"field": "kept", "a b": "odd", "ok": "plain"})
    named = {f.get("name"): f.text for f in root.findall("field")}
    assert named == {"field": "kept", "a b": "odd"} and root.findtext("ok") == "plain"


def test_a_key_named_field_alone_stays_a_plain_element():
    assert _xml({"field": "only"}).findtext("field") == "only"


@pytest.mark.parametrize("value", ["bell\x07", "nul\x00", "vt\x0b and ff\x0c", "\ufffe", "esc\x1b[31m"])
def test_control_characters_in_values_and_keys_still_make_well_formed_xml(value):
    root = _xml({"note": value, value: "key"})
    assert "\ufffd" in root.findtext("note")
    assert [f.get("name") for f in root.findall("field")] == [root.findtext("note")]


def test_tabs_and_newlines_are_kept_as_they_are():
    assert _xml({"note": "a\tb\nc"}).findtext("note") == "a\tb\nc"


def test_a_list_of_lists_becomes_elements_not_python_repr():
    text = render({"rows": [[1, 2], ["a"], []]}, "xml")
    assert "[" not in text and "'" not in text
    rows = _xml({"rows": [[1, 2], ["a"]]}).findall("rows")
    assert [[i.text for i in row.findall("item")] for row in rows] == [["1", "2"], ["a"]]


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_cells_a_spreadsheet_would_run_are_quoted_with_an_apostrophe(cell):
    rows = list(csv.reader(io.StringIO(render({"items": [{"name": cell, "n": 1}]}, "csv"))))
    assert rows[1] == ["'" + cell, "1"]


def test_csv_headers_from_menu_text_are_quoted_too_and_numbers_stay_numbers():
    rows = list(csv.reader(io.StringIO(render({"items": [{"=cmd": "x", "price": -5, "plain": "ok"}]}, "csv"))))
    assert rows == [["'=cmd", "price", "plain"], ["x", "-5", "ok"]]
