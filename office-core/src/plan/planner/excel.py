

# ---------------------------------------------------------------------------------
# What every Excel program's steps use: values read as numbers, dates or folded text,
# and where the outputs go. Each operation adds the functions its steps call.
# ---------------------------------------------------------------------------------


def as_number(values):
    """Numbers; cells that do not hold a number become empty."""
    return pd.to_numeric(values, errors="coerce")


def as_date(values):
    """Dates; cells that do not hold a date become empty."""
    return pd.to_datetime(values, errors="coerce")


def as_text(values):
    """Text with surrounding spaces stripped and case folded, so comparisons ignore both."""
    return values.astype("string").str.strip().str.casefold()


def text_key(value):
    return str(value).strip().casefold()


def output_path(name):
    return OUTPUT_DIR.rstrip(os.sep) + os.sep + name
