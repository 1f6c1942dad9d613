//! The request set: requests over real public files (tests/fixtures/real), in English
//! and eight other languages, each with the plan it must give written out by hand
//! (the operations in the planner's own words), and requests out of scope with the
//! failure they must give. The rate per operation and per language is printed
//! (`cargo test -p office-core --lib request_set -- --nocapture`).

use super::*;
use crate::profile::profile_file;
use std::collections::BTreeMap;
use std::path::Path;

/// What a request must give.
enum Expect {
    /// The operations, in order, as `Operation::summary` words them.
    Plan(&'static [&'static str]),
    /// A failure with this error code, whose message holds all of `says` and none of
    /// `never` (a phantom column, the general overview).
    Fails {
        code: &'static str,
        says: &'static [&'static str],
    },
}

use Expect::{Fails, Plan};

/// (file, language, operation, request, expected).
type Case = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Expect,
);

const WEATHER: &str = "vega/seattle-weather.csv";
const STRIKES: &str = "vega/birdstrikes.csv";
const ENERGY: &str = "frictionless/ogd10_energieforschungstatistik_ch.csv";
const HOTELS: &str = "frictionless/table-with-accents.csv";

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    vec![
        // --- Seattle weather, English --------------------------------------------------
        (WEATHER, "en", "sort", "sort by temp max descnding", Plan(&["sort by temp_max, descending"])),
        (WEATHER, "en", "sort", "sort by temp_max descending", Plan(&["sort by temp_max, descending"])),
        (WEATHER, "en", "sort", "order by date, newest first", Plan(&["sort by date, descending"])),
        (WEATHER, "en", "sort", "sort by precip ascending", Plan(&["sort by precipitation, ascending"])),
        (WEATHER, "en", "sort", "sort by wind high to low", Plan(&["sort by wind, descending"])),
        (WEATHER, "en", "sort", "sort by maximum temperature, highest first", Plan(&["sort by temp_max, descending"])),
        (WEATHER, "en", "sort", "sort by the weather column a to z", Plan(&["sort by weather, ascending"])),
        (WEATHER, "en", "sort", "sort by min temp descending", Plan(&["sort by temp_min, descending"])),
        (WEATHER, "en", "sort", "sort by Wind, biggest first", Plan(&["sort by wind, descending"])),
        (WEATHER, "en", "sort", "arrange by precipitation in decreasing order", Plan(&["sort by precipitation, descending"])),
        (WEATHER, "en", "sort", "sort by temp_max decending", Plan(&["sort by temp_max, descending"])),
        (WEATHER, "en", "sort", "sort by wind ascnding", Plan(&["sort by wind, ascending"])),
        (WEATHER, "en", "sort", "sort by TEMP-MAX, largest to smallest", Plan(&["sort by temp_max, descending"])),
        (WEATHER, "en", "sort", "sort by precipitations descending", Plan(&["sort by precipitation, descending"])),
        (WEATHER, "en", "aggregate", "maximum wind for each weather type", Plan(&["max of wind by weather"])),
        (WEATHER, "en", "aggregate", "average temp_max per weather", Plan(&["mean of temp_max by weather"])),
        (WEATHER, "en", "aggregate", "averge temp max by weather", Plan(&["mean of temp_max by weather"])),
        (WEATHER, "en", "aggregate", "total precipitation by weather", Plan(&["sum of precipitation by weather"])),
        (WEATHER, "en", "aggregate", "highest wind per weather", Plan(&["max of wind by weather"])),
        (WEATHER, "en", "aggregate", "lowest temp min grouped by weather", Plan(&["min of temp_min by weather"])),
        (WEATHER, "en", "aggregate", "median precipitation broken down by weather", Plan(&["median of precipitation by weather"])),
        (WEATHER, "en", "aggregate", "count rows by weather", Plan(&["count rows by weather"])),
        (WEATHER, "en", "aggregate", "how many days per weather", Plan(&["count rows by weather"])),
        (WEATHER, "en", "aggregate", "sum of precipitation for every weather", Plan(&["sum of precipitation by weather"])),
        (WEATHER, "en", "aggregate", "group by weather and average wind", Plan(&["mean of wind by weather"])),
        (WEATHER, "en", "aggregate", "mean maximum temperature by weather", Plan(&["mean of temp_max by weather"])),
        (WEATHER, "en", "aggregate", "biggest precipitation by weather", Plan(&["max of precipitation by weather"])),
        (WEATHER, "en", "aggregate", "avg wind per weather", Plan(&["mean of wind by weather"])),
        (WEATHER, "en", "aggregate", "totl precipitation by weather", Plan(&["sum of precipitation by weather"])),
        (WEATHER, "en", "aggregate", "maximum temp_max for each weather", Plan(&["max of temp_max by weather"])),
        (WEATHER, "en", "aggregate", "average wind broken out by weather", Plan(&["mean of wind by weather"])),
        (WEATHER, "en", "filter", "rows where weather is rain", Plan(&["keep rows where weather equals 'rain'"])),
        (WEATHER, "en", "filter", "keep rows where temp_max > 30", Plan(&["keep rows where temp_max is greater than 30"])),
        (WEATHER, "en", "filter", "where precipitation is more than 10", Plan(&["keep rows where precipitation is greater than 10"])),
        (WEATHER, "en", "filter", "remove rows where weather is sun", Plan(&["remove rows where weather equals 'sun'"])),
        (WEATHER, "en", "filter", "filter where wind is at least 5", Plan(&["keep rows where wind is at least 5"])),
        (WEATHER, "en", "filter", "only rows with temp min below 0", Plan(&["keep rows where temp_min is less than 0"])),
        (WEATHER, "en", "filter", "keep rows where date is after 2015-06-01", Plan(&["keep rows where date is greater than 2015-06-01"])),
        (WEATHER, "en", "filter", "where weather contains dri", Plan(&["keep rows where weather contains 'dri'"])),
        (WEATHER, "en", "filter", "keep rows where max temperature is greater than 25", Plan(&["keep rows where temp_max is greater than 25"])),
        (WEATHER, "en", "filter", "fliter rows where wind is above 7", Plan(&["keep rows where wind is greater than 7"])),
        (WEATHER, "en", "remove duplicates", "remove duplicates", Plan(&["remove duplicate rows (all columns)"])),
        (WEATHER, "en", "remove duplicates", "dedupe by weather", Plan(&["remove duplicate rows by weather"])),
        (WEATHER, "en", "remove duplicates", "remove duplicate rows based on date", Plan(&["remove duplicate rows by date"])),
        (WEATHER, "en", "describe", "describe", Plan(&["summary statistics of the numeric columns"])),
        (WEATHER, "en", "describe", "summary statistics of wind and precipitation", Plan(&["summary statistics of wind and precipitation"])),
        (WEATHER, "en", "describe", "show basic stats", Plan(&["summary statistics of the numeric columns"])),
        (WEATHER, "en", "add computed column", "add column spread = temp_max - temp_min", Plan(&["add column spread = temp_max - temp_min"])),
        (WEATHER, "en", "add computed column", "add a column called avg = (temp max + temp min) / 2", Plan(&["add column avg = (temp_max + temp_min) / 2"])),
        (WEATHER, "en", "several", "filter where weather is rain, then sort by wind descending", Plan(&["keep rows where weather equals 'rain'", "sort by wind, descending"])),
        (WEATHER, "en", "several", "sort by temp max descnding and total precipitation by weather", Plan(&["sort by temp_max, descending", "sum of precipitation by weather"])),
        (WEATHER, "en", "several", "remove duplicates, keep rows where wind > 3, then averge temp_max per weather", Plan(&["remove duplicate rows (all columns)", "keep rows where wind is greater than 3", "mean of temp_max by weather"])),
        // --- Seattle weather, other languages -------------------------------------------
        (WEATHER, "es", "sort", "ordenar por temp_max descendente", Plan(&["sort by temp_max, descending"])),
        (WEATHER, "es", "sort", "ordenar por date de menor a mayor", Plan(&["sort by date, ascending"])),
        (WEATHER, "es", "aggregate", "suma de precipitation por weather", Plan(&["sum of precipitation by weather"])),
        (WEATHER, "es", "aggregate", "promedio de wind por weather", Plan(&["mean of wind by weather"])),
        (WEATHER, "es", "aggregate", "máximo de temp_max para cada weather", Plan(&["max of temp_max by weather"])),
        (WEATHER, "es", "aggregate", "contar filas por weather", Plan(&["count rows by weather"])),
        (WEATHER, "es", "filter", "filtrar filas donde temp_max es mayor que 30", Plan(&["keep rows where temp_max is greater than 30"])),
        (WEATHER, "es", "remove duplicates", "eliminar duplicados", Plan(&["remove duplicate rows (all columns)"])),
        (WEATHER, "es", "describe", "estadísticas descriptivas", Plan(&["summary statistics of the numeric columns"])),
        (WEATHER, "pt", "sort", "ordenar por wind decrescente", Plan(&["sort by wind, descending"])),
        (WEATHER, "pt", "aggregate", "soma de precipitation por weather", Plan(&["sum of precipitation by weather"])),
        (WEATHER, "pt", "aggregate", "média de temp_min por weather", Plan(&["mean of temp_min by weather"])),
        (WEATHER, "pt", "filter", "filtrar linhas onde wind é maior que 5", Plan(&["keep rows where wind is greater than 5"])),
        (WEATHER, "pt", "remove duplicates", "remover duplicados", Plan(&["remove duplicate rows (all columns)"])),
        (WEATHER, "it", "sort", "ordina per temp_max decrescente", Plan(&["sort by temp_max, descending"])),
        (WEATHER, "it", "aggregate", "somma di precipitation per weather", Plan(&["sum of precipitation by weather"])),
        (WEATHER, "it", "aggregate", "media di wind per ogni weather", Plan(&["mean of wind by weather"])),
        (WEATHER, "it", "filter", "filtra le righe dove temp_max è maggiore di 25", Plan(&["keep rows where temp_max is greater than 25"])),
        (WEATHER, "it", "remove duplicates", "rimuovi i duplicati", Plan(&["remove duplicate rows (all columns)"])),
        (WEATHER, "fr", "sort", "trier par temp_max décroissant", Plan(&["sort by temp_max, descending"])),
        (WEATHER, "fr", "sort", "trier par date par ordre croissant", Plan(&["sort by date, ascending"])),
        (WEATHER, "fr", "aggregate", "moyenne de wind par weather", Plan(&["mean of wind by weather"])),
        (WEATHER, "fr", "aggregate", "somme des precipitation par weather", Plan(&["sum of precipitation by weather"])),
        (WEATHER, "fr", "filter", "filtrer les lignes où wind est supérieur à 6", Plan(&["keep rows where wind is greater than 6"])),
        (WEATHER, "fr", "remove duplicates", "supprimer les doublons", Plan(&["remove duplicate rows (all columns)"])),
        (WEATHER, "de", "sort", "sortiere nach wind absteigend", Plan(&["sort by wind, descending"])),
        (WEATHER, "de", "sort", "nach temp_max absteigend sortieren", Plan(&["sort by temp_max, descending"])),
        (WEATHER, "de", "aggregate", "Summe von precipitation nach weather", Plan(&["sum of precipitation by weather"])),
        (WEATHER, "de", "aggregate", "Mittelwert von temp_max pro weather", Plan(&["mean of temp_max by weather"])),
        (WEATHER, "de", "filter", "filtere zeilen wo wind größer als 6", Plan(&["keep rows where wind is greater than 6"])),
        (WEATHER, "de", "remove duplicates", "entferne Duplikate", Plan(&["remove duplicate rows (all columns)"])),
        (WEATHER, "ru", "sort", "отсортировать по temp_max по убыванию", Plan(&["sort by temp_max, descending"])),
        (WEATHER, "ru", "aggregate", "сумма precipitation по weather", Plan(&["sum of precipitation by weather"])),
        (WEATHER, "ru", "aggregate", "среднее wind для каждого weather", Plan(&["mean of wind by weather"])),
        (WEATHER, "ru", "filter", "строки, где wind больше 6", Plan(&["keep rows where wind is greater than 6"])),
        (WEATHER, "ru", "remove duplicates", "удалить дубликаты", Plan(&["remove duplicate rows (all columns)"])),
        (WEATHER, "zh", "aggregate", "按 weather 统计 precipitation 的总和", Plan(&["sum of precipitation by weather"])),
        (WEATHER, "zh", "aggregate", "按weather计算wind的平均值", Plan(&["mean of wind by weather"])),
        (WEATHER, "zh", "aggregate", "每个weather的最大wind", Plan(&["max of wind by weather"])),
        (WEATHER, "zh", "aggregate", "统计各weather的数量", Plan(&["count rows by weather"])),
        (WEATHER, "zh", "sort", "按temp_max降序排序", Plan(&["sort by temp_max, descending"])),
        (WEATHER, "zh", "sort", "按 date 升序排列", Plan(&["sort by date, ascending"])),
        (WEATHER, "zh", "filter", "筛选temp_max大于30的行", Plan(&["keep rows where temp_max is greater than 30"])),
        (WEATHER, "zh", "remove duplicates", "删除重复项", Plan(&["remove duplicate rows (all columns)"])),
        (WEATHER, "zh-Hant", "aggregate", "按 weather 計算 precipitation 的總和", Plan(&["sum of precipitation by weather"])),
        (WEATHER, "zh-Hant", "sort", "按 wind 降冪排序", Plan(&["sort by wind, descending"])),
        (WEATHER, "zh-Hant", "filter", "篩選wind大於6的行", Plan(&["keep rows where wind is greater than 6"])),
        (WEATHER, "zh-Hant", "remove duplicates", "刪除重複項", Plan(&["remove duplicate rows (all columns)"])),
        (WEATHER, "ja", "aggregate", "weatherごとのprecipitationの合計", Plan(&["sum of precipitation by weather"])),
        (WEATHER, "ja", "aggregate", "weatherごとのwindの平均", Plan(&["mean of wind by weather"])),
        (WEATHER, "ja", "sort", "temp_maxで降順に並べ替え", Plan(&["sort by temp_max, descending"])),
        (WEATHER, "ja", "sort", "dateで昇順に並べ替えて", Plan(&["sort by date, ascending"])),
        (WEATHER, "ja", "filter", "windが5より大きい行", Plan(&["keep rows where wind is greater than 5"])),
        (WEATHER, "ja", "remove duplicates", "重複を削除", Plan(&["remove duplicate rows (all columns)"])),
        (WEATHER, "es", "several", "filtrar filas donde weather es rain y luego ordenar por wind descendente", Plan(&["keep rows where weather equals 'rain'", "sort by wind, descending"])),
        // --- FAA bird strikes, English ------------------------------------------------
        (STRIKES, "en", "aggregate", "average repair cost per phase of flight", Plan(&["mean of Cost Repair by Phase of flight"])),
        (STRIKES, "en", "aggregate", "total cost by origin state", Plan(&["sum of Cost Total $ by Origin State"])),
        (STRIKES, "en", "aggregate", "sum of repair costs by state", Plan(&["sum of Cost Repair by Origin State"])),
        (STRIKES, "en", "aggregate", "max speed per phase", Plan(&["max of Speed IAS in knots by Phase of flight"])),
        (STRIKES, "en", "aggregate", "count strikes by wildlife size", Plan(&["count rows by Wildlife Size"])),
        (STRIKES, "en", "aggregate", "average other cost by time of day", Plan(&["mean of Cost Other by Time of day"])),
        (STRIKES, "en", "aggregate", "median repair cost broken down by flight phase", Plan(&["median of Cost Repair by Phase of flight"])),
        (STRIKES, "en", "aggregate", "highest total cost per airline operator", Plan(&["max of Cost Total $ by Aircraft Airline Operator"])),
        (STRIKES, "en", "aggregate", "count by species", Plan(&["count rows by Wildlife Species"])),
        (STRIKES, "en", "aggregate", "average speed for each aircraft model", Plan(&["mean of Speed IAS in knots by Aircraft Make Model"])),
        (STRIKES, "en", "aggregate", "sum of cost total $ by phase of flight", Plan(&["sum of Cost Total $ by Phase of flight"])),
        (STRIKES, "en", "aggregate", "total repair cost grouped by wildlife size", Plan(&["sum of Cost Repair by Wildlife Size"])),
        (STRIKES, "en", "aggregate", "average speed in knots per time of day", Plan(&["mean of Speed IAS in knots by Time of day"])),
        (STRIKES, "en", "aggregate", "count rows per damage", Plan(&["count rows by Effect Amount of damage"])),
        (STRIKES, "en", "sort", "sort by total cost descending", Plan(&["sort by Cost Total $, descending"])),
        (STRIKES, "en", "sort", "sort by cost total $ highest first", Plan(&["sort by Cost Total $, descending"])),
        (STRIKES, "en", "sort", "sort by flight date, oldest first", Plan(&["sort by Flight Date, ascending"])),
        (STRIKES, "en", "sort", "sort by repair cost descnding", Plan(&["sort by Cost Repair, descending"])),
        (STRIKES, "en", "sort", "sort by airport", Plan(&["sort by Airport Name, ascending"])),
        (STRIKES, "en", "sort", "sort by state and flight date", Plan(&["sort by Origin State and Flight Date, ascending"])),
        (STRIKES, "en", "filter", "where origin state is texas", Plan(&["keep rows where Origin State equals 'texas'"])),
        (STRIKES, "en", "filter", "keep rows where speed is over 200", Plan(&["keep rows where Speed IAS in knots is greater than 200"])),
        (STRIKES, "en", "filter", "rows where phase of flight is Climb", Plan(&["keep rows where Phase of flight equals 'Climb'"])),
        (STRIKES, "en", "filter", "remove rows where wildlife size is small", Plan(&["remove rows where Wildlife Size equals 'Small'"])),
        (STRIKES, "en", "filter", "keep rows where the total cost is more than 10000", Plan(&["keep rows where Cost Total $ is greater than 10000"])),
        (STRIKES, "en", "filter", "keep strikes where time of day is night", Plan(&["keep rows where Time of day equals 'Night'"])),
        (STRIKES, "en", "remove duplicates", "remove duplicates by airport name", Plan(&["remove duplicate rows by Airport Name"])),
        (STRIKES, "en", "describe", "describe repair cost and other cost", Plan(&["summary statistics of Cost Repair and Cost Other"])),
        (STRIKES, "en", "add computed column", "add column Repair Share = Cost Repair / Cost Total $", Plan(&["add column Repair Share = Cost Repair / Cost Total $"])),
        (STRIKES, "en", "several", "keep rows where phase of flight is approach, then average repair cost by state", Plan(&["keep rows where Phase of flight equals 'Approach'", "mean of Cost Repair by Origin State"])),
        // --- FAA bird strikes, other languages ------------------------------------------
        (STRIKES, "es", "aggregate", "promedio de Cost Repair por Phase of flight", Plan(&["mean of Cost Repair by Phase of flight"])),
        (STRIKES, "es", "sort", "ordenar por Cost Total $ descendente", Plan(&["sort by Cost Total $, descending"])),
        (STRIKES, "es", "filter", "filas donde Origin State es Texas", Plan(&["keep rows where Origin State equals 'Texas'"])),
        (STRIKES, "zh", "aggregate", "按 Origin State 统计 Cost Total $ 的总和", Plan(&["sum of Cost Total $ by Origin State"])),
        (STRIKES, "zh", "aggregate", "按Phase of flight计算Cost Repair的平均值", Plan(&["mean of Cost Repair by Phase of flight"])),
        (STRIKES, "zh", "sort", "按 Cost Repair 降序排序", Plan(&["sort by Cost Repair, descending"])),
        (STRIKES, "ja", "aggregate", "Phase of flightごとのCost Repairの平均", Plan(&["mean of Cost Repair by Phase of flight"])),
        (STRIKES, "ja", "sort", "Cost Total $で降順に並べ替え", Plan(&["sort by Cost Total $, descending"])),
        (STRIKES, "de", "aggregate", "Summe von Cost Total $ nach Origin State", Plan(&["sum of Cost Total $ by Origin State"])),
        (STRIKES, "de", "sort", "sortiere nach Speed IAS in knots absteigend", Plan(&["sort by Speed IAS in knots, descending"])),
        (STRIKES, "fr", "aggregate", "moyenne de Speed IAS in knots par Phase of flight", Plan(&["mean of Speed IAS in knots by Phase of flight"])),
        (STRIKES, "fr", "filter", "lignes où Cost Repair est supérieur à 1000", Plan(&["keep rows where Cost Repair is greater than 1000"])),
        (STRIKES, "ru", "aggregate", "сумма Cost Repair по Origin State", Plan(&["sum of Cost Repair by Origin State"])),
        (STRIKES, "ru", "sort", "отсортировать по Flight Date по возрастанию", Plan(&["sort by Flight Date, ascending"])),
        (STRIKES, "pt", "aggregate", "média de Cost Other por Time of day", Plan(&["mean of Cost Other by Time of day"])),
        (STRIKES, "pt", "filter", "linhas onde Speed IAS in knots é maior que 150", Plan(&["keep rows where Speed IAS in knots is greater than 150"])),
        (STRIKES, "it", "aggregate", "somma di Cost Total $ per Origin State", Plan(&["sum of Cost Total $ by Origin State"])),
        (STRIKES, "it", "sort", "ordina per Flight Date crescente", Plan(&["sort by Flight Date, ascending"])),
        // --- Swiss energy research (German columns) -------------------------------------
        (ENERGY, "en", "aggregate", "total finanzbeitrag by jahr", Plan(&["sum of finanzbeitrag by jahr"])),
        (ENERGY, "en", "aggregate", "average finanzbeitrag per projekttyp", Plan(&["mean of finanzbeitrag by projekttyp"])),
        (ENERGY, "en", "sort", "sort by finanzbeitrag descending", Plan(&["sort by finanzbeitrag, descending"])),
        (ENERGY, "en", "filter", "keep rows where jahr is at least 2016", Plan(&["keep rows where jahr is at least 2016"])),
        (ENERGY, "de", "aggregate", "Summe von finanzbeitrag nach jahr", Plan(&["sum of finanzbeitrag by jahr"])),
        (ENERGY, "de", "aggregate", "Durchschnitt finanzbeitrag pro projekttyp", Plan(&["mean of finanzbeitrag by projekttyp"])),
        (ENERGY, "de", "aggregate", "Anzahl nach forschungsstaette", Plan(&["count rows by forschungsstaette"])),
        (ENERGY, "de", "aggregate", "Maximum finanzbeitrag pro finanzquelle", Plan(&["max of finanzbeitrag by finanzquelle"])),
        (ENERGY, "de", "sort", "sortiere nach finanzbeitrag absteigend", Plan(&["sort by finanzbeitrag, descending"])),
        (ENERGY, "de", "sort", "sortieren nach jahr aufsteigend", Plan(&["sort by jahr, ascending"])),
        (ENERGY, "de", "filter", "zeilen mit jahr größer als 2015", Plan(&["keep rows where jahr is greater than 2015"])),
        (ENERGY, "de", "filter", "filtere zeilen wo finanzquelle ist BFE", Plan(&["keep rows where finanzquelle equals 'BFE'"])),
        (ENERGY, "de", "remove duplicates", "entferne Duplikate", Plan(&["remove duplicate rows (all columns)"])),
        (ENERGY, "de", "describe", "beschreibende Statistik", Plan(&["summary statistics of the numeric columns"])),
        (ENERGY, "zh", "aggregate", "按 jahr 统计 finanzbeitrag 的总和", Plan(&["sum of finanzbeitrag by jahr"])),
        // --- Hotels in Paris (French columns, decimal comma) ----------------------------
        (HOTELS, "en", "aggregate", "average price by classement", Plan(&["mean of Average Price by Classement"])),
        (HOTELS, "en", "aggregate", "average occupancy by quartier", Plan(&["mean of Occupancy rate by Quartier"])),
        (HOTELS, "en", "sort", "sort by revpar descending", Plan(&["sort by RevPAR, descending"])),
        (HOTELS, "en", "sort", "sort by annee", Plan(&["sort by Année, ascending"])),
        (HOTELS, "fr", "aggregate", "moyenne de Average Price par Classement", Plan(&["mean of Average Price by Classement"])),
        (HOTELS, "fr", "aggregate", "somme de RevPAR par quartier", Plan(&["sum of RevPAR by Quartier"])),
        (HOTELS, "fr", "aggregate", "maximum Average Price par Quartier", Plan(&["max of Average Price by Quartier"])),
        (HOTELS, "fr", "sort", "trier par RevPAR par ordre décroissant", Plan(&["sort by RevPAR, descending"])),
        (HOTELS, "fr", "sort", "trier par année croissant", Plan(&["sort by Année, ascending"])),
        (HOTELS, "fr", "filter", "lignes où Occupancy rate est supérieur à 0.7", Plan(&["keep rows where Occupancy rate is greater than 0.7"])),
        (HOTELS, "fr", "remove duplicates", "supprimer les doublons", Plan(&["remove duplicate rows (all columns)"])),
        (HOTELS, "fr", "describe", "statistiques descriptives de RevPAR", Plan(&["summary statistics of RevPAR"])),
        // --- Out of scope: a clear failure, no phantom column -------------------------
        (WEATHER, "en", "out of scope", "translate the weather column to French", Fails { code: "request_not_understood", says: &["could not understand"] }),
        // --- Looks: formats, highlights, panes, the filter, charts -----------------------
        (WEATHER, "en", "highlight", "highlight cells where wind > 5", Plan(&["highlight cells where wind is greater than 5"])),
        (WEATHER, "en", "highlight", "highlight rows where precipitation is above 10 in yellow", Plan(&["highlight rows where precipitation is greater than 10 in yellow"])),
        (WEATHER, "en", "freeze", "freeze the header row", Plan(&["freeze the header row"])),
        (WEATHER, "en", "add a filter", "freeze the header and add a filter", Plan(&["freeze the header row", "add a filter to the header row"])),
        (WEATHER, "en", "format", "format wind with 2 decimals", Plan(&["format wind as numbers with 2 decimals"])),
        (WEATHER, "en", "format", "add thousands separators to precipitation", Plan(&["format precipitation as numbers with thousands separators"])),
        (WEATHER, "en", "chart", "chart precipitation by weather", Plan(&["column chart of precipitation by weather"])),
        (WEATHER, "en", "chart", "line chart of temp max by date", Plan(&["line chart of temp_max by date"])),
        (WEATHER, "en", "out of scope", "highlight the rainy days", Fails { code: "request_not_understood", says: &["needs a condition"] }),
        (WEATHER, "en", "out of scope", "sort by humidity", Fails { code: "column_not_found", says: &["'humidity'"] }),
        (WEATHER, "en", "out of scope", "average temp by weather", Fails { code: "ambiguous_column", says: &["temp_max", "temp_min"] }),
        (WEATHER, "en", "out of scope", "sort by wind and then email everyone", Fails { code: "request_not_understood", says: &["I understood: sort by wind"] }),
        (STRIKES, "en", "out of scope", "average cost by origin state", Fails { code: "ambiguous_column", says: &["Cost Other", "Cost Repair", "Cost Total $"] }),
        (STRIKES, "en", "out of scope", "send the report to my boss", Fails { code: "request_not_understood", says: &["could not understand"] }),
        (WEATHER, "zh", "out of scope", "把这个表翻译成英文", Fails { code: "request_not_understood", says: &["could not understand"] }),
        (WEATHER, "es", "out of scope", "ordenar por humedad descendente", Fails { code: "column_not_found", says: &["'humedad'"] }),
    ]
}

fn profile(file: &str) -> FileProfile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/real")
        .join(file);
    let name = file.rsplit('/').next().unwrap_or(file);
    profile_file(&path, name).unwrap_or_else(|e| panic!("{file}: {e:?}"))
}

/// Whether a request gives what it must; the difference when it does not.
fn check(profile: &FileProfile, prompt: &str, expect: &Expect) -> Result<(), String> {
    match (expect, plan_excel(prompt, std::slice::from_ref(profile))) {
        (Plan(steps), Ok(_)) => {
            let columns = sheet_columns(&profile.sheets[0]);
            let parsed = parse_request(prompt, &columns, ops::REGISTRY)
                .map_err(|f| format!("parse failed: {f:?}"))?;
            let got: Vec<String> = parsed.operations.iter().map(|op| op.summary()).collect();
            if got == *steps {
                Ok(())
            } else {
                Err(format!("planned {got:?}, expected {steps:?}"))
            }
        }
        (Plan(_), Err(e)) => Err(format!("failed: {}", e.message)),
        (Fails { .. }, Ok(plan)) => Err(format!("planned {:?}", plan.steps)),
        (Fails { code, says }, Err(e)) => {
            if e.code.as_str() != *code {
                return Err(format!(
                    "code {} ({}), expected {code}",
                    e.code.as_str(),
                    e.message
                ));
            }
            if let Some(missing) = says.iter().find(|s| !e.message.contains(*s)) {
                return Err(format!("message lacks {missing:?}: {}", e.message));
            }
            // Closest requests it can do, each one planning as it is.
            if e.suggestions.is_empty() {
                return Err(format!("no suggestions: {}", e.message));
            }
            match e
                .suggestions
                .iter()
                .find(|s| plan_excel(s, std::slice::from_ref(profile)).is_err())
            {
                Some(bad) => Err(format!("suggestion {bad:?} does not plan")),
                None => Ok(()),
            }
        }
    }
}

#[test]
fn request_set() {
    let cases = cases();
    let mut profiles: BTreeMap<&str, FileProfile> = BTreeMap::new();
    let mut by_op: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut by_lang: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for (file, lang, op, prompt, expect) in &cases {
        let profile = profiles.entry(file).or_insert_with(|| self::profile(file));
        let ok = match check(profile, prompt, expect) {
            Ok(()) => true,
            Err(why) => {
                failures.push(format!("[{lang}] {prompt}: {why}"));
                false
            }
        };
        for (table, key) in [(&mut by_op, *op), (&mut by_lang, *lang)] {
            let entry = table.entry(key).or_default();
            entry.0 += usize::from(ok);
            entry.1 += 1;
        }
    }
    let right = cases.len() - failures.len();
    eprintln!("request set: {right}/{} right", cases.len());
    for (name, table) in [("operation", &by_op), ("language", &by_lang)] {
        for (key, (ok, all)) in table {
            eprintln!("  {name} {key:<20} {ok:>3}/{all:<3}");
        }
    }
    let other = cases.iter().filter(|c| c.1 != "en").count();
    assert!(
        cases.len() >= 150 && other * 3 >= cases.len(),
        "{} cases, {other} not English",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} wrong:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn an_ambiguous_column_suggests_each_candidate() {
    let strikes = profile(STRIKES);
    let e = plan_excel(
        "average cost by origin state",
        std::slice::from_ref(&strikes),
    )
    .unwrap_err();
    assert_eq!(
        e.suggestions.to_vec(),
        vec![
            "average Cost Other by origin state".to_string(),
            "average Cost Repair by origin state".to_string(),
            "average Cost Total $ by origin state".to_string(),
        ]
    );
}

#[test]
fn analytics_questions_it_cannot_answer_fail_instead_of_an_overview() {
    use crate::plan::planner::analytics::{QuestionKind, read_question};
    let weather = profile(WEATHER);
    let columns = sheet_columns(&weather.sheets[0]);
    let dates = vec!["date".to_string()];
    for prompt in [
        "median and range of temp_max for each weather",
        "the mean of wind after removing outliers",
        "percentiles of precipitation",
        "a regression of temp_max on wind",
    ] {
        let e = read_question(prompt, &columns, &dates).unwrap_err();
        assert_eq!(e.0, crate::job::ErrorCode::RequestNotUnderstood, "{prompt}");
        assert!(e.1.contains("I cannot compute"), "{prompt}: {}", e.1);
    }
    let q = read_question("median temp_max for each weather", &columns, &dates).unwrap();
    assert_eq!(
        (q.kind, q.agg, q.measure.as_deref(), q.by.as_deref()),
        (
            QuestionKind::Group,
            "median",
            Some("temp_max"),
            Some("weather")
        )
    );
    let q = read_question("weatherごとのprecipitationの合計", &columns, &dates).unwrap();
    assert_eq!(
        (q.kind, q.agg, q.measure.as_deref(), q.by.as_deref()),
        (
            QuestionKind::Group,
            "sum",
            Some("precipitation"),
            Some("weather")
        )
    );
    let q = read_question("plot the averge temp_max per month", &columns, &dates).unwrap();
    assert_eq!((q.kind, q.period), (QuestionKind::Time, Some("M")));
    // The refusal offers questions that this table can answer.
    let e = plan_analytics_error("percentiles of precipitation", &weather);
    assert!(!e.suggestions.is_empty());
    for s in &e.suggestions {
        assert!(read_question(s, &columns, &dates).is_ok(), "{s}");
    }
}

fn plan_analytics_error(prompt: &str, profile: &FileProfile) -> PlanError {
    crate::plan::planner::analytics::plan_analytics(prompt, std::slice::from_ref(profile))
        .unwrap_err()
}
