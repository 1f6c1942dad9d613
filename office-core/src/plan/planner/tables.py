

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
        values = table[name]
        if spec["decimal"] != "." and values.dtype == object:
            # Text numbers with a decimal comma: drop thousands dots, then read the comma.
            values = values.str.replace(".", "", regex=False).str.replace(spec["decimal"], ".", regex=False)
        if not spec["keep_text"]:
            table[name] = pd.to_numeric(values, errors="coerce")
            continue
        try:
            table[name] = pd.to_numeric(values)
        except (ValueError, TypeError):
            continue  # a cell that is not a number: the column stays as it is
    return table
