//! Shared helpers for office's benchmarks.

/// The p-th percentile (0..=100) of already sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// A minimal xlsx package holding the given worksheets (name, worksheet XML), in order.
pub fn xlsx(sheets: &[(&str, String)]) -> Vec<u8> {
    use std::io::{Cursor, Write};
    const SHEET_TYPE: &str =
        "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let mut types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#,
    );
    let mut book = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
    );
    let mut rels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    for (i, (name, _)) in sheets.iter().enumerate() {
        let n = i + 1;
        types.push_str(&format!(
            r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{SHEET_TYPE}"/>"#
        ));
        book.push_str(&format!(
            r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#
        ));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        ));
    }
    let styles_id = sheets.len() + 1;
    rels.push_str(&format!(
        r#"<Relationship Id="rId{styles_id}" Type="{REL}/styles" Target="styles.xml"/></Relationships>"#
    ));
    types.push_str("</Types>");
    book.push_str("</sheets></workbook>");
    let mut parts = vec![
        ("[Content_Types].xml".to_string(), types),
        ("_rels/.rels".to_string(), format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#)),
        ("xl/workbook.xml".to_string(), book),
        ("xl/_rels/workbook.xml.rels".to_string(), rels),
        ("xl/styles.xml".to_string(), r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#.to_string()),
    ];
    for (i, (_, xml)) in sheets.iter().enumerate() {
        parts.push((format!("xl/worksheets/sheet{}.xml", i + 1), xml.clone()));
    }
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in parts {
        writer
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// The columns of the sales table the size benchmarks use.
pub const SALES_COLUMNS: [&str; 10] = [
    "Region", "Product", "Units", "Price", "Revenue", "Cost", "Tax", "Discount", "Weight", "Score",
];

/// Row `i` of the sales table: the region, the product and the eight numbers.
pub fn sales_row(i: usize) -> (&'static str, usize, [f64; 8]) {
    let regions = ["North", "South", "East", "West"];
    let units = (i * 37) % 101;
    let price = ((i * 13) % 997) as f64 / 10.0 + 0.5;
    let numbers = [
        units as f64,
        price,
        units as f64 * price,
        price * 0.6,
        price * 0.2,
        (i % 7) as f64,
        (i % 50) as f64 * 0.1,
        ((i * 7) % 1000) as f64,
    ];
    (regions[i % 4], i % 300, numbers)
}

/// The same sales table as CSV text.
pub fn sales_csv(rows: usize) -> String {
    use std::fmt::Write;
    let mut text = String::with_capacity(rows * 64);
    text.push_str(&SALES_COLUMNS.join(","));
    text.push('\n');
    for i in 0..rows {
        let (region, product, numbers) = sales_row(i);
        write!(text, "{region},P{product}").unwrap();
        for n in numbers {
            write!(text, ",{n}").unwrap();
        }
        text.push('\n');
    }
    text
}

/// A workbook with one Data sheet: Region, Product (text), then eight number columns,
/// Units and Revenue among them; `rows` data rows under a header.
pub fn sales_workbook(rows: usize) -> Vec<u8> {
    let mut sheet = String::with_capacity(rows * 420);
    let names = SALES_COLUMNS;
    sheet.push_str(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">"#);
    for (c, name) in names.iter().enumerate() {
        let letter = (b'A' + c as u8) as char;
        sheet.push_str(&format!(
            r#"<c r="{letter}1" t="inlineStr"><is><t>{name}</t></is></c>"#
        ));
    }
    sheet.push_str("</row>");
    for i in 0..rows {
        let r = i + 2;
        let (region, product, numbers) = sales_row(i);
        sheet.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{}</t></is></c><c r="B{r}" t="inlineStr"><is><t>P{}</t></is></c>"#,
            region, product
        ));
        for (c, n) in numbers.iter().enumerate() {
            let letter = (b'C' + c as u8) as char;
            sheet.push_str(&format!(r#"<c r="{letter}{r}"><v>{n}</v></c>"#));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    xlsx(&[("Data", sheet)])
}
