//! Job times as RFC 3339 text, written and read without `fmt`.
//!
//! chrono writes a `DateTime` through `Display` and reads it through its general parser;
//! on a page of 50 jobs those were a fifth of the server's time (three times per job,
//! each way). The text is the same as chrono's: seconds with 0, 3, 6 or 9 fraction digits
//! as the time needs, and `Z`. Anything else (a leap second, a year outside 0000–9999, an
//! offset) is left to chrono.

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// Writes `at` into `out`, its length; `None` where chrono must do it.
fn write(at: &DateTime<Utc>, out: &mut [u8; 30]) -> Option<usize> {
    let year = at.year();
    let nanos = at.nanosecond();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return None;
    }
    let mut put = |at: usize, value: u32, digits: usize| {
        let mut value = value;
        for i in (0..digits).rev() {
            out[at + i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, year as u32, 4);
    put(5, at.month(), 2);
    put(8, at.day(), 2);
    put(11, at.hour(), 2);
    put(14, at.minute(), 2);
    put(17, at.second(), 2);
    let digits = if nanos == 0 {
        0
    } else if nanos.is_multiple_of(1_000_000) {
        3
    } else if nanos.is_multiple_of(1_000) {
        6
    } else {
        9
    };
    if digits > 0 {
        put(20, nanos / 10u32.pow(9 - digits as u32), digits);
    }
    out[4] = b'-';
    out[7] = b'-';
    out[10] = b'T';
    out[13] = b':';
    out[16] = b':';
    let mut len = 19;
    if digits > 0 {
        out[19] = b'.';
        len = 20 + digits;
    }
    out[len] = b'Z';
    Some(len + 1)
}

/// Reads `YYYY-MM-DDTHH:MM:SS[.f…]Z` (what the stores write) at once, anything else
/// through chrono's RFC 3339 parser.
pub(crate) fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match parse_utc(text.as_bytes()) {
        Some(at) => Ok(at),
        None => DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)),
    }
}

fn parse_utc(b: &[u8]) -> Option<DateTime<Utc>> {
    let number = |from: usize, to: usize| -> Option<u32> {
        b.get(from..to)?.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if b.len() < 20 || b.last() != Some(&b'Z') || separators.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            number(20, b.len() - 1)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(number(0, 4)? as i32, number(5, 7)?, number(8, 10)?)?;
    let time = date.and_hms_nano_opt(number(11, 13)?, number(14, 16)?, number(17, 19)?, nanos)?;
    Some(time.and_utc())
}

/// `#[serde(serialize_with = ...)]` for a `DateTime<Utc>`.
pub(crate) fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut buffer = [0u8; 30];
    match write(at, &mut buffer) {
        // Only ASCII digits and separators were written.
        Some(len) => s.serialize_str(std::str::from_utf8(&buffer[..len]).unwrap_or_default()),
        None => s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
    }
}

/// `#[serde(serialize_with = ...)]` for an `Option<DateTime<Utc>>`.
pub(crate) fn serialize_option<S: Serializer>(
    at: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serialize(at, s),
        None => s.serialize_none(),
    }
}

/// `#[serde(deserialize_with = ...)]` for a `DateTime<Utc>`.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    parse(&text).map_err(serde::de::Error::custom)
}

/// `#[serde(deserialize_with = ...)]` for an `Option<DateTime<Utc>>` (with `default`).
pub(crate) fn deserialize_option<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text = <Option<std::borrow::Cow<'de, str>>>::deserialize(d)?;
    text.map(|t| parse(&t).map_err(serde::de::Error::custom))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn times() -> Vec<DateTime<Utc>> {
        let base = Utc.with_ymd_and_hms(2026, 12, 3, 15, 4, 5).unwrap();
        let mut times = vec![
            base,
            Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
        ];
        for nanos in [
            1,
            10,
            999,
            1_000,
            120_000,
            1_000_000,
            7_000_000,
            123_456_789,
        ] {
            times.push(base + chrono::Duration::nanoseconds(nanos));
        }
        times.push(Utc::now());
        times
    }

    #[test]
    fn writes_what_chrono_writes() {
        for at in times() {
            let ours = serde_json::to_string(&Wrapped(at)).unwrap();
            let chronos = serde_json::to_string(&at).unwrap();
            assert_eq!(ours, chronos);
        }
    }

    #[test]
    fn reads_back_what_it_and_the_stores_write() {
        for at in times() {
            let ours = serde_json::to_value(Wrapped(at)).unwrap();
            assert_eq!(parse(ours.as_str().unwrap()).unwrap(), at);
            let nine = at.to_rfc3339_opts(SecondsFormat::Nanos, true);
            assert_eq!(parse(&nine).unwrap(), at);
            let offset = at.to_rfc3339_opts(SecondsFormat::Micros, false);
            assert_eq!(
                parse(&offset).unwrap().timestamp_micros(),
                at.timestamp_micros()
            );
        }
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        for text in [
            "",
            "2026-12-03",
            "2026-13-03T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-12-03T24:00:00Z",
            "2026-12-03T00:00:00.Z",
            "２０２6-12-03T00:00:00Z",
        ] {
            assert!(parse(text).is_err(), "{text:?} was read as a time");
        }
    }

    struct Wrapped(DateTime<Utc>);
    impl serde::Serialize for Wrapped {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize(&self.0, s)
        }
    }
}
