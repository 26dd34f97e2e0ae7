"""The assessment's rows as CSV and XLSX files: the same rows and columns as the JSON, under a
header row of the columns' names (the label catalogue's, `dispatch.labels.headers`).

CSV starts with a UTF-8 byte-order mark, so spreadsheet programs read the units' Chinese names
right; an empty cell is a figure that does not exist yet (no case decided). Text drops what XML
cannot carry (openpyxl refuses it, and an XLSX is XML); a CSV text cell that would start a
formula gets an apostrophe first (`mobile_api.characters.for_csv`), and an XLSX text cell is
written as a string, never a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from mobile_api.characters import for_csv, for_xml


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return for_csv(value)
    return "" if value is None else value


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, for_xml(value))
    cell.data_type = "s"  # openpyxl makes a formula of any text starting with "="
    return cell


def to_csv(columns: Sequence[str], header: Sequence[str], rows: Sequence[dict[str, Any]]
           ) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(h) for h in header])
    for row in rows:
        writer.writerow([_cell(row[c]) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(columns: Sequence[str], header: Sequence[str], rows: Sequence[dict[str, Any]],
            title: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])  # Excel's limit on a sheet's name
    sheet.append([_xlsx_cell(sheet, h) for h in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, row[c]) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
