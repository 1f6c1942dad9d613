

# ---------------------------------------------------------------------------------
# Reading a table: the loader every kind's program uses. A table spec (a dict the
# planner writes from the profile) says where one table is: which input and sheet,
# the text dialect, where its header is, its column names and which of them hold
# numbers. Workbooks are read with calamine, text files with the sniffed dialect.
# ---------------------------------------------------------------------------------


def cell_text(value):
    """A header cell as text: None when empty, whole numbers without a fraction."""
    if value is None or pd.isna(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def header_matches(raw, row, col, cells):
    for offset, expected in enumerate(cells):
        if expected is None:
            continue
        if col + offset >= raw.shape[1] or cell_text(raw.iat[row, col + offset]) != expected:
            return False
    return True


def locate_header(raw, spec):
    """Where the header row is in the raw frame. Depending on the engine pandas keeps or
    drops leading empty rows and columns, so the profile's position is tried first, then
    the positions before it, then a few after."""
    header_row, first_col = spec["header_row"], spec["first_col"]
    rows = list(range(min(header_row, raw.shape[0] - 1), -1, -1))
    rows += list(range(header_row + 1, min(raw.shape[0], header_row + 20)))
    cols = list(range(min(first_col, raw.shape[1] - 1), -1, -1))
    for row in rows:
        for col in cols:
            if header_matches(raw, row, col, spec["header_cells"]):
                return row, col
    raise ValueError(
        "Could not find the header row of sheet " + repr(spec["sheet"]) + " in "
        + repr(spec["file"]) + " (expected the columns "
        + ", ".join(c for c in spec["header_cells"] if c) + ")."
    )


def read_input(path, spec, all_sheets=False):
    """The raw cells (no header) of the spec's sheet; with `all_sheets`, every sheet of
    the file by name (a text file has one, named as the spec names it)."""
    if spec["text"]:
        raw = pd.read_csv(
            path, sep=spec["sep"], quotechar=spec["quote"], encoding=spec["encoding"],
            header=None, dtype=str, keep_default_na=False, na_values=[""],
            skip_blank_lines=False,
        )
        return {spec["sheet"]: raw} if all_sheets else raw
    sheet = None if all_sheets else spec["sheet"]
    return pd.read_excel(path, sheet_name=sheet, header=None, engine="calamine")


def table_from_raw(raw, spec):
    """The table in the raw cells: the profile's column names, data rows below the
    header, numbers as numbers. With `keep_text`, a number column holding a cell that is
    not a number stays as it is (the Excel program writes the table back); otherwise such
    cells become empty."""
    columns = spec["columns"]
    if spec["header_row"] is None:
        # No header: the data starts where the profile found it, unless the engine
        # dropped the leading empty rows and columns.
        enough_rows = raw.shape[0] >= spec["first_row"] + spec["data_rows"]
        enough_cols = raw.shape[1] >= spec["first_col"] + len(columns)
        start = spec["first_row"] if enough_rows else 0
        col = spec["first_col"] if enough_cols else 0
    else:
        row, col = locate_header(raw, spec)
        start = row + 1
    table = raw.iloc[start:, col:col + len(columns)]
    table = table.reindex(columns=range(col, col + len(columns)))
    table.columns = columns
    table = table.dropna(how="all").reset_index(drop=True).infer_objects()
    for name in spec["numeric"]:
        # Text numbers as the profile read them ("1.234,5", "$1,200", "18%").
        values = numbers_in(table[name], spec["decimal"])
        if not spec["keep_text"]:
            table[name] = pd.to_numeric(values, errors="coerce")
            continue
        if (values.isna() & table[name].notna()).any():
            continue  # a cell that is not a number: the column stays as it is
        table[name] = pd.to_numeric(values)
    return table


# ---------------------------------------------------------------------------------
# Reading a table with its coordinates (the Excel program, which edits the workbook in
# place): every cell as the file holds it, text always text (no cell that reads `NA`,
# `None`, `null` or `#N/A` becomes missing; `00123` and long digit strings stay as
# typed), each data row indexed by its sheet row (1-based), each column with its
# letter. Workbooks are read with calamine with A1 at [0][0]; text files record by
# record with the sniffed dialect (blank lines skipped; the header is row 1).
# ---------------------------------------------------------------------------------


def column_letter(number):
    """A = 1, Z = 26, AA = 27."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


CURRENCY_SIGNS = ("US$", "$", "€", "£", "¥", "₹", "₽", "CHF")


def number_in_text(text, decimal):
    """The number a text cell reads as, or None: `decimal` is the decimal separator and
    the other of `.` and `,` separates thousands (in groups of three); a currency sign
    and a percent are read as the profile reads them ("$1,200", "-€5", "18%" is 0.18)."""
    text = text.strip()
    percent = text.endswith("%")
    if percent:
        text = text[:-1].rstrip()
    negative = text.startswith("-")
    if negative:
        text = text[1:].lstrip()
    for sign in CURRENCY_SIGNS:
        if text.startswith(sign):
            text = text[len(sign):].lstrip()
        elif text.endswith(sign):
            text = text[:-len(sign)].rstrip()
    if not negative and text.startswith("-"):
        negative, text = True, text[1:].lstrip()
    thousands = "," if decimal == "." else "."
    if thousands in text:
        groups = text.split(decimal)[0].split(thousands)
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            return None
        text = text.replace(thousands, "")
    if decimal != ".":
        text = text.replace(decimal, ".")
    if not text or not any(ch.isdigit() for ch in text):
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    number = -number if negative else number
    return number / 100 if percent else number


def numbers_in(values, decimal):
    """A column's cells as numbers where they read as one (text as `number_in_text`
    reads it); other cells None."""
    if values.dtype != object:
        return values
    if decimal == ".":
        try:
            return pd.to_numeric(values)  # plain numbers only: one pass
        except (ValueError, TypeError):
            pass
    return values.map(lambda v: number_in_text(v, decimal) if isinstance(v, str) else v)


def read_dates(values, dayfirst):
    """Dates from cells holding dates or date text, read day first where the profile
    found the column so ("01/02/2024" is 1 February); texts in another form than the
    first one's are read one by one; what reads as no date is empty."""
    dates = pd.to_datetime(values, errors="coerce", dayfirst=dayfirst)
    missed = dates.isna() & values.map(lambda v: isinstance(v, str) and v.strip() != "")
    if missed.any():
        dates[missed] = pd.to_datetime(values[missed], errors="coerce", format="mixed", dayfirst=dayfirst)
    return dates


def text_number(value, decimal):
    """A text file's cell in a number column: the number it reads as, else as it is."""
    number = number_in_text(value, decimal) if isinstance(value, str) else None
    return value if number is None else number


def read_cells(path, spec):
    """Every cell of the spec's sheet as a frame of objects, A1 at [0][0]; empty cells
    (and calamine's empty text for them) are None."""
    if spec["text"]:
        with open(path, encoding=spec["encoding"], newline="") as f:
            records = csv.reader(f, delimiter=spec["sep"], quotechar=spec["quote"])
            rows = [record for record in records if record]
    else:
        book = python_calamine.CalamineWorkbook.from_path(path)
        rows = book.get_sheet_by_name(spec["sheet"]).to_python(skip_empty_area=False)
    raw = pd.DataFrame(rows, dtype=object)
    return raw.mask(raw.isna() | (raw == ""), None)


# What `infer_dtype` says of a column that holds no date or date-time.
NO_DATES = ("empty", "string", "floating", "integer", "mixed-integer-float", "boolean", "decimal")


def with_timestamps(cells):
    """A column with its dates and date-times (calamine gives both kinds) as Timestamps,
    so that they compare with each other."""
    # One pass in C says whether the column can hold a date at all; most columns are
    # only numbers or only text, and a type check per cell costs seconds at 1M cells.
    if pd.api.types.infer_dtype(cells, skipna=True) in NO_DATES:
        return cells
    kinds = cells.map(type)
    dated = kinds.isin([datetime.datetime, datetime.date])
    if not dated.any():
        return cells
    cells = cells.copy()
    cells[dated] = [pd.Timestamp(v) for v in cells[dated]]
    return cells


def sheet_table(path, spec):
    """The table of the spec's sheet and where it is. The frame has the profile's column
    names and one row per data row that has a cell, indexed by its sheet row; `place`
    holds the table's range (1-based), each column's letter and the rows with no cell
    in the table (`blank`). In text files, cells of number columns that read as numbers
    are numbers; every other cell is as the file holds it."""
    raw = read_cells(path, spec)
    columns = spec["columns"]
    if raw.empty:
        raise ValueError("The sheet " + repr(spec["sheet"]) + " of " + repr(spec["file"]) + " is empty.")
    if spec["header_row"] is None:
        start, col = spec["first_row"], spec["first_col"]
    else:
        row, col = locate_header(raw, spec)
        start = row + 1
    width = len(columns)
    table = raw.iloc[start:, col:col + width].reindex(columns=range(col, col + width))
    table.columns = columns
    table.index = range(start + 1, start + 1 + len(table))
    table = table.astype(object).where(table.notna(), None)
    for name in columns:
        table[name] = with_timestamps(table[name])
    filled = table.notna().any(axis=1)
    last_row = int(filled[filled].index.max()) if filled.any() else start
    table = table.loc[:last_row]
    filled = filled.loc[:last_row]
    blank = [int(r) for r in filled.index[~filled.to_numpy()]]
    frame = table[filled.to_numpy()].copy()
    if spec["text"]:
        for name in spec["numeric"]:
            frame[name] = frame[name].map(lambda v: text_number(v, spec["decimal"]))
    place = {
        "sheet": spec["sheet"],
        "header_row": None if spec["header_row"] is None else start,
        "first_row": start + 1,
        "last_row": last_row,
        "first_col": col + 1,
        "last_col": col + width,
        "letters": {name: column_letter(col + 1 + i) for i, name in enumerate(columns)},
        "blank": blank,
        "blank_set": set(blank),
        "blank_frame": table.loc[blank].copy(),
    }
    return frame, place
