"""The characters free text may hold (`mobile_api.characters`): what is refused on the way in,
what every writer of XML, CSV and XLSX drops or neutralizes on the way out, and that every
string field of a request model goes through the one check."""

from __future__ import annotations

import csv
import io
import types
import typing
import xml.etree.ElementTree as ET
from typing import Annotated, Any, get_args, get_origin

import pytest
from openpyxl import load_workbook
from pydantic import BaseModel

from mobile_api import characters, schemas
from mobile_api.exports import to_csv, to_xlsx
from mobile_api.open311.render import errors, render
from mobile_api.validation import field_errors

ALLOWED_C0 = "\t\n\r"
C0_REFUSED = [chr(c) for c in range(0x20) if chr(c) not in ALLOWED_C0]
REFUSED = [*C0_REFUSED, "\x7f", "\ufffe", "\uffff"]
NOT_XML = [*C0_REFUSED, "\ud800", "\udbff", "\udc00", "\udfff", "\ufffe", "\uffff"]
KEPT = ["路被堵了", " ", "\x80", "\x85", "\x9f", "\u00a0", "\u2028", "\u202e", "\ufeff", "\ufffd",
        "\ufdd0", "\U0001f6a7", "\U0010fffd", "\U0010ffff", "' OR '1'='1", "<&>\"'"]


def _hex(char: str) -> str:
    return f"U+{ord(char):04X}"


# -- on the way in -------------------------------------------------------------------------------
@pytest.mark.parametrize("char", REFUSED, ids=_hex)
@pytest.mark.parametrize("one_line", [False, True])
def test_every_c0_control_but_tab_lf_cr_del_and_the_xml_non_characters_are_refused(char,
                                                                                   one_line):
    for value in (char, f"a{char}b", f"路{char}", f"{char}路"):
        why = characters.problem(value, one_line)
        assert why is not None and _hex(char) in why, (value, why)


@pytest.mark.parametrize("char", list(ALLOWED_C0), ids=_hex)
def test_tab_lf_and_cr_are_free_texts_own_and_refused_in_one_line(char):
    assert characters.problem(f"第一行{char}第二行") is None
    why = characters.problem(f"第一行{char}第二行", one_line=True)
    assert why is not None and _hex(char) in why and "one-line" in why


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_and_unusual_but_writable_text_is_accepted(text):
    assert characters.problem(text) is None
    assert characters.problem(text, one_line=True) is None


def test_the_message_names_the_first_refused_character():
    assert characters.problem("a\x0bb\x01") == (
        "contains a control character (U+000B), which is not accepted")
    assert characters.problem("a\x7f") == "contains a DEL character (U+007F), which is not accepted"
    assert characters.problem("x\uffff") == (
        "contains a non-character (U+FFFF), which is not accepted")
    assert characters.problem("a\nb", one_line=True) == (
        "contains a line break (U+000A), which is not accepted in a one-line field")


# -- one check for every string of a request -----------------------------------------------------
# A sign-in's user name and password are matched, never stored or written out; the user name's
# spelling is sign-in's own (its normalization), not a text rule.
EXEMPT = {("TokenRequest", "username"), ("TokenRequest", "password")}


def _checks() -> list[Any]:
    """The validators of `schemas.FreeText` and `schemas.OneLine`."""
    return [m for name in ("FreeText", "OneLine") for m in get_args(getattr(schemas, name))[1:]]


def _unchecked_str(tp: Any, checked: bool) -> bool:
    """Whether a `str` is reachable in `tp` without one of the text checks on its way."""
    if tp is str:
        return not checked
    if get_origin(tp) is Annotated:
        base, *meta = get_args(tp)
        return _unchecked_str(base, checked or any(m in _checks() for m in meta))
    if get_origin(tp) is typing.Literal or (isinstance(tp, type) and issubclass(tp, BaseModel)):
        return False  # a Literal's values are fixed; a nested model is checked on its own
    if get_origin(tp) in (typing.Union, types.UnionType, list, tuple, dict):
        return any(_unchecked_str(a, checked) for a in get_args(tp) if a is not Ellipsis)
    return False


def _request_models() -> list[type[schemas.Strict]]:
    return [v for v in vars(schemas).values()
            if isinstance(v, type) and issubclass(v, schemas.Strict) and v is not schemas.Strict]


def test_every_string_field_of_every_request_model_goes_through_the_text_check():
    found = []
    for model in _request_models():
        for name, info in model.model_fields.items():
            checked = any(m in _checks() for m in info.metadata)
            if _unchecked_str(info.annotation, checked) and (model.__name__, name) not in EXEMPT:
                found.append(f"{model.__name__}.{name}")
    assert found == []
    assert len(_request_models()) >= 15  # the walk sees the models


def test_the_walk_would_see_an_unchecked_field():
    class Probe(schemas.Strict):
        a: Annotated[str, schemas.Field(max_length=3)] | None = None
        b: list[schemas.OneLine] = []

    assert _unchecked_str(Probe.model_fields["a"].annotation, False)
    assert not _unchecked_str(Probe.model_fields["b"].annotation, False)


@pytest.mark.parametrize("model,field,data", [
    (schemas.NoteRequest, "note", {"note": "done\x0b"}),   # trailing: refused, not stripped
    (schemas.NoteRequest, "note", {"note": "\x0cdone"}),
    (schemas.SiteCreate, "name", {"name": "厂\t区", "location": {"lat": 35.0, "lon": 112.6}}),
    (schemas.IncidentListQuery, "unit", {"unit": "a\x1fb"}),
    (schemas.AssignRequest, "person", {"unit": "u", "person": "p\x7f",
                                       "due": "2026-11-27T10:00:00+08:00"}),
])
def test_a_model_refuses_naming_the_field(model, field, data):
    with pytest.raises(schemas.ValidationError) as caught:
        model.model_validate(data)
    [error] = field_errors(caught.value)
    assert error.field == field and "U+" in error.message, error


def test_a_model_keeps_tab_lf_cr_inside_free_text():
    assert schemas.NoteRequest.model_validate({"note": " a\tb\r\nc "}).note == "a\tb\r\nc"


# -- on the way out: XML -------------------------------------------------------------------------
@pytest.mark.parametrize("char", NOT_XML, ids=_hex)
def test_what_xml_cannot_carry_is_dropped(char):
    assert characters.for_xml(f"a{char}b{char}") == "ab"


def test_xml_keeps_everything_else_of_the_whole_code_space():
    everything = "".join(chr(c) for c in range(0x110000))
    kept = characters.for_xml(everything)
    assert len(everything) - len(kept) == len(NOT_XML) - 4 + 0x800  # all surrogates go
    assert set(everything) - set(kept) == set(NOT_XML) | {chr(c) for c in range(0xD800, 0xE000)}
    data, _ = render("xml", "service_requests", [{"description": kept}])
    assert ET.fromstring(data).findtext("request/description") == kept.replace("\r", "\n")


def test_a_rendered_xml_list_parses_whatever_its_text_holds():
    hostile = "停电\x0b了" + "".join(NOT_XML) + "\x7f<&>"
    data, _ = render("xml", "service_requests", [
        {"service_request_id": "a\x01", "description": hostile, "status_notes": "\x1f修好\uffff"},
        {"description": "正常"}])
    root = ET.fromstring(data)
    [first, second] = root.findall("request")
    assert first.findtext("description") == "停电了\x7f<&>"
    assert first.findtext("status_notes") == "修好" and first.findtext("service_request_id") == "a"
    assert second.findtext("description") == "正常"
    body, _ = errors("xml", 400, ["attribute[a\x0bb]: no such attribute"])
    assert ET.fromstring(body).findtext("error/description") == "attribute[ab]: no such attribute"


# -- on the way out: CSV and XLSX ----------------------------------------------------------------
@pytest.mark.parametrize("start", list(characters.FORMULA_START))
def test_a_csv_cell_never_starts_a_formula(start):
    assert characters.for_csv(f"{start}1+1") == f"'{start}1+1"
    assert characters.for_csv(f"\x0b{start}cmd") == f"'{start}cmd"  # dropped, then neutralized
    assert characters.for_csv(f"a{start}b") == f"a{start}b"


@pytest.mark.parametrize("char", NOT_XML, ids=_hex)
def test_what_a_workbook_cannot_carry_is_dropped_from_a_cell(char):
    assert characters.for_csv(f"{char}单位{char}") == "单位"


COLUMNS = ("rank", "unit", "name", "kind", "score")
HOSTILE_ROW = {"rank": 1, "unit": "@zz", "kind": "-1+2\x01", "score": -0.5,
               "name": '=HYPERLINK("http://x","点")\x0b' + "".join(NOT_XML)}


def test_csv_neutralizes_formulas_and_drops_control_characters():
    data = to_csv(COLUMNS, COLUMNS, [HOSTILE_ROW])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [list(COLUMNS), ["1", "'@zz", '\'=HYPERLINK("http://x","点")', "'-1+2",
                                    "-0.5"]]


def test_xlsx_opens_and_holds_text_as_text_never_a_formula():
    sheet = load_workbook(io.BytesIO(to_xlsx(COLUMNS, COLUMNS, [HOSTILE_ROW], "units"))).active
    header, row = list(sheet.iter_rows())
    assert [c.value for c in header] == list(COLUMNS)
    assert [c.value for c in row] == [1, "@zz", '=HYPERLINK("http://x","点")', "-1+2", -0.5]
    assert [c.data_type for c in row] == ["n", "s", "s", "s", "n"]
