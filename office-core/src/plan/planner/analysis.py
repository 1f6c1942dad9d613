

# ---------------------------------------------------------------------------------
# Loading the tables of TABLES (with `tables.py`), dates as dates.
# ---------------------------------------------------------------------------------


def load_table(spec):
    """The table with the profile's column names, numbers as numbers, dates as dates."""
    try:
        raw = read_input(INPUT_PATHS[spec["input"]], spec)
    except Exception as error:
        # Say which file could not be read; the reader's own message says why.
        raise ValueError("Could not read " + repr(spec["file"]) + ": " + str(error)) from error
    table = table_from_raw(raw, spec)
    with warnings.catch_warnings():
        # Mixed date formats: pandas warns, parses what it can; empty where it cannot.
        warnings.simplefilter("ignore")
        for name in spec["dates"]:
            table[name] = read_dates(table[name], name in spec["dayfirst"])
    return table


# ---------------------------------------------------------------------------------
# Facts. Every number written is rounded here, once, so that the prose built from
# these files quotes exactly the numbers they hold.
# ---------------------------------------------------------------------------------


def num(value, places=4):
    """A JSON number, or None for a missing or infinite value."""
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(value) or math.isinf(value):
        return None
    if value.is_integer() and abs(value) < 1e15:
        return int(value)
    return round(value, places)


def text_of(value):
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def numeric_stats(values):
    present = values.dropna()
    return {
        "count": int(present.count()),
        "missing": int(values.isna().sum()),
        "sum": num(present.sum()),
        "mean": num(present.mean()),
        "median": num(present.median()),
        "std": num(present.std()) if present.count() > 1 else None,
        "min": num(present.min()),
        "max": num(present.max()),
    }


def top_categories(values, limit=5):
    present = values.dropna().map(text_of)
    present = present[present.str.strip() != ""]
    if present.empty:
        return None
    counts = present.value_counts()
    total = int(counts.sum())
    top = [
        {"value": str(value), "count": int(count), "share_pct": num(100.0 * count / total, 1)}
        for value, count in counts.head(limit).items()
    ]
    return {"distinct": int(counts.size), "non_empty": total, "top": top}


def correlations(table, names, limit=10):
    # The first 30 number columns at most: the matrix grows with the square.
    usable = [n for n in names if table[n].notna().sum() > 2 and table[n].nunique() > 1][:30]
    pairs = []
    if len(usable) < 2:
        return pairs
    matrix = table[usable].corr(method="pearson")
    for i, a in enumerate(usable):
        for b in usable[i + 1:]:
            r = num(matrix.loc[a, b], 3)
            if r is not None:
                pairs.append({"a": a, "b": b, "r": r})
    pairs.sort(key=lambda p: -abs(p["r"]))
    return pairs[:limit]


PERIODS = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}
PANDAS_FREQ = {"D": "D", "W": "W", "M": "MS", "Q": "QS", "Y": "YS"}


def period_label(stamp, period):
    if period == "Y":
        return stamp.strftime("%Y")
    if period == "Q":
        return stamp.strftime("%Y") + "-Q" + str((stamp.month - 1) // 3 + 1)
    if period == "M":
        return stamp.strftime("%Y-%m")
    return stamp.strftime("%Y-%m-%d")


def natural_period(dates):
    if dates.empty:
        return "M"
    span = (dates.max() - dates.min()).days
    if span > 365 * 8:
        return "Y"
    if span > 120:
        return "M"
    if span > 21:
        return "W"
    return "D"


def aggregate(values, how):
    # Each aggregation by its own method: a method name taken from data is what the
    # code policy refuses (OFF117), even when, as here, it is one of six words.
    if how == "sum":
        return values.sum()
    if how == "mean":
        return values.mean()
    if how == "median":
        return values.median()
    if how == "min":
        return values.min()
    if how == "max":
        return values.max()
    if how == "count":
        return values.count()
    raise ValueError("unknown aggregation: " + str(how))


def series_over_time(table, date, value, agg, period):
    frame = table[[date, value]].dropna()
    if frame.empty:
        return None
    grouped = aggregate(frame.set_index(date)[value].resample(PANDAS_FREQ[period]), agg).dropna()
    return grouped if len(grouped) > 0 else None


def trend_facts(table, date, value, agg, period=None):
    dates = table[date].dropna()
    if dates.empty:
        return None
    period = period or natural_period(dates)
    series = series_over_time(table, date, value, agg, period)
    if series is None or len(series) < 2:
        return None
    first, last = series.iloc[0], series.iloc[-1]
    change = 100.0 * (last - first) / abs(first) if first != 0 else None
    return {
        "date_column": date,
        "value_column": value,
        "aggregate": agg,
        "period": PERIODS[period],
        "points": len(series),
        "first_period": period_label(series.index[0], period),
        "first_value": num(first, 2),
        "last_period": period_label(series.index[-1], period),
        "last_value": num(last, 2),
        "change_pct": num(change, 1),
        "peak_period": period_label(series.idxmax(), period),
        "peak_value": num(series.max(), 2),
        "low_period": period_label(series.idxmin(), period),
        "low_value": num(series.min(), 2),
    }


def describe_table(table, spec):
    facts = {
        "file": spec["file"],
        "sheet": spec["sheet"],
        "rows": len(table),
        "column_count": spec["total_columns"],
        "columns_analysed": len(spec["columns"]),
        "columns": list(spec["columns"]),
        "numeric": {},
        "missing": {},
        "categories": {},
        "correlations": [],
        "trend": None,
        "focus": spec["focus"],
    }
    for name in spec["columns"]:
        missing = int(table[name].isna().sum())
        if missing:
            facts["missing"][name] = missing
    for name in spec["numeric"]:
        facts["numeric"][name] = numeric_stats(table[name])
    for name in spec["texts"]:
        top = top_categories(table[name])
        # An identifier (almost every value different) has no top categories worth naming.
        if top is not None and top["distinct"] <= max(50, top["non_empty"] // 2) and top["distinct"] < top["non_empty"]:
            facts["categories"][name] = top
    facts["correlations"] = correlations(table, spec["numeric"])
    if spec["dates"] and spec["focus"]:
        facts["trend"] = trend_facts(table, spec["dates"][0], spec["focus"], "mean")
    return facts


# ---------------------------------------------------------------------------------
# Charts: 1200 x 675 pixels, titled, both axes labelled, long labels shortened, date
# ticks rotated. Text falls back to a CJK font for glyphs DejaVu Sans lacks.
# ---------------------------------------------------------------------------------

FIGSIZE = (12, 6.75)
DPI = 100
# Axis numbers as people write them (1,200,000), never in offset or scientific notation.
PLAIN_NUMBERS = mticker.StrMethodFormatter("{x:,.10g}")


def use_fonts():
    families = ["DejaVu Sans"]
    try:
        from noto_cjk_sans_jp_regular import FONT_PATH
        font_manager.fontManager.addfont(str(FONT_PATH))
        families.append("Noto Sans CJK JP")
    except ImportError:
        warnings.warn("the CJK font package is not installed: CJK text may show as boxes")
    matplotlib.rcParams["font.family"] = families
    matplotlib.rcParams["axes.titlesize"] = 16
    matplotlib.rcParams["axes.labelsize"] = 13
    matplotlib.rcParams["xtick.labelsize"] = 11
    matplotlib.rcParams["ytick.labelsize"] = 11


def short(text, width=40):
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


# The data behind each chart, by file name. A report writes it as charts.json, so that
# its workbook can draw the same charts natively (and a reader can see their numbers).
CHART_DATA = {}
CHART_POINTS = 1000


def remember_chart(name, kind, title, x_title, y_title, categories, series):
    """`kind`: bar (horizontal), column, line or scatter; `series`: (label, values) pairs,
    each as long as `categories` (the x values of a scatter)."""
    CHART_DATA[name] = {
        "kind": kind,
        "title": short(title, 90),
        "x_title": short(x_title, 80),
        "y_title": short(y_title, 60),
        "categories": [num(c) if kind == "scatter" else text_of(c) for c in list(categories)[:CHART_POINTS]],
        "series": [
            {"name": short(str(label), 30), "values": [num(v) for v in list(values)[:CHART_POINTS]]}
            for label, values in series
        ],
    }


def save_chart(fig, name, charts):
    fig.tight_layout()
    fig.savefig(os.path.join(OUTPUT_DIR, name), dpi=DPI)
    plt.close(fig)
    charts.append(name)
    return name


def bar_chart(labels, values, title, xlabel, ylabel, name, charts):
    """Horizontal bars, largest on top: long category names stay readable."""
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI)
    remember_chart(name, "bar", title, ylabel, xlabel, list(labels), [(xlabel, list(values))])
    labels = [short(label, 40) for label in labels][::-1]
    ax.barh(range(len(labels)), list(values)[::-1], color="#4C72B0")
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels)
    ax.set_title(short(title, 90))
    ax.set_xlabel(short(xlabel, 80))
    ax.set_ylabel(short(ylabel, 60))
    ax.grid(axis="x", alpha=0.3)
    ax.xaxis.set_major_formatter(PLAIN_NUMBERS)
    return save_chart(fig, name, charts)


def histogram_chart(values, title, xlabel, name, charts):
    present = values.dropna()
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI)
    bins = min(40, max(5, int(math.sqrt(max(1, len(present))))))
    counts, edges = np.histogram(present, bins=bins)
    ranges = [str(num(a)) + " to " + str(num(b)) for a, b in zip(edges[:-1], edges[1:])]
    remember_chart(name, "column", title, xlabel, "Number of rows", ranges, [("Number of rows", counts)])
    ax.hist(present, bins=bins, color="#4C72B0", edgecolor="white")
    ax.set_title(short(title, 90))
    ax.set_xlabel(short(xlabel, 80))
    ax.set_ylabel("Number of rows")
    ax.grid(axis="y", alpha=0.3)
    ax.yaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(PLAIN_NUMBERS)
    return save_chart(fig, name, charts)


def line_chart(lines, title, xlabel, ylabel, name, charts):
    """`lines`: label -> series indexed by date."""
    index = next(iter(lines.values())).index
    remember_chart(name, "line", title, xlabel, ylabel, list(index),
                   [(label, series.reindex(index)) for label, series in lines.items()])
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI)
    few = all(len(series) <= 40 for series in lines.values())
    for label, series in lines.items():
        ax.plot(series.index, series.values, marker="o" if few else None,
                markersize=4, linewidth=1.8, label=short(label, 30))
    ax.set_title(short(title, 90))
    ax.set_xlabel(short(xlabel, 80))
    ax.set_ylabel(short(ylabel, 60))
    ax.grid(alpha=0.3)
    ax.yaxis.set_major_formatter(PLAIN_NUMBERS)
    locator = mdates.AutoDateLocator(maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    for tick in ax.get_xticklabels():
        tick.set_rotation(30)
        tick.set_horizontalalignment("right")
    if len(lines) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10, frameon=False)
    return save_chart(fig, name, charts)


def scatter_chart(table, a, b, r, name, charts):
    """The strongest relationship between two number columns, one dot per row."""
    frame = table[[a, b]].dropna()
    title = b + " against " + a + " (correlation " + str(r) + ")"
    remember_chart(name, "scatter", title, a, b, frame[a], [(b, frame[b])])
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI)
    ax.scatter(frame[a], frame[b], s=14, alpha=0.6, color="#4C72B0")
    ax.set_title(short(title, 90))
    ax.set_xlabel(short(a, 80))
    ax.set_ylabel(short(b, 60))
    ax.grid(alpha=0.3)
    ax.xaxis.set_major_formatter(PLAIN_NUMBERS)
    ax.yaxis.set_major_formatter(PLAIN_NUMBERS)
    return save_chart(fig, name, charts)


def overview_chart(table, spec, facts, name, charts):
    """The chart that fits the data: a line over time, else the top categories, else the
    distribution of the main number column."""
    focus = spec["focus"]
    label = spec["file"] if spec["text"] else spec["file"] + " / " + spec["sheet"]
    if facts["trend"] is not None:
        trend = facts["trend"]
        period = next(k for k, v in PERIODS.items() if v == trend["period"])
        series = series_over_time(table, trend["date_column"], focus, "mean", period)
        return line_chart(
            {focus: series}, "Average " + focus + " per " + trend["period"] + " (" + label + ")",
            trend["date_column"], focus + " (average)", name, charts,
        )
    labels = [n for n in spec["texts"] if table[n].notna().all() and table[n].nunique() == len(table)]
    if focus is not None and labels and 1 < len(table) <= 30:
        # A short list of named rows: the main number per row.
        rows = table[[labels[0], focus]].dropna().sort_values(focus, ascending=False)
        return bar_chart(
            rows[labels[0]].map(text_of), rows[focus], focus + " by " + labels[0] + " (" + label + ")",
            focus, labels[0], name, charts,
        )
    if facts["categories"]:
        column = next(iter(facts["categories"]))
        counts = table[column].dropna().map(text_of).value_counts().head(15)
        return bar_chart(
            counts.index, counts.values, "Most frequent values of " + column + " (" + label + ")",
            "Number of rows", column, name, charts,
        )
    if focus is not None:
        return histogram_chart(
            table[focus], "Distribution of " + focus + " (" + label + ")", focus, name, charts,
        )
    return None


def write_json(name, data):
    with open(os.path.join(OUTPUT_DIR, name), "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2, allow_nan=False)
