

# ---------------------------------------------------------------------------------
# What every Excel program's steps use: cells read as numbers, dates or folded text,
# the sheet's coordinates (each row's sheet row is the frame's index, each column has
# its letter), and the edit script the program writes instead of a workbook. The
# program never writes the workbook: the trusted side applies the script in place.
# Each operation adds the functions its steps call.
# ---------------------------------------------------------------------------------


def is_number(value):
    """A cell that holds a number (not a boolean, not missing)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, (int, float, np.integer, np.floating)) and not pd.isna(value)


def number_of(value):
    """A cell as a number: numbers as they are, text that reads as a number as that
    number, anything else missing."""
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        number = number_in_text(value, TABLE["decimal"])
        return np.nan if number is None else number
    return np.nan


def as_number(values):
    """Numbers; cells that do not hold a number become empty."""
    if pd.api.types.infer_dtype(values, skipna=True) in ONLY_NUMBERS:
        # Only numbers and empty cells (no text, no boolean): read in one pass, as
        # `number_of` reads each.
        return values.astype(float)
    return pd.to_numeric(values.map(number_of), errors="coerce")


# What `infer_dtype` says of a column of numbers (and empty cells) only.
ONLY_NUMBERS = ("floating", "integer", "mixed-integer-float")


def as_date(values):
    """Dates; cells that do not hold a date become empty."""
    dates = values.map(lambda v: v if isinstance(v, (pd.Timestamp, str)) else None)
    return read_dates(dates, values.name in TABLE["dayfirst"])


def as_text(values):
    """Text with surrounding spaces stripped and case folded, so comparisons ignore both."""
    return values.astype("string").str.strip().str.casefold()


def text_key(value):
    return str(value).strip().casefold()


def output_path(name):
    return OUTPUT_DIR.rstrip(os.sep) + os.sep + name


# ---------------------------------------------------------------------------------
# Coordinates and formulas. References to the data sheet are absolute and point at
# the output's rows: the kept rows move up to the top of the table, in output order.
# ---------------------------------------------------------------------------------


def sheet_prefix(name):
    """`Sales!` or `'My Sheet'!`: quoted unless the name is a plain word that cannot
    be read as a cell reference."""
    plain = name.replace("_", "a").isalnum() and name.isascii() and not name[0].isdigit()
    upper = name.upper()
    letters = upper.rstrip("0123456789")
    reads_as_cell = letters != upper and len(letters) <= 3 and letters.isalpha()
    r1c1 = upper[:1] in ("R", "C") and all(ch in "RC0123456789" for ch in upper)
    reads_as_cell = reads_as_cell or r1c1 or upper in ("TRUE", "FALSE")
    if plain and not reads_as_cell:
        return name + "!"
    return "'" + name.replace("'", "''") + "'!"


def ref(name):
    """A computed column's reference to `name` on its own row: `F{r}`."""
    return PLACE["letters"][name] + "{r}"


def data_range(name):
    """The absolute range of column `name` over the output's data rows (the kept rows;
    rows with no cell in the table, moved to its end, are left out when rows moved)."""
    letter = PLACE["letters"][name]
    first = PLACE["first_row"]
    return (sheet_prefix(OUTPUT_SHEET) + "$" + letter + "$" + str(first) + ":$" + letter
            + "$" + str(first + PLACE["range_rows"] - 1))


def output_rows(frame):
    """The input's rows in output order: unchanged when no step moved or removed a row,
    else the kept rows, then the rows with no cell in the table."""
    unchanged = [r for r in range(PLACE["first_row"], PLACE["last_row"] + 1)
                 if r not in PLACE["blank_set"]]
    if [int(r) for r in frame.index] == unchanged:
        PLACE["range_rows"] = PLACE["last_row"] - PLACE["first_row"] + 1
        PLACE["blanks_in_range"] = bool(PLACE["blank"])
        return list(range(PLACE["first_row"], PLACE["last_row"] + 1))
    PLACE["range_rows"] = len(frame)
    PLACE["blanks_in_range"] = False
    return [int(r) for r in frame.index] + PLACE["blank"]


# ---------------------------------------------------------------------------------
# The edit script (`edits.json`): rows kept in output order, columns added with their
# formula and cached values, new sheets with formulas over the output rows.
# ---------------------------------------------------------------------------------


def cell_value(value):
    """A cell for the script: numbers as numbers, text exactly as read, dates as
    {"date": ISO}, errors as {"error": ...}, empty as None."""
    if isinstance(value, dict) or value is None:
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (np.datetime64, datetime.datetime, datetime.date)):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        if value == value.normalize():
            return {"date": value.strftime("%Y-%m-%d")}
        return {"date": value.isoformat()}
    if is_number(value):
        if np.isinf(value):
            return None
        number = float(value)
        return int(number) if number.is_integer() and abs(number) < 2 ** 53 else number
    if pd.isna(value):
        return None
    return str(value)


def formula_ready(frame, rows_then):
    """Whether a formula over the output rows sees exactly the rows a step computed
    on: no row the step saw was removed (or one added) by a later step."""
    return set(frame.index) == rows_then


def only_numbers(values):
    """Every cell a number or empty: Excel's SUMIFS and AVERAGE read them as pandas did."""
    return all(v is None or is_number(v) for v in values)


def only_dates(values):
    return all(v is None or isinstance(v, pd.Timestamp) for v in values)


def cell_kind(value):
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if is_number(value):
        return "number"
    if isinstance(value, pd.Timestamp):
        return "date"
    if isinstance(value, str):
        return "text"
    return "other"


def safe_criteria(cells):
    """Whether criteria taken from these cells (`SUMIFS(..., A2)`) pick exactly the cells
    equal to them, as pandas groups them: one kind of value, and for text no wildcard,
    no comparison sign or error-like `#...`, nothing Excel reads as a number or a date,
    no two keys that differ only in case (criteria ignore case)."""
    present = [v for v in cells if v is not None]
    kinds = {cell_kind(v) for v in present}
    if len(kinds) > 1 or "other" in kinds:
        return False
    if kinds != {"text"}:
        return True
    folded = set()
    for text in set(present):
        digits = any(ch.isdigit() for ch in text)
        value_like = digits and all(ch.isdigit() or ch in " -+/.,:%$eE" for ch in text)
        if (len(text) > 255 or any(ch in text for ch in "*?~") or text[:1] in "<>=#"
                or value_like or text.strip().upper() in ("TRUE", "FALSE")
                or text.casefold() in folded):
            return False
        folded.add(text.casefold())
    return True


def values_note(step, why):
    """Says in the step that a new sheet holds values, not formulas, and why."""
    if step is not None and "(values" not in steps[step]:
        steps[step] += " (values, not formulas: " + why + ")"


def first_error(error, where, value):
    """Sets the error `value` in the rows `where` that have no error yet."""
    rows = error.isna() & where
    error[rows] = [{"error": value}] * int(rows.sum())


def append_column(frame, name, values, formula, number_format=None):
    """`frame` with a column `name` right of the table holding `values` (one per row of
    the table and of the blank rows inside it), written as `formula` (None: values; a
    function of the final frame: decided when the edits are written)."""
    rows_index = values.index
    frame = frame.copy()
    frame[name] = values.loc[frame.index]
    PLACE["blank_frame"][name] = values.loc[PLACE["blank_frame"].index]
    PLACE["letters"][name] = column_letter(PLACE["last_col"] + len(added) + 1)
    errors = pd.Series([None] * len(rows_index), index=rows_index, dtype=object)
    cached = pd.Series([cell_value(v) for v in values], index=rows_index, dtype=object)
    column = {"header": name, "formula": formula, "values": cached, "errors": errors}
    if number_format is not None:
        column["number_format"] = number_format
    added.append(column)
    return frame


def add_column(frame, name, formula, inputs, compute, step):
    """A column right of the table: the formula per row (`formula`, parts joined, `{r}`
    the row) and its values as Excel computes them: an empty cell is 0, text that is not
    a number gives #VALUE!, a division by zero #DIV/0!, an error in a column added
    before stays that error. Where any row would be an error, the formula is wrapped in
    IFERROR(..., "") and those rows are empty, as the step says: the job adds no error
    to the workbook. Later steps see the numbers (errors as empty)."""
    rows = pd.concat([frame, PLACE["blank_frame"]])
    error = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    numbers = {}
    for column in inputs:
        cells = rows[column]
        earlier = [c["errors"] for c in added if c["header"] == column]
        if earlier:
            inherited = earlier[0].loc[rows.index]
            inherits = error.isna() & inherited.map(lambda v: isinstance(v, dict))
            error[inherits] = inherited[inherits]
        read = cells.map(number_of)
        not_a_number = cells.map(lambda v: isinstance(v, str) and v.strip() != "") & read.isna()
        first_error(error, not_a_number, "#VALUE!")
        numbers[column] = read.fillna(0.0).astype(float)
    with np.errstate(all="ignore"):
        result = pd.Series(compute(numbers), index=rows.index, dtype=float)
    first_error(error, ~np.isfinite(result), "#DIV/0!")
    template = "".join(formula)
    cached = result.map(cell_value).astype(object)
    errors = int(error.notna().sum())
    if errors:
        template = "=IFERROR(" + template[1:] + ',"")'
        cached[error.notna()] = [""] * errors
        kinds = sorted({e["error"] for e in error.dropna()})
        rows_word = " row" if errors == 1 else " rows"
        steps[step] += " (empty in " + str(errors) + rows_word + " where Excel gives " + " or ".join(kinds) + ")"
    numbers_only = result.where(error.isna())
    frame = frame.copy()
    frame[name] = numbers_only.loc[frame.index]
    PLACE["blank_frame"][name] = numbers_only.loc[PLACE["blank_frame"].index]
    PLACE["letters"][name] = column_letter(PLACE["last_col"] + len(added) + 1)
    added.append({"header": name, "formula": template, "values": cached, "errors": error})
    return frame


AGGREGATES = {"sum": lambda g: g.sum(), "mean": lambda g: g.mean(), "median": lambda g: g.median(),
              "min": lambda g: g.min(), "max": lambda g: g.max()}


def grouped_by(frame, group, value, func, sort, dates):
    """The aggregate per group of `group`, as pandas computes it."""
    by = frame[group]
    if value is None:
        return by.groupby(by, dropna=False, sort=sort).size()
    if func == "count":
        present = frame[value].map(lambda v: v is not None)
        return present.groupby(by, dropna=False, sort=sort).sum()
    convert = as_date if dates else as_number
    return AGGREGATES[func](convert(frame[value]).groupby(by, dropna=False, sort=sort))


def group_sheet(frame, name, group, value, func, header, sort, dates, step):
    """A new sheet with one row per group of `group`: the key as a value, the aggregate
    of `value` (None: count rows) as a formula over the output rows, its result cached."""
    try:
        grouped = grouped_by(frame, group, value, func, sort, dates)
    except TypeError:
        # Keys that do not compare (text and numbers in one column): in order of appearance.
        grouped = grouped_by(frame, group, value, func, False, dates)
    new_sheets.append({
        "name": name, "columns": [group, header], "step": step, "kind": "group",
        "group": group, "value": value, "func": func, "rows_then": set(frame.index),
        "keys": [None if pd.isna(k) else k for k in grouped.index],
        "results": list(grouped.to_numpy()),
        "cells": {group: list(frame[group]), value: None if value is None else list(frame[value])},
    })


GROUP_FORMULAS = {"sum": "SUMIFS", "mean": "AVERAGEIFS", "min": "_xlfn.MINIFS",
                  "max": "_xlfn.MAXIFS"}


def aggregate_formulas_fit(sheet, frame, keys):
    """Whether formulas over the output rows, with criteria from the cells of `keys`,
    compute exactly what pandas did for a group or pivot sheet; when not, the step says
    why and the sheet holds values."""
    func, value = sheet["func"], sheet["value"]
    if func not in GROUP_FORMULAS and func != "count":
        values_note(sheet["step"], "no Excel function computes a " + func + " per group")
        return False
    if not formula_ready(frame, sheet["rows_then"]):
        values_note(sheet["step"], "a later step changed the rows")
        return False
    cells = sheet["cells"]
    for key in keys:
        if not safe_criteria(cells[key]):
            values_note(sheet["step"], "Excel would match the keys of " + repr(key) + " differently")
            return False
    readable = value is None or func == "count" or only_numbers(cells[value])
    if not readable and not (func in ("min", "max") and only_dates(cells[value])):
        values_note(sheet["step"], repr(value) + " holds cells that are not numbers")
        return False
    return True


def group_formulas(sheet, frame):
    """The formulas of a group sheet, or None (with the step saying why) when no formula
    computes exactly what pandas did."""
    func, value, group = sheet["func"], sheet["value"], sheet["group"]
    if not aggregate_formulas_fit(sheet, frame, [group]):
        return None
    if PLACE["range_rows"] == 0:
        return None
    keys = data_range(group)
    formulas = []
    for i, key in enumerate(sheet["keys"]):
        criteria = '""' if key is None else "A" + str(i + 2)
        if value is None:
            formula = "=COUNTIFS(" + keys + "," + criteria + ")"
        elif func == "count":
            formula = "=COUNTIFS(" + keys + "," + criteria + "," + data_range(value) + ',"<>")'
        else:
            formula = ("=" + GROUP_FORMULAS[func] + "(" + data_range(value) + "," + keys + ","
                       + criteria + ")")
        # Where pandas found no value (a group with no numbers), Excel gives 0 or an
        # error; an empty key would also match the empty rows inside the range. The
        # cell keeps pandas' value and no formula.
        blank_match = key is None and PLACE["blanks_in_range"]
        formulas.append([None, None if pd.isna(sheet["results"][i]) or blank_match else formula])
    return formulas


def describe_sheet(frame, name, stats, step):
    """Summary statistics in a new sheet, one row per statistic and a column per
    column described; formulas over the output rows where Excel has the function."""
    new_sheets.append({
        "name": name, "columns": ["statistic"] + [str(c) for c in stats.columns],
        "step": step, "kind": "describe", "rows_then": set(frame.index),
        "labels": [str(label) for label in stats.index],
        "table": [[stats.at[label, c] for c in stats.columns] for label in stats.index],
        "described": list(stats.columns),
        "cells": {c: list(frame[c]) for c in stats.columns if c in frame.columns},
    })


# Each statistic's function, around the column's range: STDEV and QUARTILE are the
# sample deviation and the linear quartiles pandas computes.
STAT_FORMULAS = {"count": ("COUNT(", ")"), "mean": ("AVERAGE(", ")"), "std": ("STDEV(", ")"),
                 "min": ("MIN(", ")"), "25%": ("QUARTILE(", ",1)"), "50%": ("MEDIAN(", ")"),
                 "75%": ("QUARTILE(", ",3)"), "max": ("MAX(", ")")}


def describe_formulas(sheet, frame):
    if not formula_ready(frame, sheet["rows_then"]) or PLACE["range_rows"] == 0:
        values_note(sheet["step"], "a later step changed the rows")
        return None
    formulas = []
    numeric = [c in sheet["cells"] and only_numbers(sheet["cells"][c]) for c in sheet["described"]]
    for label, row in zip(sheet["labels"], sheet["table"]):
        line = [None]
        for column, is_numeric, result in zip(sheet["described"], numeric, row):
            around = STAT_FORMULAS.get(label)
            ok = is_numeric and around is not None and not pd.isna(result)
            line.append("=" + around[0] + data_range(column) + around[1] if ok else None)
        formulas.append(line)
    if not any(any(line) for line in formulas):
        values_note(sheet["step"], "no column holds only numbers")
    return formulas


# ---------------------------------------------------------------------------------
# How the sheet looks: number formats, highlights, frozen panes, the filter, charts.
# Steps ask for them by column name (`looks`); they are placed on the output's rows
# when the script is written, after every step has moved or removed rows.
# ---------------------------------------------------------------------------------


def column_number(name):
    """The 1-based column of `name` (an input column or one added)."""
    number = 0
    for ch in PLACE["letters"][name]:
        number = number * 26 + ord(ch) - 64
    return number


def span(first_row, last_row, first_col, last_col):
    return {"first_row": first_row, "last_row": last_row, "first_col": first_col,
            "last_col": last_col}


def chart_text(value):
    """A category as the chart's cache shows it."""
    value = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value.get("date", value.get("error", "")))
    return str(value)


def chart_step(frame, kind, category, values, title, sheet, new_sheet, step):
    """A chart of `values` by `category`: over the sheet's own rows when each category
    holds one row, else (or when asked) over a new sheet `sheet` with the first value
    summed per category (SUMIFS formulas, so the chart follows the data)."""
    keys = frame[category]
    unique = bool(keys.notna().all()) and not keys.map(text_key).duplicated().any()
    if unique and not new_sheet:
        looks.append({"kind": "chart", "chart": kind, "title": title, "category": category,
                      "values": list(values)})
        return
    name = sheet
    group_sheet(frame, name, category, values[0], "sum", "Total " + values[0], sort=not unique,
                dates=False, step=step)
    new_sheets[-1]["chart"] = {"kind": kind, "title": title}
    steps[step] += " (" + values[0] + " summed per " + category + " on sheet " + repr(name) + ")"


def look_edit(frame):
    """The looks asked for, on the output's data rows and columns."""
    first = PLACE["first_row"]
    last = first + PLACE["range_rows"] - 1
    right = PLACE["last_col"] + len(added)
    header = PLACE["header_row"]
    look = {}
    for item in looks:
        kind = item["kind"]
        if kind == "freeze":
            old = look.get("freeze", {"rows": 0, "cols": 0})
            rows, cols = max(old["rows"], item["rows"]), max(old["cols"], item["cols"])
            if rows or cols:
                look["freeze"] = {"rows": rows, "cols": cols}
            continue
        if last < first:
            continue
        if kind == "format":
            col = column_number(item["column"])
            look.setdefault("number_formats", []).append(
                {"range": span(first, last, col, col), "format": item["format"]})
        elif kind == "highlight":
            col = column_number(item["column"])
            lo, hi = (PLACE["first_col"], right) if item["rows"] else (col, col)
            look.setdefault("conditional_formats", []).append(
                {"range": span(first, last, lo, hi), "column": col, "compare": item["compare"],
                 "value": item["value"], "fill": item["fill"]})
        elif kind == "filter" and header is not None:
            look["autofilter"] = span(header, last, PLACE["first_col"], right)
        elif kind == "chart" and header is not None:
            rows = frame.iloc[:last - first + 1]
            look.setdefault("charts", []).append({
                "kind": item["chart"], "title": item["title"], "header_row": header,
                "x_title": item["category"],
                "y_title": item["values"][0] if len(item["values"]) == 1 else "",
                "first_row": first, "last_row": last,
                "category_col": column_number(item["category"]),
                "value_cols": [column_number(v) for v in item["values"]],
                "categories": [chart_text(v) for v in rows[item["category"]]],
                "series": [{"name": v, "values": [None if pd.isna(x) else float(x)
                                                  for x in as_number(rows[v])]}
                           for v in item["values"]],
            })
    return look


def new_sheet_edit(sheet, frame):
    if sheet["kind"] == "group":
        rows = [[cell_value(k), cell_value(r)] for k, r in zip(sheet["keys"], sheet["results"])]
        formulas = group_formulas(sheet, frame)
    elif sheet["kind"] == "pivot":
        rows = pivot_rows(sheet)
        formulas = pivot_formulas(sheet, frame)
    elif sheet["kind"] == "values":
        rows, formulas = sheet["rows"], None
    else:
        rows = [[label] + [cell_value(v) for v in row]
                for label, row in zip(sheet["labels"], sheet["table"])]
        formulas = describe_formulas(sheet, frame)
    edit = {"name": sheet["name"], "columns": sheet["columns"], "rows": rows}
    if formulas is not None and any(any(line) for line in formulas):
        edit["formulas"] = formulas
    if "chart" in sheet:
        edit["chart"] = sheet["chart"]
    return edit


def total_value(function, cells):
    """What Excel's function gives over these cells: SUM, AVERAGE, MEDIAN, MIN, MAX and
    COUNT read the numbers only (text, booleans and empty cells are skipped), COUNTA
    every cell that is not empty, COUNTIF (with TRUE) the TRUE cells."""
    if function == "COUNTIF":  # COUNTIF(range, TRUE): the TRUE cells
        return sum(1 for v in cells if isinstance(v, (bool, np.bool_)) and bool(v))
    if function == "COUNTA":
        return sum(1 for v in cells if v is not None and not is_number_like_nan(v))
    numbers = [float(v) for v in cells if is_number(v)]
    if function == "COUNT":
        return len(numbers)
    if function == "SUM":
        return float(sum(numbers))
    if not numbers:
        return {"error": "#DIV/0!"} if function in ("AVERAGE", "MEDIAN") else 0
    if function == "AVERAGE":
        return sum(numbers) / len(numbers)
    if function == "MEDIAN":
        return float(np.median(numbers))
    return min(numbers) if function == "MIN" else max(numbers)


def is_number_like_nan(value):
    return isinstance(value, float) and np.isnan(value)


def total_cells(frame, out_rows):
    """The rows of totals, one below the other under the output's rows: the label, and
    each column's function over its data rows as a formula with its result cached."""
    cells = []
    row = PLACE["first_row"] + len(out_rows)
    first, last = PLACE["first_row"], PLACE["first_row"] + PLACE["range_rows"] - 1
    for total in totals:
        if last < first:
            steps[total["step"]] += " (no row to total)"
            continue
        if total["label_column"] is not None:
            cells.append({"cell": PLACE["letters"][total["label_column"]] + str(row),
                          "value": total["label"]})
        for name, function in zip(total["columns"], total["functions"]):
            letter = PLACE["letters"][name]
            values = list(frame[name])
            if PLACE["blanks_in_range"]:
                values += list(PLACE["blank_frame"][name])
            cells.append({"cell": letter + str(row),
                          "formula": "=" + function + "(" + letter + str(first) + ":" + letter
                          + str(last) + (",TRUE)" if function == "COUNTIF" else ")"),
                          "value": cell_value(total_value(function, values))})
        row += 1
    return cells


def filled_cells(out_rows):
    """The cells empty cells were filled with, at their output rows (rows a later step
    removed are left out)."""
    position = {row: PLACE["first_row"] + i for i, row in enumerate(out_rows)}
    cells = []
    for fill in fills:
        for row, value in fill["rows"].items():
            if row in position:
                cells.append({"cell": fill["letter"] + str(position[row]), "value": cell_value(value)})
    return cells


def write_edits(frame):
    """edits.json: the data sheet's rows in output order (rows with no cell in the table
    stay, at its end), the columns added, the new sheets; and result.json, the run's
    account. Nothing else is written: the workbook is edited in place from this."""
    out_rows = output_rows(frame)
    sheet = {"sheet": OUTPUT_SHEET, "table": {
        key: PLACE[key] for key in ("header_row", "first_row", "last_row", "first_col", "last_col")
    }}
    if out_rows != list(range(PLACE["first_row"], PLACE["last_row"] + 1)):
        sheet["rows"] = out_rows
    if added:
        sheet["add_columns"] = [
            # A formula that depends on the final rows is decided now (see `append_column`).
            dict({"header": c["header"],
                  "formula": c["formula"](frame) if callable(c["formula"]) else c["formula"],
                  "values": [c["values"][r] for r in out_rows]},
                 **({"number_format": c["number_format"]} if c.get("number_format") else {}))
            for c in added
        ]
    cells = header_cells + filled_cells(out_rows) + total_cells(frame, out_rows)
    if cells:
        sheet["set_cells"] = cells
    look = look_edit(frame)
    if look:
        sheet["look"] = look
    sheets_added = [new_sheet_edit(s, frame) for s in new_sheets]
    edits = {"version": 1, "steps": steps, "sheets": [sheet] if len(sheet) > 2 else [],
             "new_sheets": sheets_added}
    # Compact: a sort of a million rows lists a million row numbers. `dumps` is the C
    # encoder; `dump` to a file runs the pure-Python one, chunk by chunk.
    text = json.dumps(edits, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    with open(output_path(EDITS_FILE), "w", encoding="utf-8") as f:
        f.write(text)
    shapes = {OUTPUT_SHEET: {"rows": len(out_rows), "columns": len(frame.columns)}}
    for s in sheets_added:
        shapes[s["name"]] = {"rows": len(s["rows"]), "columns": len(s["columns"])}
    result = {"steps": steps, "target_sheet": OUTPUT_SHEET, "sheets": shapes}
    with open(output_path(RESULT_FILE), "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, allow_nan=False, indent=2)
