

# ---------------------------------------------------------------------------------
# The answer to the request. REQUEST says what was asked, in the planner's terms:
# kind ("time", "group", "distribution", "overview"), the measure, how to aggregate
# it, the column to split by and the period.
# ---------------------------------------------------------------------------------

AGG_WORDS = {"sum": "Total", "mean": "Average", "median": "Median", "min": "Minimum",
             "max": "Maximum", "count": "Number of rows"}


def measure_label(request):
    if request["measure"] is None or request["agg"] == "count":
        return "Number of rows"
    return AGG_WORDS[request["agg"]] + " " + request["measure"]


def grouped_values(table, request):
    by = request["by"]
    if request["measure"] is None or request["agg"] == "count":
        return table[by].dropna().map(text_of).value_counts()
    frame = table[[by, request["measure"]]].dropna(subset=[by]).copy()
    frame[by] = frame[by].map(text_of)
    values = aggregate(frame.groupby(by)[request["measure"]], request["agg"])
    return values.dropna().sort_values(ascending=False)


def answer_request(table, spec, request, charts):
    kind = request["kind"]
    answer = {"question": PROMPT, "kind": kind, "measure": request["measure"],
              "aggregate": request["agg"], "by": request["by"], "chart": None}
    if kind == "time":
        date = request["date"]
        period = request["period"] or natural_period(table[date].dropna())
        value = request["measure"]
        if value is None:
            table = table.copy()
            value = "(rows)"
            table[value] = 1
        lines, rows = {}, []
        if request["by"] is None:
            series = series_over_time(table, date, value, request["agg"], period)
            if series is not None:
                lines[measure_label(request)] = series
        else:
            groups = table[request["by"]].dropna().map(text_of).value_counts().head(8).index
            for group in groups:
                part = table[table[request["by"]].map(text_of) == group]
                series = series_over_time(part, date, value, request["agg"], period)
                if series is not None:
                    lines[group] = series
        for label, series in lines.items():
            for stamp, amount in series.items():
                rows.append({"group": label, "period": period_label(stamp, period), "value": num(amount, 2)})
        answer["period"] = PERIODS[period]
        answer["rows"] = rows[:500]
        if lines:
            title = measure_label(request) + " per " + PERIODS[period]
            if request["by"] is not None:
                title += " by " + request["by"]
            answer["chart"] = line_chart(lines, title, date, measure_label(request), "answer.png", charts)
    elif kind == "group":
        values = grouped_values(table, request)
        answer["rows"] = [{"group": str(k), "value": num(v, 2)} for k, v in values.head(100).items()]
        if len(values):
            shown = values.head(20)
            answer["chart"] = bar_chart(
                shown.index, shown.values, measure_label(request) + " by " + request["by"],
                measure_label(request), request["by"], "answer.png", charts,
            )
    elif kind == "distribution":
        column = request["measure"]
        if column in spec["numeric"]:
            answer["stats"] = numeric_stats(table[column])
            answer["chart"] = histogram_chart(table[column], "Distribution of " + column, column, "answer.png", charts)
        else:
            counts = table[column].dropna().map(text_of).value_counts()
            answer["top"] = top_categories(table[column], 20)
            shown = counts.head(20)
            answer["chart"] = bar_chart(shown.index, shown.values, "Distribution of " + column,
                                        "Number of rows", column, "answer.png", charts)
    elif kind == "correlation":
        answer["pairs"] = correlations(table, spec["numeric"], 45)
        if answer["pairs"]:
            top = answer["pairs"][0]
            answer["chart"] = scatter_chart(table, top["a"], top["b"], top["r"], "answer.png", charts)
    return answer


def main():
    use_fonts()
    spec = TABLES[0]
    table = load_table(spec)
    charts = []
    facts = describe_table(table, spec)
    facts["chart"] = overview_chart(table, spec, facts, "overview.png", charts)
    answer = answer_request(table, spec, REQUEST, charts)
    write_json("results.json", {"table": facts, "answer": answer, "charts": charts})
    print("Wrote results.json and " + str(len(charts)) + " chart(s): " + ", ".join(charts))


main()
