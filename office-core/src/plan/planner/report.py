

# ---------------------------------------------------------------------------------
# The report's facts: one entry per input table (what it holds, key figures, a chart)
# and observations across tables that share columns or key values. The prose is
# written from this file afterwards; it quotes no number this file does not hold.
# ---------------------------------------------------------------------------------


def normalized(name):
    return " ".join("".join(c if c.isalnum() else " " for c in str(name).casefold()).split())


def shared_observations(loaded):
    observations = []
    for i, (spec_a, table_a, facts_a) in enumerate(loaded):
        for spec_b, table_b, facts_b in loaded[i + 1:]:
            names_b = {normalized(n): n for n in spec_b["columns"]}
            shared = [(a, names_b[normalized(a)]) for a in spec_a["columns"] if normalized(a) in names_b]
            if not shared:
                continue
            entry = {"files": [facts_a["file"], facts_b["file"]],
                     "shared_columns": [a for a, _ in shared], "keys": [], "measures": []}
            for a, b in shared:
                if a in spec_a["numeric"] and b in spec_b["numeric"]:
                    entry["measures"].append({
                        "column": a,
                        "mean_a": facts_a["numeric"][a]["mean"],
                        "mean_b": facts_b["numeric"][b]["mean"],
                    })
                else:
                    values_a = set(table_a[a].dropna().map(text_of))
                    values_b = set(table_b[b].dropna().map(text_of))
                    common = sorted(values_a & values_b)
                    entry["keys"].append({
                        "column": a,
                        "distinct_a": len(values_a),
                        "distinct_b": len(values_b),
                        "shared_values": len(common),
                        "examples": common[:5],
                    })
            observations.append(entry)
    return observations


def main():
    use_fonts()
    charts, loaded = [], []
    for position, spec in enumerate(TABLES):
        table = load_table(spec)
        facts = describe_table(table, spec)
        facts["chart"] = overview_chart(table, spec, facts, "chart_" + str(position + 1) + ".png", charts)
        loaded.append((spec, table, facts))
    analysis = {
        "title": TITLE,
        "prompt": PROMPT,
        "notes": NOTES,
        "sections": SECTIONS,
        "file_count": len(loaded),
        "files": [facts for _, _, facts in loaded],
        "cross_file": shared_observations(loaded),
        "charts": charts,
    }
    write_json("analysis.json", analysis)
    write_json("charts.json", CHART_DATA)
    print("Wrote analysis.json and " + str(len(charts)) + " chart(s).")


main()
