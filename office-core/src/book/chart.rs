//! A native Excel chart over a sheet's own data: the chart part (DrawingML) and the
//! drawing that anchors it beside the data. The data sits where a new sheet puts it: a
//! header in row 1, the categories (or a scatter's x values) in column A, one series per
//! column after it. The chart carries the values it shows as caches too, so a viewer that
//! does not recalculate draws it as well.

use super::new_sheet::{column_letters, format_number};
use super::xml::escape;
use std::fmt::Write;

/// How the chart draws its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ChartKind {
    /// Horizontal bars, the first category on top.
    Bar,
    /// Vertical bars.
    Column,
    /// Lines over the categories (dates, periods).
    Line,
    /// Dots at (x, y): the categories are numbers.
    Scatter,
    /// Slices of a circle, one per category (the first series only).
    Pie,
}

impl ChartKind {
    /// The kind in words, as the change log says it.
    pub(crate) fn word(self) -> &'static str {
        match self {
            ChartKind::Bar => "bar",
            ChartKind::Column => "column",
            ChartKind::Line => "line",
            ChartKind::Scatter => "scatter",
            ChartKind::Pie => "pie",
        }
    }
}

/// One series: its name (the header of its column) and one value per category.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) values: Vec<Option<f64>>,
}

/// A chart of the sheet named `sheet`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Chart {
    pub(crate) kind: ChartKind,
    pub(crate) title: String,
    /// The category (horizontal for column, line, scatter; vertical for bar) axis' title.
    pub(crate) x_title: String,
    /// The value axis' title.
    pub(crate) y_title: String,
    /// The categories as the sheet shows them (column A below the header).
    pub(crate) categories: Vec<String>,
    pub(crate) series: Vec<Series>,
}

/// The parts of one chart, numbered `n` in the package.
#[derive(Debug)]
pub(crate) struct ChartParts {
    /// `xl/charts/chart{n}.xml`.
    pub(crate) chart: String,
    /// `xl/drawings/drawing{n}.xml`.
    pub(crate) drawing: String,
    /// `xl/drawings/_rels/drawing{n}.xml.rels`.
    pub(crate) drawing_rels: String,
}

const CAT_AXIS: u32 = 500_001;
const VAL_AXIS: u32 = 500_002;
const COLORS: [&str; 8] = [
    "4C72B0", "DD8452", "55A868", "C44E52", "8172B3", "937860", "DA8BC3", "8C8C8C",
];

/// Where a chart's data sits on its sheet (1-based rows and columns), and where the
/// chart is anchored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layout {
    /// The row holding the series' names.
    pub(crate) header_row: u32,
    /// The first data row.
    pub(crate) first_row: u32,
    /// The last data row.
    pub(crate) last_row: u32,
    /// The categories' (or a scatter's x values') column.
    pub(crate) category_col: u32,
    /// One column per series.
    pub(crate) value_cols: Vec<u32>,
    /// The 0-based column the chart's left edge sits at.
    pub(crate) anchor_col: u32,
}

impl Layout {
    /// A new sheet's layout: a header in row 1, the categories in column A, a series per
    /// column after it, `columns` columns in all; the chart one column right of them.
    pub(crate) fn new_sheet(chart: &Chart, columns: usize) -> Layout {
        Layout {
            header_row: 1,
            first_row: 2,
            last_row: chart.categories.len() as u32 + 1,
            category_col: 1,
            value_cols: (0..chart.series.len() as u32).map(|i| i + 2).collect(),
            anchor_col: columns as u32 + 1,
        }
    }
}

impl Chart {
    /// The chart's parts; it refers to `sheet`'s cells and sits to the right of its
    /// `columns` data columns.
    pub(crate) fn parts(&self, sheet: &str, columns: usize, n: usize) -> ChartParts {
        self.parts_at(sheet, &Layout::new_sheet(self, columns), n)
    }

    /// The chart's parts, over the cells `layout` names on `sheet`.
    pub(crate) fn parts_at(&self, sheet: &str, layout: &Layout, n: usize) -> ChartParts {
        ChartParts {
            chart: self.chart_xml(sheet, layout),
            drawing: drawing_xml(layout.anchor_col as usize),
            drawing_rels: format!(
                concat!(
                    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
                    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
                    r#"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart" Target="../charts/chart{}.xml"/>"#,
                    r#"</Relationships>"#
                ),
                n
            ),
        }
    }

    fn chart_xml(&self, sheet: &str, layout: &Layout) -> String {
        let rows = self.categories.len();
        let quoted = format!("'{}'", sheet.replace('\'', "''"));
        // Column `i` of the chart's data: 0 the categories, then each series.
        let column = |i: usize| match i {
            0 => layout.category_col,
            i => layout.value_cols.get(i - 1).copied().unwrap_or(1),
        };
        let range = |i: usize| {
            let letter = column_letters(column(i));
            format!(
                "{quoted}!${letter}${}:${letter}${}",
                layout.first_row, layout.last_row
            )
        };
        let pie = self.kind == ChartKind::Pie;
        let series: &[Series] = if pie {
            &self.series[..self.series.len().min(1)]
        } else {
            &self.series
        };
        let mut x = String::with_capacity(4096 + rows * 64 * (self.series.len() + 1));
        x.push_str(concat!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
            r#"<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" "#,
            r#"xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" "#,
            r#"xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#,
            r#"<c:roundedCorners val="0"/><c:chart>"#
        ));
        x.push_str(&title(&self.title, 1400));
        x.push_str(r#"<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>"#);
        let open = match self.kind {
            ChartKind::Bar => {
                r#"<c:barChart><c:barDir val="bar"/><c:grouping val="clustered"/><c:varyColors val="0"/>"#
            }
            ChartKind::Column => {
                r#"<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/>"#
            }
            ChartKind::Line => {
                r#"<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>"#
            }
            ChartKind::Scatter => {
                r#"<c:scatterChart><c:scatterStyle val="lineMarker"/><c:varyColors val="0"/>"#
            }
            ChartKind::Pie => r#"<c:pieChart><c:varyColors val="1"/>"#,
        };
        x.push_str(open);
        for (i, series) in series.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            let letter = column_letters(column(i + 1));
            let _ = write!(
                x,
                r#"<c:ser><c:idx val="{i}"/><c:order val="{i}"/><c:tx><c:strRef><c:f>{}!${letter}${}</c:f><c:strCache><c:ptCount val="1"/><c:pt idx="0"><c:v>{}</c:v></c:pt></c:strCache></c:strRef></c:tx>"#,
                escape(&quoted),
                layout.header_row,
                escape(&series.name)
            );
            match self.kind {
                ChartKind::Pie => {}
                ChartKind::Bar | ChartKind::Column => {
                    let _ = write!(
                        x,
                        r#"<c:spPr><a:solidFill><a:srgbClr val="{color}"/></a:solidFill></c:spPr><c:invertIfNegative val="0"/>"#
                    );
                }
                ChartKind::Line => {
                    let marker = if rows <= 40 { "circle" } else { "none" };
                    let _ = write!(
                        x,
                        r#"<c:spPr><a:ln w="22225"><a:solidFill><a:srgbClr val="{color}"/></a:solidFill></a:ln></c:spPr><c:marker><c:symbol val="{marker}"/><c:size val="5"/></c:marker>"#
                    );
                }
                ChartKind::Scatter => {
                    let _ = write!(
                        x,
                        r#"<c:spPr><a:ln w="19050"><a:noFill/></a:ln></c:spPr><c:marker><c:symbol val="circle"/><c:size val="4"/><c:spPr><a:solidFill><a:srgbClr val="{color}"/></a:solidFill></c:spPr></c:marker>"#
                    );
                }
            }
            let values = num_ref(&range(i + 1), &series.values);
            if self.kind == ChartKind::Scatter {
                let xs: Vec<Option<f64>> = self
                    .categories
                    .iter()
                    .map(|c| c.parse::<f64>().ok())
                    .collect();
                let _ = write!(
                    x,
                    "<c:xVal>{}</c:xVal><c:yVal>{values}</c:yVal><c:smooth val=\"0\"/></c:ser>",
                    num_ref(&range(0), &xs)
                );
            } else {
                let _ = write!(
                    x,
                    "<c:cat>{}</c:cat><c:val>{values}</c:val>",
                    str_ref(&range(0), &self.categories)
                );
                x.push_str(if self.kind == ChartKind::Line {
                    "<c:smooth val=\"0\"/></c:ser>"
                } else {
                    "</c:ser>"
                });
            }
        }
        let _ = match self.kind {
            ChartKind::Bar | ChartKind::Column => write!(
                x,
                r#"<c:gapWidth val="60"/><c:axId val="{CAT_AXIS}"/><c:axId val="{VAL_AXIS}"/></c:barChart>"#
            ),
            ChartKind::Line => write!(
                x,
                r#"<c:marker val="1"/><c:axId val="{CAT_AXIS}"/><c:axId val="{VAL_AXIS}"/></c:lineChart>"#
            ),
            ChartKind::Scatter => write!(
                x,
                r#"<c:axId val="{CAT_AXIS}"/><c:axId val="{VAL_AXIS}"/></c:scatterChart>"#
            ),
            ChartKind::Pie => write!(x, r#"<c:firstSliceAng val="0"/></c:pieChart>"#),
        };
        if !pie {
            x.push_str(&self.axes());
        }
        x.push_str("</c:plotArea>");
        if self.series.len() > 1 || pie {
            x.push_str(r#"<c:legend><c:legendPos val="r"/><c:overlay val="0"/></c:legend>"#);
        }
        x.push_str(
            r#"<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>"#,
        );
        x
    }

    /// The category and value axes (two value axes for a scatter), in the schema's order.
    fn axes(&self) -> String {
        let (cat_pos, val_pos) = match self.kind {
            ChartKind::Bar => ("l", "b"),
            _ => ("b", "l"),
        };
        // Bars list the first category on top; the value axis then crosses at the
        // category axis' far end, so it stays at the bottom.
        let (orientation, val_crosses) = match self.kind {
            ChartKind::Bar => ("maxMin", "max"),
            _ => ("minMax", "autoZero"),
        };
        let tail = r#"<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>"#;
        let first = if self.kind == ChartKind::Scatter {
            format!(
                r#"<c:valAx><c:axId val="{CAT_AXIS}"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="{cat_pos}"/>{}<c:numFmt formatCode="General" sourceLinked="1"/>{tail}<c:crossAx val="{VAL_AXIS}"/><c:crosses val="autoZero"/><c:crossBetween val="midCat"/></c:valAx>"#,
                title(&self.x_title, 1000)
            )
        } else {
            format!(
                r#"<c:catAx><c:axId val="{CAT_AXIS}"/><c:scaling><c:orientation val="{orientation}"/></c:scaling><c:delete val="0"/><c:axPos val="{cat_pos}"/>{}<c:numFmt formatCode="General" sourceLinked="1"/>{tail}<c:crossAx val="{VAL_AXIS}"/><c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>"#,
                title(&self.x_title, 1000)
            )
        };
        let between = if self.kind == ChartKind::Scatter {
            "midCat"
        } else {
            "between"
        };
        format!(
            r#"{first}<c:valAx><c:axId val="{VAL_AXIS}"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="{val_pos}"/><c:majorGridlines><c:spPr><a:ln w="6350"><a:solidFill><a:srgbClr val="D9D9D9"/></a:solidFill></a:ln></c:spPr></c:majorGridlines>{}<c:numFmt formatCode="General" sourceLinked="1"/>{tail}<c:crossAx val="{CAT_AXIS}"/><c:crosses val="{val_crosses}"/><c:crossBetween val="{between}"/></c:valAx>"#,
            title(&self.y_title, 1000)
        )
    }
}

/// A chart or axis title; nothing when `text` is empty.
fn title(text: &str, size: u32) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    format!(
        r#"<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="{size}" b="1"/></a:pPr><a:r><a:rPr lang="en-US" sz="{size}" b="1"/><a:t>{}</a:t></a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title>"#,
        escape(text)
    )
}

fn str_ref(range: &str, values: &[String]) -> String {
    let mut x = format!(
        r#"<c:strRef><c:f>{}</c:f><c:strCache><c:ptCount val="{}"/>"#,
        escape(range),
        values.len()
    );
    for (i, v) in values.iter().enumerate() {
        let _ = write!(x, r#"<c:pt idx="{i}"><c:v>{}</c:v></c:pt>"#, escape(v));
    }
    x.push_str("</c:strCache></c:strRef>");
    x
}

fn num_ref(range: &str, values: &[Option<f64>]) -> String {
    let mut x = format!(
        r#"<c:numRef><c:f>{}</c:f><c:numCache><c:formatCode>General</c:formatCode><c:ptCount val="{}"/>"#,
        escape(range),
        values.len()
    );
    for (i, v) in values.iter().enumerate() {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            let _ = write!(
                x,
                r#"<c:pt idx="{i}"><c:v>{}</c:v></c:pt>"#,
                format_number(v)
            );
        }
    }
    x.push_str("</c:numCache></c:numRef>");
    x
}

/// The drawing: the chart's left edge at the 0-based column `from`, 9 columns by 20 rows.
pub(crate) fn drawing_xml(from: usize) -> String {
    drawing_xml_many(&[(from, 1, 1)])
}

/// A drawing of several charts: each `(column, row, relationship)` anchors the chart of
/// relationship `rId{relationship}` with its top left at the 0-based column and row, 9
/// columns by 20 rows.
pub(crate) fn drawing_xml_many(anchors: &[(usize, usize, usize)]) -> String {
    let mut x = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        r#"<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" "#,
        r#"xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">"#
    ));
    for &(col, row, rel) in anchors {
        x.push_str(&anchor_xml(col, row, &format!("rId{rel}"), rel + 1, false));
    }
    x.push_str("</xdr:wsDr>");
    x
}

/// One chart's anchor in a drawing: the chart of relationship `rid`, its shape `id`
/// (unique in the drawing), its top left at the 0-based column and row. `declare`: the
/// anchor declares its own namespaces (added to a drawing written by someone else).
pub(crate) fn anchor_xml(col: usize, row: usize, rid: &str, id: usize, declare: bool) -> String {
    let namespaces = if declare {
        concat!(
            r#" xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing""#,
            r#" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main""#
        )
    } else {
        ""
    };
    format!(
        concat!(
            r#"<xdr:twoCellAnchor{namespaces} editAs="oneCell">"#,
            r#"<xdr:from><xdr:col>{col}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"#,
            r#"<xdr:to><xdr:col>{to_col}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{to_row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"#,
            r#"<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{id}" name="Chart {id}"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>"#,
            r#"<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>"#,
            r#"<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">"#,
            r#"<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" "#,
            r#"xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="{rid}"/>"#,
            r#"</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>"#
        ),
        namespaces = namespaces,
        col = col,
        row = row,
        to_col = col + 9,
        to_row = row + 20,
        id = id,
        rid = rid
    )
}
