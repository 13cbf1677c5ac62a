"""A job's result rendered as JSON, YAML, XML, CSV or text (GET /api/v2/scan/jobs/{id}/result).

Each format is written by a library made for it (json, PyYAML, xmltodict, csv), so each parses back
with that library. CSV holds one table: the result's first array (depth first), each element a row,
nested fields flattened to dotted column names.
"""
from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

MEDIA_TYPES = {"json": "application/json", "yaml": "application/yaml", "xml": "application/xml",
               "csv": "text/csv", "text": "text/plain"}
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")
# What XML 1.0 cannot hold at all, not even as a character reference (its Char production).
_XML_UNSAFE = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# A cell a spreadsheet would run as a formula (OWASP's CSV injection list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render(data: dict, fmt: str) -> str:
    """The result as text in the format (one of MEDIA_TYPES)."""
    return {"json": _json, "yaml": _yaml, "xml": _xml, "csv": _csv, "text": _text}[fmt](data)


def _json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _yaml(data: dict) -> str:
    import yaml

    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _xml(data: dict) -> str:
    import xmltodict

    return xmltodict.unparse({"result": _xml_safe(data)}, pretty=True)


def _xml_safe(value: Any) -> Any:
    """Keys that are not XML names become <field name="...">, and so does a key named `field` beside
    them (else one would replace the other); lists repeat their element, a list in a list becomes
    an element of <item>s; text holds only characters XML 1.0 allows."""
    if isinstance(value, dict):
        out: dict = {}
        odd = []
        for k, v in value.items():
            if _XML_NAME.match(k) and not k.lower().startswith("xml"):
                out[k] = _xml_safe(v)
            else:
                odd.append(_named_field(k, v))
        if odd:
            if "field" in out:
                odd.insert(0, _named_field("field", value["field"]))
            out["field"] = odd
        return out
    if isinstance(value, list):
        return [{"item": _xml_safe(v)} if isinstance(v, list) else _xml_safe(v) for v in value]
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_UNSAFE.sub("\ufffd", str(value))


def _named_field(key: str, value: Any) -> dict:
    return {"@name": _XML_UNSAFE.sub("\ufffd", key),
            "#text" if not isinstance(value, (dict, list)) else "value": _xml_safe(value)}


def first_array(data: Any) -> tuple[str, list] | None:
    """The first list in the document, depth first, with its path."""
    if isinstance(data, list):
        return "", data
    if isinstance(data, dict):
        for key, value in data.items():
            found = first_array(value)
            if found is not None:
                return (f"{key}.{found[0]}" if found[0] else key), found[1]
    return None


def flatten(value: Any, prefix: str = "") -> dict:
    """{"a": {"b": 1}, "c": [1, 2]} -> {"a.b": 1, "c": "[1, 2]"}: nested objects by dotted names,
    lists as their JSON."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    key = prefix[:-1] if prefix else "value"
    if isinstance(value, list):
        return {key: json.dumps(value, ensure_ascii=False)}
    return {key: value}


def _csv(data: dict) -> str:
    found = first_array(data)
    rows = [flatten(r) for r in found[1]] if found else [flatten(data)]
    columns: list[str] = []
    for row in rows:
        columns.extend(c for c in row if c not in columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(c) for c in columns or ["value"]])
    writer.writerows([_cell(row.get(c, "")) for c in columns] for row in rows)
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, quoted with a leading apostrophe (the
    result is menu or page text: anyone could have printed "=HYPERLINK(...)"). Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _text(data: dict, indent: int = 0) -> str:
    """Readable lines: `key: value`, nested things indented under their key, list items with "- "."""
    lines: list[str] = []
    _text_lines(data, indent, lines)
    return "\n".join(lines) + "\n"


def _text_lines(value: Any, indent: int, lines: list[str], lead: str = "") -> None:
    pad = "  " * indent
    if isinstance(value, dict):
        first = True
        for k, v in value.items():
            head = lead if first else " " * len(lead)
            first = False
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{head}{k}:")
                _text_lines(v, indent + 1, lines)
            else:
                lines.append(f"{pad}{head}{k}: {_scalar(v)}")
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict) and v:
                _text_lines(v, indent, lines, lead="- ")
            else:
                lines.append(f"{pad}- {_scalar(v)}")
    else:
        lines.append(f"{pad}{lead}{_scalar(value)}")


def _scalar(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (list, dict)):
        return "(none)"
    return str(v)
