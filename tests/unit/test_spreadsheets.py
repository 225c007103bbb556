"""Cells a spreadsheet would run as formulas are neutralised; others are kept."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from web.usecases.spreadsheets import csv_bytes, neutralise, xlsx_bytes

STARTS = ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"]


@pytest.mark.parametrize("text", STARTS)
def test_a_cell_starting_like_a_formula_is_prefixed(text: str):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["a=1", "1-2", "", " =1", 3, -3, 2.5, None])
def test_other_cells_are_kept(value: object):
    assert neutralise(value) == value  # type: ignore[arg-type]


def test_csv_is_what_french_excel_opens():
    body = csv_bytes(["a", "b"], [["=1+1", 2], ["x;y", None]])

    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig") == 'a;b\r\n\'=1+1;2\r\n"x;y";\r\n'
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows == [["a", "b"], ["'=1+1", "2"], ["x;y", ""]]


def test_xlsx_stores_text_as_strings_never_formulas():
    body = xlsx_bytes("sheet", ["a"], [[text] for text in STARTS] + [[4]])

    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # XML reads a carriage return back as a line feed; the cell stays a string.
    kept = [text.replace("\r", "\n") for text in STARTS]
    assert [cell.value for cell in cells] == [*kept, 4]
    assert {cell.data_type for cell in cells[:-1]} == {"s"}
    assert cells[-1].data_type == "n"
