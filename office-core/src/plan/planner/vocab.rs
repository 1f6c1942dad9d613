//! The planner's vocabulary: every word and phrase a request reader knows, as tables.
//! The Excel clauses (`parse` and `ops/`) and the analytics question (`analytics`)
//! read the same tables, so the two cannot drift apart.
//!
//! Phrases are lower case, words one space apart. Tables with a value list the phrases
//! per value: `(value, &[phrases])`. Where several phrases match at one place, the
//! longest wins (see `tokens::longest_prefix`).

use super::ops::chart::ChartWord;
use super::ops::date_part::DatePart;
use super::ops::fill::FillWith;
use super::ops::filter::CmpOp;
use super::ops::format::NumberFormat;
use super::ops::running::Measure;

// ---------------------------------------------------------------------------------------
// Aggregates, shared by every reader

/// An aggregate function, as both readers name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AggFunc {
    Sum,
    Mean,
    Median,
    Count,
    Min,
    Max,
}

impl AggFunc {
    /// How the Excel program names the function in headers and sheet names.
    pub(crate) fn label(self) -> &'static str {
        match self {
            AggFunc::Sum => "Total",
            AggFunc::Mean => "Average",
            AggFunc::Median => "Median",
            AggFunc::Count => "Count",
            AggFunc::Min => "Min",
            AggFunc::Max => "Max",
        }
    }

    /// The pandas method (and the analytics program's name for it).
    pub(crate) fn pandas(self) -> &'static str {
        match self {
            AggFunc::Sum => "sum",
            AggFunc::Mean => "mean",
            AggFunc::Median => "median",
            AggFunc::Count => "count",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
        }
    }
}

/// Words that ask for an aggregate.
#[rustfmt::skip]
pub(crate) const AGGREGATES: &[(AggFunc, &[&str])] = &[
    (AggFunc::Sum, &["sum", "sum of", "sum up", "total", "total of", "totals", "totals of", "add up", "summed", "sum total of"]),
    (AggFunc::Mean, &["average", "average of", "avg", "mean", "mean of", "averages", "avg of", "mean value of", "average value of"]),
    (AggFunc::Median, &["median", "median of"]),
    (AggFunc::Count, &["count", "count of", "count the", "count the number of", "number of", "how many", "tally", "tally of"]),
    (AggFunc::Min, &["min", "minimum", "minimum of", "lowest", "smallest", "min of"]),
    (AggFunc::Max, &["max", "maximum", "maximum of", "highest", "largest", "biggest", "max of", "greatest", "peak"]),
];

// ---------------------------------------------------------------------------------------
// Any Excel clause

/// Courtesy words allowed at the start of any clause.
#[rustfmt::skip]
pub(crate) const LEADING_COURTESY: &[&str] = &[
    "please", "pls", "kindly", "also", "now", "first", "firstly", "next", "finally", "lastly",
    "afterwards", "after that", "and", "just", "can you", "could you", "would you", "will you",
    "i want to", "i want you to", "i would like to", "i'd like to", "i need to", "i need you to",
    "help me", "let's", "lets",
];

/// Courtesy words allowed at the end of any clause.
#[rustfmt::skip]
pub(crate) const TRAILING_COURTESY: &[&str] = &[
    "please", "for me", "for us", "thanks", "thank you", "thx", "if possible", "too", "as well",
];

/// A clause made only of these words is filler.
#[rustfmt::skip]
pub(crate) const FILLER_WORDS: &[&str] = &[
    "please", "thanks", "thank", "you", "thx", "for", "me", "us", "the", "data", "sheet", "table",
    "spreadsheet", "workbook", "file", "it", "and", "also", "ok", "okay", "hi", "hello",
];

/// "... in a new sheet" after an operation that writes a sheet of its own.
#[rustfmt::skip]
pub(crate) const NEW_SHEET_SUFFIXES: &[&str] = &[
    "in a new sheet", "on a new sheet", "into a new sheet", "to a new sheet", "as a new sheet",
    "in a separate sheet", "on a separate sheet", "in another sheet", "on another sheet",
    "in a new tab", "on a new tab", "in new sheet", "in a sheet", "on a sheet",
];

/// Words around a column name: "the Revenue column".
pub(crate) const COLUMN_LEAD: &[&str] = &["the", "column", "columns", "field", "fields"];
#[rustfmt::skip]
pub(crate) const COLUMN_TRAIL: &[&str] = &["column", "columns", "field", "fields", "values", "value"];

// ---------------------------------------------------------------------------------------
// describe

#[rustfmt::skip]
pub(crate) const DESCRIBE_WORDS: &[&str] = &[
    "describe", "summary statistics", "summary stats", "summary statistic",
    "descriptive statistics", "descriptive stats", "statistical summary", "basic statistics",
    "basic stats", "statistics", "stats", "summarize", "summarise", "summary",
];

#[rustfmt::skip]
pub(crate) const DESCRIBE_LEAD: &[&str] = &[
    "show", "give", "get", "compute", "calculate", "generate", "produce", "add", "create", "make",
    "run", "provide", "do", "print", "write", "me", "us", "a", "the", "some",
];

/// "describe all the numeric columns": words that name no column in particular.
#[rustfmt::skip]
pub(crate) const ALL_COLUMNS_WORDS: &[&str] = &[
    "the", "all", "numeric", "numerical", "number", "numbers", "columns", "column", "data",
    "sheet", "table", "everything", "it", "values", "fields", "each", "every", "of", "for",
];

pub(crate) const DESCRIBE_OF: &[&str] = &["of", "for", "on", "about", "over", "across"];

// ---------------------------------------------------------------------------------------
// remove duplicates

#[rustfmt::skip]
pub(crate) const DUPLICATE_WORDS: &[&str] = &[
    "duplicates", "duplicate", "duplicated", "dupes", "dups", "dedupe", "dedup", "deduplicate",
    "de-duplicate", "de-dupe",
];

#[rustfmt::skip]
pub(crate) const DEDUPE_LEAD: &[&str] = &[
    "remove", "drop", "delete", "eliminate", "get rid of", "filter out", "clear", "the", "any",
    "all", "exact", "rows with", "rows that have", "records with", "entries with",
];

pub(crate) const DEDUPE_ROWS: &[&str] = &["rows", "row", "entries", "records", "lines"];

/// "remove duplicates by email": words before the compared columns.
#[rustfmt::skip]
pub(crate) const DEDUPE_BY: &[&str] = &[
    "by", "on", "based on", "using", "in", "of", "for", "considering", "across", "with the same",
    "with same", "having the same", "that have the same", "that share the same",
    "with identical", "over", "within",
];

// ---------------------------------------------------------------------------------------
// sort

/// The verbs of a sort, and whether the verb needs a "by" ("order by date").
#[rustfmt::skip]
pub(crate) const SORT_VERBS: &[(bool, &[&str])] = &[
    (false, &["sort", "sorted", "arrange", "reorder", "re-order", "organize", "organise"]),
    (true, &["order", "rank", "ranked", "ordered"]),
];

pub(crate) const SORT_BY: &[&str] = &["by", "on", "using", "per"];
pub(crate) const SORT_BY_PHRASES: &[&str] = &["according to", "based on"];

/// Words allowed between the sort verb and its "by".
#[rustfmt::skip]
pub(crate) const SORT_OBJECT: &[&str] = &[
    "the", "data", "rows", "table", "sheet", "it", "them", "everything", "records", "entries",
    "list", "all", "results", "values", "according", "based",
];

/// Sort directions: descending (true) or ascending (false).
#[rustfmt::skip]
pub(crate) const DIRECTIONS: &[(bool, &[&str])] = &[
    (true, &[
        "descending", "desc", "in descending order", "in decreasing order", "decreasing",
        "highest first", "highest to lowest", "from highest to lowest", "high to low",
        "from high to low", "largest first", "largest to smallest", "from largest to smallest",
        "biggest first", "most first", "z to a", "from z to a", "z-a", "newest first",
        "latest first", "most recent first", "reverse", "in reverse order", "reversed",
        "descend", "descendingly", "high-to-low", "biggest to smallest", "top to bottom",
        "greatest first", "greatest to least", "max first", "in descending",
    ]),
    (false, &[
        "ascending", "asc", "in ascending order", "in increasing order", "increasing",
        "lowest first", "lowest to highest", "from lowest to highest", "low to high",
        "from low to high", "smallest first", "smallest to largest", "from smallest to largest",
        "a to z", "from a to z", "a-z", "alphabetically", "in alphabetical order", "oldest first",
        "earliest first", "in order", "ascend", "ascendingly", "low-to-high",
        "smallest to biggest", "least first", "least to greatest", "min first", "in ascending",
    ]),
];

// ---------------------------------------------------------------------------------------
// add a computed column

#[rustfmt::skip]
pub(crate) const COMPUTE_VERBS: &[&str] = &[
    "add", "create", "compute", "calculate", "make", "insert", "append", "derive", "new",
];

pub(crate) const COMPUTE_ARTICLES: &[&str] = &["a", "an", "the", "new", "another", "extra"];
pub(crate) const COMPUTE_NAMED: &[&str] =
    &["called", "named", "titled", "labeled", "labelled", "name"];

/// Between the new column's name and its formula.
#[rustfmt::skip]
pub(crate) const COMPUTE_SEPARATORS: &[&str] = &[
    "=", ":", "as", "equal to", "equals", "equalling", "which is", "that is", "which equals",
    "that equals", "being", "defined as", "computed as", "calculated as", "with value",
    "with values", "with the value", "containing", "holding", "with",
];

/// Arithmetic said as a verb: "add 1 to Rate", "subtracting COGS from Sales",
/// "multiply Price by Quantity", "divide Cost by Units". Each entry: the operator, its
/// verbs, the words between the two operands, and whether the result reads the second
/// operand first ("subtract X from Y" is Y - X).
#[rustfmt::skip]
pub(crate) const WORDED_ARITHMETIC: &[(char, &[&str], &[&str], bool)] = &[
    ('+', &["add", "adding", "adds", "increase", "increasing", "increment", "incrementing"], &["to", "by"], true),
    ('-', &["subtract", "subtracting", "deduct", "deducting", "take away", "taking away", "remove", "removing"], &["from"], true),
    ('*', &["multiply", "multiplying", "multiplies"], &["by", "with", "and"], false),
    ('/', &["divide", "dividing", "divides"], &["by", "into"], false),
];

/// "calculate the Future Value column by multiplying ...": before the worded formula.
pub(crate) const COMPUTE_BY: &[&str] = &["by", "by means of"];

/// A power in words: "(1 + Rate) raised to the power of Years", "Rate to the power 2".
#[rustfmt::skip]
pub(crate) const POWER_WORDS: &[&str] = &[
    "raised to the power of", "raised to the power", "to the power of", "to the power",
    "raised to", "elevated to", "elevado a", "à la puissance",
    "hoch", "elevato a", "в степени",
];

/// Words before an operand that mean "the column, row by row": "each value in Rate".
#[rustfmt::skip]
pub(crate) const EACH_VALUE_OF: &[&str] = &[
    "each value in", "each value of", "every value in", "every value of", "all values in",
    "all values of", "the values in", "the values of", "values in", "values of", "each cell in",
    "every cell in", "each cell value in", "each cell value of", "every cell value in",
    "the cell values in", "the cell values of", "the cells in", "the cells of", "each", "every",
];

/// Where a new column goes, before its name: "... in a new column named Profit".
#[rustfmt::skip]
pub(crate) const INTO_NEW_COLUMN: &[&str] = &[
    "in a new column", "into a new column", "as a new column", "to a new column",
    "in new column", "into new column", "in a column", "into a column", "as a column",
    "in the new column", "into the new column",
];

/// After the formula, the new column again: "... by subtracting COGS from Sales in that column".
#[rustfmt::skip]
pub(crate) const IN_THAT_COLUMN: &[&str] = &[
    "in that column", "in this column", "in the column", "in it", "there", "into it",
    "for each row", "per row", "in each row", "for every row", "for all rows",
    "using the provided formula", "using the formula", "using the given formula",
    "with the provided formula", "with the given formula", "using the formula provided",
    "according to the formula", "by the formula", "using the formula above",
    "with the formula", "as defined", "as defined above",
];

/// "... for each week", "... of each investment": every row, said by what a row is.
pub(crate) const EACH_ROW_LEAD: &[&str] = &["for", "of", "in", "per", "across"];

/// Words that end a defined quantity's name on its left: "the formula is Profit = ...".
#[rustfmt::skip]
pub(crate) const DEFINITION_STOP: &[&str] = &[
    "formula", "formulas", "is", "are", "as", "the", "following", "by", "that", "so", "calculated",
    "defined", "computed", "equation", "where", "and", "then", "given", "rule",
];

#[rustfmt::skip]
pub(crate) const PER_ROW: &[&str] = &[
    "for each row", "per row", "in each row", "on each row", "for every row",
];

/// A later clause that names the column the step before added: "Write the results in
/// column F named Summary", "name the new column Total". The words before the name.
#[rustfmt::skip]
pub(crate) const NAME_RESULT_LEAD: &[&str] = &[
    "write the results in", "write the result in", "put the results in", "put the result in",
    "store the results in", "store the result in", "place the results in", "place the result in",
    "save the results in", "write them in", "put them in", "write it in", "put it in",
    "name it", "call it", "name the new column", "call the new column", "name the column",
    "call the column", "and name it", "and call it", "output the results in",
];

/// Clauses that only say "every row", after a step that works on every row anyway.
#[rustfmt::skip]
pub(crate) const ALL_ROWS_CLAUSES: &[&str] = &[
    "do this for all rows", "do it for all rows", "do this for every row", "do it for every row",
    "do this for each row", "do it for each row", "for all rows", "for every row", "for each row",
    "apply this to all rows", "apply it to all rows", "fill it down", "fill down",
    "fill the formula down", "do the same for all rows", "repeat for all rows",
];

/// Where the new column goes, when the request says: "right after column E", "after
/// the Price column". The planner adds columns right of the table only.
#[rustfmt::skip]
pub(crate) const PLACE_AFTER: &[&str] = &[
    "right after", "directly after", "immediately after", "just after", "after", "next to",
    "right of", "to the right of", "right next to", "following",
];

// ---------------------------------------------------------------------------------------
// top or bottom rows

/// Before the top rows: "show the top 3 ...".
#[rustfmt::skip]
pub(crate) const TOP_LEAD: &[&str] = &[
    "show", "show me", "keep", "keep only", "only keep", "get", "give me", "list", "find",
    "select", "return", "filter to", "the", "only", "just", "pick", "extract",
];

/// Top (true) or bottom (false), next to the count: "top 3", "3 lowest".
#[rustfmt::skip]
pub(crate) const TOP_WORDS: &[(bool, &[&str])] = &[
    (true, &["top", "highest", "largest", "biggest", "greatest", "best", "most", "the top"]),
    (false, &["bottom", "lowest", "smallest", "least", "worst", "the bottom"]),
];

/// Before the ranked column: "top 3 products by revenue".
#[rustfmt::skip]
pub(crate) const TOP_BY: &[&str] = &[
    "by", "based on", "according to", "in terms of", "ranked by", "sorted by", "on", "with the highest",
    "with the lowest", "with the most", "with the largest", "with the smallest",
];

/// Before the group: "top 2 by sales per region".
#[rustfmt::skip]
pub(crate) const TOP_GROUP: &[&str] = &[
    "per", "for each", "in each", "within each", "of each", "by each", "for every", "in every",
    "per each", "for each of the", "grouped by", "for each different", "within every",
];

// ---------------------------------------------------------------------------------------
// fill missing values

#[rustfmt::skip]
pub(crate) const FILL_VERBS: &[&str] = &[
    "fill", "fill in", "replace", "impute", "populate", "complete", "fill up the",
];

/// The empty cells, before their column: "fill missing values in Price with 0".
#[rustfmt::skip]
pub(crate) const FILL_EMPTY_WORDS: &[&str] = &[
    "missing values in", "the missing values in", "missing values of", "the missing values of",
    "missing values", "the missing values", "missing", "the missing", "empty cells in",
    "the empty cells in", "empty cells of", "the empty cells of", "empty cells", "empty",
    "the empty", "blank cells in", "the blank cells in", "blank cells", "blanks in",
    "the blanks in", "blank", "the blank", "gaps in", "the gaps in", "nulls in", "the nulls in",
    "null values in", "na values in", "nan values in", "empty values in", "missing data in",
    "missing entries in", "the missing entries in", "missing cells in", "the missing cells in",
];

/// Between the column and what fills it.
pub(crate) const FILL_WITH: &[&str] = &["with", "using", "by", "as"];

/// What fills the empty cells, said as a way: "with the previous value", "with the mean".
#[rustfmt::skip]
pub(crate) const FILL_WAYS: &[(FillWith, &[&str])] = &[
    (FillWith::Previous, &[
        "the previous value", "previous value", "the value above", "the last value",
        "the previous row", "the last known value", "the one above", "the cell above",
        "the previous values", "previous values", "the values above", "the last valid value",
    ]),
    (FillWith::Next, &[
        "the next value", "next value", "the value below", "the next row", "the cell below",
        "the one below", "the next values", "the values below", "the next valid value",
    ]),
    (FillWith::Mean, &[
        "the mean", "mean", "the average", "average", "the column mean", "the column average",
        "its mean", "its average", "the mean value", "the average value", "the mean of the column",
    ]),
    (FillWith::Median, &["the median", "median", "the column median", "its median", "the median value"]),
];

/// The way said first: "forward fill Region", "fill down Date".
#[rustfmt::skip]
pub(crate) const FILL_WAY_FIRST: &[(FillWith, &[&str])] = &[
    (FillWith::Previous, &["forward fill", "forward-fill", "ffill", "fill down", "fill forward", "carry forward"]),
    (FillWith::Next, &["backward fill", "backward-fill", "bfill", "back fill", "backfill", "fill backward", "fill upward"]),
];

/// The way said after the column: "fill Region down".
pub(crate) const FILL_WAY_AFTER: &[(FillWith, &[&str])] = &[
    (
        FillWith::Previous,
        &["down", "forward", "downward", "downwards"],
    ),
    (
        FillWith::Next,
        &["up", "backward", "backwards", "upward", "upwards"],
    ),
];

// ---------------------------------------------------------------------------------------
// rename a column

#[rustfmt::skip]
pub(crate) const RENAME_VERBS: &[&str] = &[
    "rename", "rename column", "rename the column", "rename the header", "rename header",
    "change the name of", "change the name of column", "change the name of the column",
    "change the header of", "change the column name", "change the column name of", "retitle",
    "relabel", "rename the field",
];

/// Between the column and its new name: "rename Cost to Unit Cost".
pub(crate) const RENAME_TO: &[&str] = &["to", "as", "into"];

// ---------------------------------------------------------------------------------------
// find and replace

#[rustfmt::skip]
pub(crate) const REPLACE_VERBS: &[&str] = &[
    "replace", "find and replace", "search and replace", "substitute", "swap", "swap out",
    "change", "change all", "change every", "replace all", "replace every", "replace each",
    "replace any",
];

/// Before the text found: "replace all occurrences of 'N/A' ...".
#[rustfmt::skip]
pub(crate) const REPLACE_FIND_LEAD: &[&str] = &[
    "all", "every", "each", "any", "the", "all occurrences of", "occurrences of",
    "every occurrence of", "each occurrence of", "all instances of", "instances of", "the text",
    "the value", "the word", "values", "cells", "cells containing", "the string", "text",
];

/// Between the text found and what replaces it.
pub(crate) const REPLACE_WITH: &[&str] = &["with", "by", "to", "into", "for"];

/// Between the text found and its replacement, said after the column: "(in) Status
/// 'N/A' replaced with ''" (the order of Chinese and Japanese requests).
#[rustfmt::skip]
pub(crate) const REPLACE_MID: &[&str] = &[
    "replaced with", "replaced by", "be replaced with", "be replaced by",
    "should be replaced with", "should be replaced by", "becomes", "should become",
];

/// Before the column: "... in Status", "in the Status column".
#[rustfmt::skip]
pub(crate) const REPLACE_IN: &[&str] = &[
    "in", "in column", "in the column", "within", "across", "throughout", "on", "inside",
];

/// After the column: "... in the Status column", "in Status cells".
pub(crate) const REPLACE_COLUMN_TRAIL: &[&str] = &["cells", "values", "entries"];

/// Nothing as the replacement: "replace 'N/A' with nothing".
#[rustfmt::skip]
pub(crate) const REPLACE_NOTHING: &[&str] = &[
    "nothing", "blank", "blanks", "empty", "an empty cell", "empty cells", "empty cell",
    "a blank", "a blank cell", "blank cells", "an empty string", "empty string", "empty text",
    "no text",
];

/// Only cells whose whole text is the one found.
#[rustfmt::skip]
pub(crate) const REPLACE_WHOLE_CELL: &[&str] = &[
    "whole cell", "whole cells", "entire cell", "entire cells", "exactly", "exact match",
    "exact matches", "match entire cell contents", "matching the entire cell",
    "matching the whole cell", "as whole cells", "whole values", "whole value only",
    "only whole cells", "only exact matches",
];

/// Case counts: "match case".
#[rustfmt::skip]
pub(crate) const REPLACE_MATCH_CASE: &[&str] = &[
    "match case", "matching case", "case sensitive", "case-sensitive", "case sensitively",
    "exact case", "respecting case",
];

// ---------------------------------------------------------------------------------------
// remove blank rows

/// After the verb (`REMOVE_LEAD`), before the rows: "remove all the empty rows".
pub(crate) const BLANK_ROWS_LEAD: &[&str] = &["the", "all", "any", "all the", "every"];

/// The blank rows.
#[rustfmt::skip]
pub(crate) const BLANK_ROWS: &[&str] = &[
    "empty rows", "blank rows", "empty row", "blank row", "empty lines", "blank lines",
    "empty records", "blank records", "completely empty rows", "entirely empty rows",
    "fully empty rows", "completely blank rows", "entirely blank rows", "rows that are empty",
    "rows that are blank", "rows which are empty", "rows which are blank", "rows with no data",
    "rows with no values", "rows without data", "rows without values", "rows with nothing in them",
    "empty rows in between", "null rows", "blank entries", "empty entries",
];

/// After the rows: "... from the table", "... in the sheet".
#[rustfmt::skip]
pub(crate) const BLANK_ROWS_TRAIL: &[&str] = &[
    "from the table", "from the sheet", "from the data", "in the table", "in the sheet",
    "in the data", "from the list", "in between", "between the rows",
];

// ---------------------------------------------------------------------------------------
// running total, percent of total, rank, difference from previous

/// Before the measure: "add a running total of Sales".
#[rustfmt::skip]
pub(crate) const RUNNING_LEAD: &[&str] = &[
    "add", "compute", "calculate", "create", "show", "insert", "a", "an", "the", "new", "column",
    "with", "with the", "a column with the", "a column with",
];

/// Between the measure and the column: "running total of Sales".
pub(crate) const RUNNING_OF: &[&str] = &["of", "for", "in", "the", "column", "on", "over"];

/// The measures, each said first ("running total of Sales") or last ("Sales as a
/// percentage of the total").
#[rustfmt::skip]
pub(crate) const RUNNING_MEASURES: &[(Measure, &[&str])] = &[
    (Measure::RunningTotal, &[
        "running total", "running sum", "cumulative total", "cumulative sum", "running totals",
        "cumulative",
    ]),
    (Measure::PercentOfTotal, &[
        "percent of total", "percentage of total", "percent of the total",
        "percentage of the total", "share of total", "share of the total", "% of total",
        "as a percentage of the total", "as a percent of the total", "as percent of total",
        "as a percentage of total", "as a share of the total", "% of the total",
    ]),
    (Measure::Rank, &["rank of", "ranking of", "rank for", "rank column for"]),
    (Measure::Difference, &[
        "difference from previous row", "difference from the previous row",
        "change from previous row", "change from the previous row", "difference from previous",
        "change from previous", "difference to the previous row", "row over row change",
        "difference from the row above", "change from the row above",
    ]),
];

// ---------------------------------------------------------------------------------------
// transpose

/// "transpose the table", "swap rows and columns".
#[rustfmt::skip]
pub(crate) const TRANSPOSE_VERBS: &[&str] = &[
    "transpose", "swap rows and columns", "swap the rows and columns", "flip rows and columns",
    "switch rows and columns", "swap columns and rows", "turn rows into columns",
    "pivot rows and columns",
];

/// What is transposed: nothing more than the table.
#[rustfmt::skip]
pub(crate) const TRANSPOSE_WHAT: &[&str] = &[
    "the", "table", "data", "sheet", "all", "it", "of the table",
    "of the data", 
];

// ---------------------------------------------------------------------------------------
// unpivot

/// "unpivot Jan, Feb and Mar into Month and Sales", "melt columns B to D".
#[rustfmt::skip]
pub(crate) const UNPIVOT_VERBS: &[&str] = &[
    "unpivot", "melt", "un-pivot", "reverse pivot", "reshape to long format",
    "reshape to long", "turn columns into rows", "turn the columns into rows",
    "convert columns to rows", "convert columns into rows", "make long", "wide to long",
];

/// After the verb: "unpivot the columns ...".
#[rustfmt::skip]
pub(crate) const UNPIVOT_LEAD: &[&str] = &[
    "the", "columns", "column", "of", "from", "all", "every", "each", "data", "table",
];

/// "every column except Region": the columns kept.
#[rustfmt::skip]
pub(crate) const UNPIVOT_EXCEPT: &[&str] = &[
    "except", "but", "other than", "apart from", "except for", "excluding",
    "but not", 
];

// ---------------------------------------------------------------------------------------
// pivot

/// The words that make a grouping a pivot: "pivot total Revenue by Region and Product".
#[rustfmt::skip]
pub(crate) const PIVOT_VERBS: &[&str] = &[
    "pivot", "pivot table", "pivot table of", "pivot of", "a pivot table of", "a pivot of",
    "pivottable", "cross tab", "crosstab", "cross tabulate", "cross tabulation", "cross tab of",
    "crosstab of", "cross tabulation of", "cross-tab", "cross-tab of", "pivot the data",
];

/// After the pivot word: "pivot table of the ...", "pivot showing ...".
#[rustfmt::skip]
pub(crate) const PIVOT_LEAD: &[&str] = &[
    "of", "the", "a", "an", "showing", "with the", "that shows", "to show", "for", "table",
];

/// Between the row key and the column key: "by Region and Product", "Region across Year".
#[rustfmt::skip]
pub(crate) const PIVOT_AND: &[&str] = &[
    "and", "across", "versus", "vs", "by", "per", ",", "and by", "then by", "x",
];

/// A column's role said after it: "Region as rows", "Year in columns".
#[rustfmt::skip]
pub(crate) const PIVOT_AS_ROWS: &[&str] = &[
    "as rows", "as the rows", "in rows", "in the rows", "as row labels", "as the row labels",
    "on rows", "as row", "for rows", "for the rows", 
];

#[rustfmt::skip]
pub(crate) const PIVOT_AS_COLUMNS: &[&str] = &[
    "as columns", "as the columns", "in columns", "in the columns", "as column labels",
    "as the column labels", "across the top", "on columns", "as column", "for columns",
    "for the columns", 
];

/// Before the first role: "pivot Sales with Region as rows ...".
pub(crate) const PIVOT_ROLES_LEAD: &[&str] = &["with", "using", "put"];

/// Before a measure said after the roles: "..., with the sum of Sales".
#[rustfmt::skip]
pub(crate) const PIVOT_MEASURE_LEAD: &[&str] = &[
    "and", ",", "with", "showing", "of", "the", "values", "as values", "using", "for",
];

// ---------------------------------------------------------------------------------------
// split a column

/// The verbs of a split: "split Name by space into First and Last".
#[rustfmt::skip]
pub(crate) const SPLIT_VERBS: &[&str] = &[
    "split", "separate", "break up", "break apart", "break", "divide", "cut", "text to columns",
    "split up", "split apart", 
];

/// Before the delimiter: "by space", "on ','", "at each '-'".
#[rustfmt::skip]
pub(crate) const SPLIT_AT: &[&str] = &[
    "by", "on", "at", "using", "with", "wherever there is", "where there is", "separated by",
    "delimited by", "split by", "per",
];

/// Between "by" and the delimiter word: "at each comma", "on the first space".
#[rustfmt::skip]
pub(crate) const SPLIT_SEPARATOR_LEAD: &[&str] = &[
    "a", "an", "the", "each", "every", "any", "its", "delimiter", "separator", 
];

/// After the delimiter word: "by the comma delimiter", "on spaces".
#[rustfmt::skip]
pub(crate) const SPLIT_SEPARATOR_TRAIL: &[&str] = &[
    "delimiter", "separator",  "as delimiter", "as the delimiter",
    "as separator", "as the separator",
];

/// Before the new columns' names: "into First and Last", "into two columns".
pub(crate) const SPLIT_INTO: &[&str] = &["into", "to", "in", "as"];

/// Words around the new columns' names or count: "the new columns First and Last".
#[rustfmt::skip]
pub(crate) const SPLIT_NAMES_LEAD: &[&str] = &[
    "the", "new", "columns", "column", "separate", "named",
    "called",
];

// ---------------------------------------------------------------------------------------
// date parts

/// The verbs of a date part column: "add a column with the year of Date".
#[rustfmt::skip]
pub(crate) const DATE_PART_VERBS: &[&str] = &[
    "add", "create", "extract", "get", "insert", "append", "make", "derive", "compute",
    "calculate", "pull out", "pull", "take", "split out", "new",
];

/// Between the verb and the part: "a new column with the", "a column for the".
#[rustfmt::skip]
pub(crate) const DATE_PART_LEAD: &[&str] = &[
    "a", "an", "the", "new", "column", "columns", "with", "containing", "holding", "showing",
    "for", "that shows", "that holds", "giving", "extra", "another", "just", "only",
];

/// Between the part and the date column: "the year of Date".
pub(crate) const DATE_PART_OF: &[&str] =
    &["of", "from", "in", "for", "the", "column", "each", "every"];

/// After the date column: "... as a new column".
#[rustfmt::skip]
pub(crate) const DATE_PART_TRAIL: &[&str] = &[
    "as a new column", "in a new column", "into a new column", "to a new column", "as a column",
    "in a column", "into a column", "in new column", "as new column", "column", "to the table",
    "for each row", "for every row", "per row",
];

/// The parts of a date.
#[rustfmt::skip]
pub(crate) const DATE_PARTS: &[(DatePart, &[&str])] = &[
    (DatePart::Year, &["year", "years", "the year", "year number", "calendar year"]),
    (DatePart::Quarter, &["quarter", "quarters", "qtr", "the quarter", "quarter number", "calendar quarter"]),
    (DatePart::Month, &["month", "months", "month number", "the month"]),
    (DatePart::Day, &["day of the month", "day of month", "day number", "day"]),
    (DatePart::Weekday, &[
        "weekday", "weekdays", "week day", "day of the week", "day of week", "weekday name",
        "name of the day", "day name", "day of the week name", "dow",
    ]),
];

// ---------------------------------------------------------------------------------------
// a true/false column

/// Verbs of a true/false column: "mark the rows whose ... with True".
#[rustfmt::skip]
pub(crate) const FLAG_VERBS: &[&str] = &[
    "mark", "flag", "label", "tag", "indicate", "mark with true", "set true for", "put true for",
    "write true for", "check", "test", "say whether", "show whether", "indicate whether",
    "mark whether", "flag whether", "true if", "true when", "true where",
];

/// After the condition: "... with True", "as TRUE and the others as FALSE".
#[rustfmt::skip]
pub(crate) const FLAG_TRUE_TRAIL: &[&str] = &[
    "with true", "as true", "with a true", "with yes", "as yes", "true", "with true and the others with false",
    "with true and the rest with false", "with true and others with false", "as true and the others as false",
    "as true and the rest as false", "with true or false", "as true or false", "with true otherwise false",
];

// ---------------------------------------------------------------------------------------
// concatenate columns

#[rustfmt::skip]
pub(crate) const CONCAT_VERBS: &[&str] = &[
    "concatenate", "concat", "concatenating", "combine", "join", "merge", "glue", "put together",
    "join together", "combine together", "link",
];

/// "... for all rows" at the end of the columns.
#[rustfmt::skip]
pub(crate) const CONCAT_ALL_ROWS: &[&str] = &[
    "for all rows", "for every row", "for each row", "in all rows", "in every row", "in each row",
    "row by row",
];

/// Between the columns and a new name given at the end: "... into a column named X".
#[rustfmt::skip]
pub(crate) const CONCAT_INTO: &[&str] = &[
    "into a new column", "in a new column", "as a new column", "into a column", "in a column",
    "into", "as", "in",
];

/// Before a pattern in quotes: "into the pattern "Week: [Week]"".
#[rustfmt::skip]
pub(crate) const CONCAT_PATTERN: &[&str] = &[
    "into the pattern", "in the pattern", "with the pattern", "using the pattern",
    "following the pattern", "in the format", "in the following format", "into the format",
    "with the format", "using the format", "following the format", "in the form", "as",
    "like", "into", "in this format", "in the following pattern", "into the following pattern",
    "according to the pattern", "according to the format", "formatted as",
];

/// Before a separator: "with a space", "separated by “-”", "using ", " as separator".
#[rustfmt::skip]
pub(crate) const CONCAT_WITH: &[&str] = &[
    "with", "separated by", "separated with", "using", "joined by", "joined with", "delimited by",
    "split by", "and a", "with a", "putting", "inserting",
];

/// Separators said in words.
#[rustfmt::skip]
pub(crate) const SEPARATOR_WORDS: &[(&str, &[&str])] = &[
    (" ", &["space", "blank", "single space", "spaces", "a space"]),
    (", ", &["comma", "a comma", "comma and a space", "comma and space"]),
    ("-", &["dash", "hyphen", "a dash", "a hyphen", "minus sign"]),
    (" - ", &["spaced dash", "dash with spaces"]),
    ("_", &["underscore", "an underscore"]),
    ("/", &["slash", "a slash", "forward slash"]),
    ("; ", &["semicolon", "a semicolon"]),
    ("", &["nothing", "no space", "no separator", "nothing in between"]),
    ("\n", &["new line", "line break", "newline"]),
];

/// "the header and the value of each column": each value with its header before it.
#[rustfmt::skip]
pub(crate) const CONCAT_HEADER_AND_VALUE: &[&str] = &[
    "the header and the value of", "the header and value of", "header and value of",
    "the headers and the values of", "the headers and values of", "headers and values of",
    "the column name and the value of", "the name and the value of", "the name and value of",
];

/// Before a range of column letters: "each column from A to E", "columns A through E".
#[rustfmt::skip]
pub(crate) const CONCAT_RANGE_LEAD: &[&str] = &[
    "each column from", "every column from", "all columns from", "the columns from",
    "columns from", "column from", "each column", "every column", "all columns", "the columns",
    "columns", "column", "from", "the", "of",
];

/// Pattern placeholders: "[Header of Week]", "Header A" (a header), "[Week Value]",
/// "Value A" (a value).
pub(crate) const PATTERN_HEADER_WORDS: &[&str] = &["header", "heading", "column name", "title"];
pub(crate) const PATTERN_VALUE_WORDS: &[&str] = &["value", "values", "cell value", "cell", "data"];

// ---------------------------------------------------------------------------------------
// a total row below the table

/// Where a row of totals goes: "sum Sales in a new row called Total".
#[rustfmt::skip]
pub(crate) const TOTAL_ROW_PLACES: &[&str] = &[
    "in a new row", "in an underneath row", "in a row underneath", "in a row below",
    "in the row below", "in a new row below", "in a new row at the bottom", "at the bottom",
    "below the table", "under the table", "underneath the table", "as a new row", "in a new line",
    "into a new row", "in a row at the bottom", "in a last row", "in a final row", "in the last row",
    "in a row beneath", "beneath the table", "in an extra row",
];

/// A row named by what it holds: "add a total row", "add a row of averages".
#[rustfmt::skip]
pub(crate) const TOTAL_ROW_NOUNS: &[(AggFunc, &[&str])] = &[
    (AggFunc::Sum, &["total row", "totals row", "row of totals", "sum row", "grand total row", "total line", "totals line", "summary row"]),
    (AggFunc::Mean, &["average row", "averages row", "row of averages", "mean row"]),
    (AggFunc::Count, &["count row", "row of counts"]),
    (AggFunc::Min, &["minimum row", "min row"]),
    (AggFunc::Max, &["maximum row", "max row"]),
];

/// Verbs and articles before a total row's function or noun.
#[rustfmt::skip]
pub(crate) const TOTAL_ROW_LEAD: &[&str] = &[
    "add", "insert", "append", "put", "create", "write", "show", "compute", "calculate",
    "give", "get", "make", "a", "an", "the", "new", "me",
];

/// A total row of the column the step before added: "count them in an underneath row".
#[rustfmt::skip]
pub(crate) const TOTAL_ROW_THEM: &[&str] = &[
    "them", "those", "these", "it", "them all", "the marked rows", "the true values",
    "the true cells", "the trues", "the flagged rows", "the new column",
];

/// After a total row's place, what it is for (not its label): "... to get the total
/// number of high periods".
#[rustfmt::skip]
pub(crate) const TOTAL_ROW_PURPOSE: &[&str] = &[
    "to get", "to show", "to find", "to count", "to see", "giving", "that gives", "which gives",
    "so as to get", "in order to get",
];

/// Words that end the columns of a total row and mean every row: "for all weeks".
pub(crate) const ALL_ROWS_LEAD: &[&str] = &["for", "over", "across", "of", "in"];
pub(crate) const ALL_ROWS_WORDS: &[&str] = &["all", "every", "each", "the whole"];

/// Between a total row's noun and its columns: "a total row for Sales and COGS".
pub(crate) const TOTAL_ROW_OF: &[&str] = &["for", "of", "with", "over", "summing", "on"];

// ---------------------------------------------------------------------------------------
// group and aggregate

#[rustfmt::skip]
pub(crate) const AGG_LEAD: &[&str] = &[
    "show", "compute", "calculate", "get", "give", "find", "what", "is", "are", "me", "us", "list",
    "display", "produce", "create", "make", "the", "a", "an", "summarize", "summarise",
];

/// "group by region and sum revenue": a grouping said first.
#[rustfmt::skip]
pub(crate) const GROUP_FIRST: &[&str] = &[
    "group by", "grouped by", "group the data by", "aggregate by", "group rows by",
];

#[rustfmt::skip]
pub(crate) const GROUP_SEPARATORS: &[&str] = &[
    "by", "per", "for each", "for every", "grouped by", "group by", "broken down by", "split by",
    "across", "in each", "of each", "within each", "by each", "for each of the", "broken out by",
    "grouped per", "for all", "in every", "per each", "by every", "split across", "categorized by",
    "for each different", "for every different",
];

// ---------------------------------------------------------------------------------------
// filter

#[rustfmt::skip]
pub(crate) const FILTER_LEAD: &[&str] = &[
    "filter", "filter rows", "filter the rows", "filter the data", "filter to", "filter for",
    "filter by", "filter on", "keep", "keep only", "only keep", "show", "show only", "show me",
    "select", "only", "include only", "limit to", "restrict to", "rows", "the rows", "all rows",
    "records", "entries", "where", "with", "whose", "that", "which", "having", "in which",
    "for which", "if", "when", "the data", "to", "for", "just",
];

#[rustfmt::skip]
pub(crate) const REMOVE_LEAD: &[&str] = &[
    "remove", "delete", "drop", "exclude", "filter out", "get rid of", "take out", "throw out",
    "discard",
];

/// Comparison operators, in symbols and in words.
#[rustfmt::skip]
pub(crate) const OPERATORS: &[(CmpOp, &[&str])] = &[
    (CmpOp::Eq, &["=", "is", "is equal to", "equal to", "equals", "is exactly", "is on"]),
    (CmpOp::Ne, &[
        "!=", "is not", "isn't", "is not equal to", "not equal to", "does not equal",
        "doesn't equal", "is different from",
    ]),
    (CmpOp::Gt, &[
        ">", "is greater than", "greater than", "is more than", "more than", "is larger than",
        "larger than", "is bigger than", "bigger than", "is higher than", "higher than",
        "is above", "above", "is over", "over", "exceeds", "is after", "after", "is later than",
    ]),
    (CmpOp::Ge, &[
        ">=", "is greater than or equal to", "greater than or equal to", "is at least",
        "at least", "is no less than", "no less than", "is on or after", "on or after", "since",
    ]),
    (CmpOp::Lt, &[
        "<", "is less than", "less than", "is fewer than", "fewer than", "is smaller than",
        "smaller than", "is lower than", "lower than", "is below", "below", "is under", "under",
        "is before", "before", "is earlier than",
    ]),
    (CmpOp::Le, &[
        "<=", "is less than or equal to", "less than or equal to", "is at most", "at most",
        "is no more than", "no more than", "is on or before", "on or before",
    ]),
    (CmpOp::Contains, &[
        "contains", "contain", "containing", "includes", "include", "including", "has",
        "mentions",
    ]),
    (CmpOp::NotContains, &[
        "does not contain", "doesn't contain", "do not contain", "don't contain",
        "not containing", "does not include", "doesn't include", "without",
    ]),
];

/// Words that compare a date column with a period: "where Date is in 2012", "orders
/// during March 2012". Read only where the column before them holds dates.
#[rustfmt::skip]
pub(crate) const DATE_IN: &[&str] = &[
    "in", "is in", "during", "is during", "within", "is within", "from", "is from", "dated",
];

// ---------------------------------------------------------------------------------------
// values in a request (see `values`)

/// Words after a number that multiply it: "1k", "2.5 million", "3 mio".
#[rustfmt::skip]
pub(crate) const NUMBER_SCALES: &[(f64, &[&str])] = &[
    (1e3, &["k", "thousand", "thousands", "mil", "mille", "tausend", "mila", "тыс", "千"]),
    (1e4, &["万"]),
    (1e6, &[
        "m", "mn", "mm", "million", "millions", "mio", "millón", "millones", "millionen",
        "milione", "milioni", "milhão", "milhões", "млн", "百万",
    ]),
    (1e8, &["亿", "億"]),
    (1e9, &["b", "bn", "billion", "billions", "mrd", "milliard", "milliarde", "millardo", "млрд"]),
];

/// Currency symbols and words around a number: "$2,000", "2.000 €", "USD 12".
#[rustfmt::skip]
pub(crate) const CURRENCY_WORDS: &[&str] = &[
    "$", "us$", "€", "£", "¥", "₹", "₽", "usd", "eur", "gbp", "jpy", "cny", "rmb", "chf",
    "dollars", "dollar", "euros", "euro", "pounds", "yen", "yuan", "rubles", "руб", "元", "円",
];

/// Words after a number that make it a percent: "10%", "10 percent".
#[rustfmt::skip]
pub(crate) const PERCENT_WORDS: &[&str] = &[
    "%", "per cent", "percent", "pct", "por ciento", "pour cent", "prozent", "per cento",
    "por cento", "процентов", "процента", "процент",
];

/// Month names, in the languages of `lang/`, for periods ("March 2012").
#[rustfmt::skip]
pub(crate) const MONTHS: &[(u32, &[&str])] = &[
    (1, &["january", "jan", "enero", "janvier", "januar", "gennaio", "janeiro", "январь", "января"]),
    (2, &["february", "feb", "febrero", "février", "fevrier", "februar", "febbraio", "fevereiro", "февраль", "февраля"]),
    (3, &["march", "mar", "marzo", "mars", "märz", "marz", "março", "marco", "март", "марта"]),
    (4, &["april", "apr", "abril", "avril", "aprile", "апрель", "апреля"]),
    (5, &["may", "mayo", "mai", "maggio", "maio", "май", "мая"]),
    (6, &["june", "jun", "junio", "juin", "juni", "giugno", "junho", "июнь", "июня"]),
    (7, &["july", "jul", "julio", "juillet", "juli", "luglio", "julho", "июль", "июля"]),
    (8, &["august", "aug", "agosto", "août", "aout", "августа", "август"]),
    (9, &["september", "sep", "sept", "septiembre", "septembre", "settembre", "setembro", "сентябрь", "сентября"]),
    (10, &["october", "oct", "octubre", "octobre", "oktober", "ottobre", "outubro", "октябрь", "октября"]),
    (11, &["november", "nov", "noviembre", "novembre", "novembro", "ноябрь", "ноября"]),
    (12, &["december", "dec", "diciembre", "décembre", "decembre", "dezember", "dicembre", "dezembro", "декабрь", "декабря"]),
];

/// Whether a word is part of a value (a month, a scale, a currency, a percent), which
/// the typo corrector leaves as it is.
pub(crate) fn is_value_word(word: &str) -> bool {
    vocab_value_lists().any(|w| w == word)
}

fn vocab_value_lists() -> impl Iterator<Item = &'static str> {
    phrases(MONTHS)
        .chain(phrases(NUMBER_SCALES))
        .chain(CURRENCY_WORDS.iter().copied())
        .chain(PERCENT_WORDS.iter().copied())
}

/// Words for true and false in a condition on a true/false column.
pub(crate) const TRUE_WORDS: &[&str] = &["true", "yes", "y", "1"];
pub(crate) const FALSE_WORDS: &[&str] = &["false", "no", "n", "0"];

// ---------------------------------------------------------------------------------------
// number and date formats

/// The verbs of a format: "format Revenue as currency", "show Day as dd/mm/yyyy".
#[rustfmt::skip]
pub(crate) const FORMAT_VERBS: &[&str] = &[
    "format", "reformat", "show", "display", "set", "make", "apply", "change", "convert",
    "present", "write", "put", "add", "use", "give",
];

/// Between the column and its format ("as currency", "in dd/mm/yyyy", "with commas").
#[rustfmt::skip]
pub(crate) const FORMAT_JOINS: &[&str] = &[
    "as", "in", "with", "to", "into", "using", "the format", "in the format", "to the format",
    "as a", "as an", "in a", "with a", "formatted as", "number format", "format",
];

/// Before the column when the format comes first ("add thousands separators to Sales").
pub(crate) const FORMAT_ON: &[&str] = &["to", "on", "for", "in", "of"];

/// Named formats. Date patterns ("dd/mm/yyyy") are read as written.
#[rustfmt::skip]
pub(crate) const NUMBER_FORMATS: &[(NumberFormat, &[&str])] = &[
    (NumberFormat::Currency, &[
        "currency", "dollars", "dollar", "usd", "money", "$", "us dollars", "dollar amounts",
        "a currency", "currency format", "dollar format", "accounting",
    ]),
    (NumberFormat::Euro, &["euro", "euros", "eur", "€", "euro currency"]),
    (NumberFormat::Pound, &["gbp", "£", "british pounds"]),
    (NumberFormat::Percent, &[
        "percent", "percentage", "percentages", "%", "a percentage", "percent format",
        "percentage format", "percents",
    ]),
    (NumberFormat::Thousands, &[
        "thousands separator", "thousands separators", "thousand separator",
        "thousand separators", "thousands separator format", "comma separator",
        "comma separators", "commas", "comma style", "comma", "a thousands separator",
    ]),
    (NumberFormat::Integer, &[
        "integers", "integer", "no decimals",
        "no decimal places", "0 decimals", "0 decimal places",
    ]),
    (NumberFormat::Scientific, &["scientific", "scientific notation"]),
    (NumberFormat::IsoDate, &["iso dates", "iso date", "iso", "iso 8601"]),
    (NumberFormat::LongDate, &["long date", "long dates"]),
    (NumberFormat::Text, &["text", "plain text"]),
];

/// "2 decimals", "two decimal places".
pub(crate) const DECIMALS_WORDS: &[&str] = &[
    "decimals",
    "decimal",
    "decimal places",
    "decimal place",
    "dp",
    "digits",
];

/// Small numbers in words.
#[rustfmt::skip]
pub(crate) const SMALL_NUMBERS: &[(u32, &[&str])] = &[
    (0, &["zero", "no"]), (1, &["one", "a single"]), (2, &["two"]), (3, &["three"]),
    (4, &["four"]), (5, &["five"]), (6, &["six"]),
];

// ---------------------------------------------------------------------------------------
// highlight (a conditional format)

#[rustfmt::skip]
pub(crate) const HIGHLIGHT_VERBS: &[&str] = &[
    "highlight", "highlights", "color", "colour", "mark", "shade", "flag", "emphasize",
    "emphasise", "fill", "paint", "conditional format", "conditionally format",
    "apply conditional formatting to", "add conditional formatting to", "use conditional formatting to highlight",
];

/// Words saying the whole row is highlighted.
pub(crate) const HIGHLIGHT_ROWS: &[&str] = &[
    "rows",
    "row",
    "records",
    "entries",
    "lines",
    "the rows",
    "the row",
    "all rows",
    "whole rows",
    "entire rows",
    "entire row",
    "whole row",
];
/// Words saying the tested cells alone are highlighted.
#[rustfmt::skip]
pub(crate) const HIGHLIGHT_CELLS: &[&str] = &[
    "cells", "cell", "the cells", "values", "the values", "cells in", "cells of", "the cells in",
    "the cells of", "values in", "the values in", "values of", "the values of", "cells where",
    "numbers in", "entries in",
];

/// Colours a highlight may ask for, as fills (six hex digits).
#[rustfmt::skip]
pub(crate) const COLORS: &[(&str, &[&str])] = &[
    ("FFC7CE", &["red", "pink"]),
    ("C6EFCE", &["green"]),
    ("FFEB9C", &["yellow"]),
    ("BDD7EE", &["blue"]),
    ("F8CBAD", &["orange"]),
    ("D9D9D9", &["gray", "grey"]),
    ("E4DFEC", &["purple"]),
];

/// Before a colour: "in yellow", "with a green fill".
#[rustfmt::skip]
pub(crate) const COLOR_LEAD: &[&str] = &["in", "with", "as", "using", "with a", "in a", "to", "by"];
pub(crate) const COLOR_TRAIL: &[&str] = &["fill", "color", "colour", "background", "highlight"];

// ---------------------------------------------------------------------------------------
// freeze panes and the filter

/// A freeze of the header row ("freeze the header").
#[rustfmt::skip]
pub(crate) const FREEZE_HEADER: &[&str] = &[
    "freeze the header", "freeze header", "freeze the header row", "freeze header row",
    "freeze the top row", "freeze top row", "freeze the first row", "freeze first row",
    "freeze panes", "freeze the panes", "freeze the headers", "freeze headers",
    "freeze the title row", "freeze row 1", "lock the header", "lock the header row",
    "lock the top row", "keep the header visible", "keep the header row visible",
    "pin the header", "pin the header row", "freeze the column headers",
    "freeze the first row of the sheet", "freeze the heading row", "freeze the headings",
];

/// A freeze of the first column.
#[rustfmt::skip]
pub(crate) const FREEZE_COLUMN: &[&str] = &[
    "freeze the first column", "freeze first column", "freeze column a", "lock the first column",
    "freeze the left column", "pin the first column", "the first column", "first column",
];

/// An autofilter on the table ("add a filter").
#[rustfmt::skip]
pub(crate) const AUTOFILTER: &[&str] = &[
    "add a filter", "add filters", "add filter", "add an autofilter", "add autofilter",
    "add an auto filter", "add auto filter", "autofilter", "auto filter", "apply a filter",
    "apply filters", "apply autofilter", "turn on the filter", "turn on filters",
    "turn on filtering", "turn on autofilter", "enable filters", "enable filter",
    "enable the filter", "enable autofilter", "enable filtering", "add filter buttons",
    "add filter dropdowns", "add filters to the header", "add a filter to the header",
    "add filters to the header row", "add a filter to the header row", "filter buttons",
    "a filter", "filters", "put filters on the header", "set up filters", "set a filter",
    "add dropdown filters", "add drop-down filters", "make the table filterable",
    "make the data filterable", "insert a filter", "insert filters", "create a filter",
];

// ---------------------------------------------------------------------------------------
// charts

/// The words of a chart request and what they ask for.
#[rustfmt::skip]
pub(crate) const CHART_WORDS: &[(ChartWord, &[&str])] = &[
    (ChartWord::Bar, &["bar chart", "bar graph", "horizontal bar chart", "bar plot", "bars", "bar"]),
    (ChartWord::Column, &[
        "column chart", "column graph", "vertical bar chart", "histogram chart", "columns chart",
    ]),
    (ChartWord::Line, &["line chart", "line graph", "line plot", "trend line", "line"]),
    (ChartWord::Pie, &["pie chart", "pie graph", "pie"]),
    (ChartWord::Scatter, &["scatter plot", "scatter chart", "scatter graph", "scatterplot", "scatter", "xy chart"]),
    (ChartWord::Any, &["chart", "graph", "plot", "visualize", "visualise", "charts"]),
];

/// Words before a chart's values: "create a bar chart of", "plot".
#[rustfmt::skip]
pub(crate) const CHART_LEAD: &[&str] = &[
    "create", "make", "add", "draw", "insert", "build", "generate", "produce", "show", "give",
    "display", "plot", "chart", "graph", "a", "an", "the", "me", "of", "for", "showing", "that shows",
    "which shows", "with", "to show", "comparing", "to compare", "visualizing", "on", "using",
    "new", "native", "excel",
];

/// Between a chart's values and its categories.
#[rustfmt::skip]
pub(crate) const CHART_BY: &[&str] = &[
    "by", "per", "for each", "for every", "across", "over", "against", "vs", "vs.", "versus",
    "broken down by", "grouped by", "by each", "in each", "of each", "along",
];

/// Before a chart's own title.
pub(crate) const CHART_TITLED: &[&str] = &[
    "titled",
    "entitled",
    "called",
    "named",
    "with title",
    "with the title",
];

// ---------------------------------------------------------------------------------------
// The analytics question

/// Periods of a time series, as pandas-like codes.
#[rustfmt::skip]
pub(crate) const PERIODS: &[(&str, &[&str])] = &[
    ("D", &["daily", "day", "days"]),
    ("W", &["weekly", "week", "weeks"]),
    ("M", &["monthly", "month", "months"]),
    ("Q", &["quarterly", "quarter", "quarters"]),
    ("Y", &["yearly", "annual", "annually", "year", "years"]),
];

/// Words that say what to do rather than what to do it on.
#[rustfmt::skip]
pub(crate) const QUESTION_FILLER: &[&str] = &[
    "plot", "show", "me", "chart", "graph", "draw", "visualize", "visualise", "compute",
    "calculate", "what", "is", "are", "the", "a", "an", "of", "per", "each", "in", "for", "please",
    "give", "analyze", "analyse", "analysis", "summarize", "summarise", "summary", "overview",
    "describe", "explore", "statistics", "stats", "insights", "data", "dataset", "file", "this",
    "trend", "trends", "over", "time", "how", "did", "does", "do", "and", "with", "to", "on",
    "about", "all", "across", "value", "values", "rows", "line", "bar", "as", "by", "i", "want",
    "see", "find", "get", "report", "breakdown", "break", "down",
];

/// A question about one column's distribution.
pub(crate) const DISTRIBUTION_WORDS: &[&str] = &["distribution", "histogram"];
/// A question about values over time (besides "over time" and the periods).
pub(crate) const TREND_WORDS: &[&str] = &["trend", "trends"];
/// Words that say what kind of question it is, never which column.
#[rustfmt::skip]
pub(crate) const QUESTION_KIND_WORDS: &[&str] = &["distribution", "histogram", "correlation", "correlations"];

/// Phrases of a question that mean its "by" ("median wind for each weather").
#[rustfmt::skip]
pub(crate) const QUESTION_BY_PHRASES: &[&str] = &[
    "for each type of", "for each kind of", "for each", "for every", "grouped by",
    "broken down by", "broken out by", "split by", "in each", "within each",
];

/// Analyses a question may ask for that the offline planner does not compute yet; a
/// question naming one fails with what it can do instead.
#[rustfmt::skip]
pub(crate) const QUESTION_UNSUPPORTED: &[&str] = &[
    "range", "outlier", "outliers", "percentile", "percentiles", "quantile", "quantiles",
    "quartile", "quartiles", "iqr", "regression", "regress", "variance", "deviation", "std",
    "stdev", "skew", "skewness", "kurtosis", "normality", "forecast", "predict", "prediction",
    "pvalue", "significance", "significant", "anova", "zscore", "mode",
];

/// Words that end the phrase after "by" in a question.
#[rustfmt::skip]
pub(crate) const QUESTION_BY_END: &[&str] = &["and", "over", "per", "in", "for", "with", "as", "from"];

/// The value of the first entry of `table` that lists `phrase`.
pub(crate) fn lookup<V: Copy>(table: &[(V, &[&str])], phrase: &str) -> Option<V> {
    table
        .iter()
        .find(|(_, phrases)| phrases.contains(&phrase))
        .map(|(v, _)| *v)
}

/// Every phrase of a table, in order.
pub(crate) fn phrases<V>(
    table: &'static [(V, &'static [&'static str])],
) -> impl Iterator<Item = &'static str> {
    table
        .iter()
        .flat_map(|(_, phrases)| phrases.iter().copied())
}

/// The longest phrase of `table` that `words` starts with: (value, number of words).
pub(crate) fn longest_at<V: Copy>(words: &[&str], table: &[(V, &[&str])]) -> Option<(V, usize)> {
    let mut best: Option<(V, usize)> = None;
    for (value, phrases) in table {
        for phrase in *phrases {
            let parts: Vec<&str> = phrase.split(' ').collect();
            let fits = words.len() >= parts.len() && words[..parts.len()] == parts[..];
            if fits && best.is_none_or(|(_, n)| parts.len() >= n) {
                best = Some((*value, parts.len()));
            }
        }
    }
    best
}
