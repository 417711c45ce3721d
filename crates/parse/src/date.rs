//! Lenient date parsing: RFC 3339 and RFC 822/2822 as the specs say, then the
//! broken forms real feeds use (missing seconds, named US time zones, long
//! month names, two-digit years, a space instead of `T`, no zone at all …).
//! Every result is in UTC. A zone we do not know counts as UTC: a date a few
//! hours off is more useful to a reader than no date.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Parse a feed date, or `None` when nothing sensible can be made of it.
pub(crate) fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(text) {
        return Some(d.with_timezone(&Utc));
    }
    parse_iso_lenient(text).or_else(|| parse_rfc822_lenient(text))
}

/// `YYYY-MM-DD`, optionally followed by `T` or a space, a time with optional
/// seconds and fraction, and an optional zone (`Z`, `±hh:mm`, `±hhmm`, `±hh`, a name).
fn parse_iso_lenient(text: &str) -> Option<DateTime<Utc>> {
    let date_part = text.get(..10)?;
    let date = NaiveDate::parse_from_str(date_part, "%Y-%m-%d").ok()?;
    let rest = text[10..].trim_start_matches(['T', 't', ' ']);
    if rest.is_empty() {
        return Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)));
    }
    // Split the time from the zone at the first character that cannot be part of a time.
    let time_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.' || c == ','))
        .unwrap_or(rest.len());
    let time = parse_time(&rest[..time_end])?;
    let offset = zone_offset(rest[time_end..].trim())?;
    local_to_utc(date.and_time(time), offset)
}

/// RFC 822-like dates with their common defects, read token by token:
/// `Thu, 5 Apr 2012 10:00 EST`, `Mon, 26 January 2004 16:31:00 PT`,
/// `Thu Aug 30 2012 17:26:16 +0200`, `Fri,24 Nov 2023 18:28:36 -0000`.
fn parse_rfc822_lenient(text: &str) -> Option<DateTime<Utc>> {
    let (mut day, mut month, mut year, mut time, mut offset) = (None, None, None, None, None);
    for token in text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        if token.contains(':') && time.is_none() && token.starts_with(|c: char| c.is_ascii_digit())
        {
            time = Some(parse_time(token)?);
        } else if token.bytes().all(|b| b.is_ascii_digit()) {
            let n: i32 = token.parse().ok()?;
            if token.len() == 4 && year.is_none() {
                year = Some(n);
            } else if token.len() <= 2 && day.is_none() {
                day = Some(u32::try_from(n).ok()?);
            } else if token.len() <= 2 && year.is_none() {
                year = Some(if n < 50 { 2000 + n } else { 1900 + n });
            } else {
                return None;
            }
        } else if let Some(m) = month_number(token).filter(|_| month.is_none()) {
            month = Some(m);
        } else if is_weekday(token) {
            continue;
        } else if offset.is_none() && time.is_some() {
            offset = Some(zone_offset(token)?);
        } else {
            return None;
        }
    }
    let date = NaiveDate::from_ymd_opt(year?, month?, day?)?;
    let naive = date.and_time(time.unwrap_or(NaiveTime::MIN));
    local_to_utc(naive, offset.unwrap_or(0))
}

/// `H:M`, `H:M:S` or `H:M:S.fff` (fraction dropped).
fn parse_time(text: &str) -> Option<NaiveTime> {
    let text = text.split(['.', ',']).next()?;
    let parts: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty() || p.len() > 2) {
        return None;
    }
    let num = |s: &str| s.parse::<u32>().ok();
    let h = num(parts[0])?;
    let m = num(parts[1])?;
    let s = match parts.get(2) {
        Some(s) => num(s)?,
        None => 0,
    };
    // "24:00" shows up in the wild meaning midnight.
    NaiveTime::from_hms_opt(if h == 24 { 0 } else { h }, m, s.min(59))
}

/// Offset east of UTC in seconds for a zone token; `None` when it is malformed.
fn zone_offset(zone: &str) -> Option<i32> {
    if zone.is_empty() {
        return Some(0);
    }
    let upper = zone.to_ascii_uppercase();
    // "GMT+01:00", "UTC-5", "Etc/GMT".
    let numeric = upper
        .strip_prefix("ETC/")
        .unwrap_or(&upper)
        .trim_start_matches("GMT")
        .trim_start_matches("UTC");
    if let Some(sign) = numeric.chars().next().filter(|c| *c == '+' || *c == '-') {
        let digits: String = numeric[1..].chars().filter(char::is_ascii_digit).collect();
        let (h, m) = match digits.len() {
            1 | 2 => (digits.parse::<i32>().ok()?, 0),
            3 | 4 => {
                let (h, m) = digits.split_at(digits.len() - 2);
                (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?)
            }
            _ => return None,
        };
        if h > 23 || m > 59 {
            return None;
        }
        let secs = h * 3600 + m * 60;
        return Some(if sign == '-' { -secs } else { secs });
    }
    if !numeric.is_empty() && !upper.bytes().all(|b| b.is_ascii_alphabetic() || b == b'/') {
        return None;
    }
    let hours = match upper.as_str() {
        "EST" | "ET" | "CDT" => -5,
        "EDT" | "AST" => -4,
        "ADT" | "AT" => -3,
        "CST" | "CT" | "MDT" => -6,
        "MST" | "MT" | "PDT" => -7,
        "PST" | "PT" | "AKDT" => -8,
        "AKST" | "HDT" => -9,
        "HST" => -10,
        "BST" | "CET" | "MET" | "WEST" => 1,
        "CEST" | "MEST" | "EET" => 2,
        "EEST" | "MSK" => 3,
        "JST" | "KST" => 9,
        // Z, UT, GMT, UTC, WET and names we do not know.
        _ => 0,
    };
    Some(hours * 3600)
}

fn local_to_utc(naive: NaiveDateTime, offset_secs: i32) -> Option<DateTime<Utc>> {
    let offset = FixedOffset::east_opt(offset_secs)?;
    Some(
        offset
            .from_local_datetime(&naive)
            .single()?
            .with_timezone(&Utc),
    )
}

fn month_number(token: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = token.to_ascii_lowercase();
    let prefix = lower.get(..3)?;
    let index = MONTHS.iter().position(|m| *m == prefix)?;
    // Accept "Jan", "January", "Sept", not arbitrary words that start alike.
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ][index];
    (full.starts_with(lower.trim_end_matches('.'))).then_some(index as u32 + 1)
}

fn is_weekday(token: &str) -> bool {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let lower = token.to_ascii_lowercase();
    lower.len() >= 3
        && DAYS.iter().any(|d| {
            d.starts_with(lower.trim_end_matches('.')) || lower == "thurs" || lower == "tues"
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row per form: input, expected RFC 3339 UTC (or None).
    const CASES: &[(&str, Option<&str>)] = &[
        ("2003-12-31T10:14:55Z", Some("2003-12-31T10:14:55Z")),
        ("2003-12-31T10:14:55.1234Z", Some("2003-12-31T10:14:55Z")),
        ("2003-12-31T10:14:55-05:00", Some("2003-12-31T15:14:55Z")),
        ("2003-12-31 10:14:55", Some("2003-12-31T10:14:55Z")),
        ("2003-12-31T10:14+0100", Some("2003-12-31T09:14:00Z")),
        ("2003-12-31", Some("2003-12-31T00:00:00Z")),
        (
            "Thu, 01 Jan 2004 19:48:21 GMT",
            Some("2004-01-01T19:48:21Z"),
        ),
        (
            "Thu, 01 Jan 2004 19:48:21 +0000",
            Some("2004-01-01T19:48:21Z"),
        ),
        ("Thu, 01 Jan 2004 00:00 GMT", Some("2004-01-01T00:00:00Z")),
        (
            "Thu,  5 Apr 2012 10:00:00 GMT",
            Some("2012-04-05T10:00:00Z"),
        ),
        ("Thu, 5 Apr 2012 10:00:00 EST", Some("2012-04-05T15:00:00Z")),
        (
            "Tue, 10 Jun 2003 09:41:01 PDT",
            Some("2003-06-10T16:41:01Z"),
        ),
        (
            "Mon, 26 January 2004 16:31:00 PT",
            Some("2004-01-27T00:31:00Z"),
        ),
        ("Thu, 01 Jan 04 19:48:21 GMT", Some("2004-01-01T19:48:21Z")),
        (
            "Wed, 19 Aug 2009 18:28:00 Etc/GMT",
            Some("2009-08-19T18:28:00Z"),
        ),
        (
            "Wed, 19 Feb 2012 22:40:00 GMT-01:01",
            Some("2012-02-19T23:41:00Z"),
        ),
        (
            "Mon, 13 Feb, 2012 06:28:00 UTC",
            Some("2012-02-13T06:28:00Z"),
        ),
        ("Thu, 01 Jan 2004", Some("2004-01-01T00:00:00Z")),
        (
            "Thu Aug 30 2012 17:26:16 +0200",
            Some("2012-08-30T15:26:16Z"),
        ),
        (
            "Fri,24 Nov 2023 18:28:36 -0000",
            Some("2023-11-24T18:28:36Z"),
        ),
        (
            "Thu, 30 Apr 2015 08:57:00 MEST",
            Some("2015-04-30T06:57:00Z"),
        ),
        ("Sun, 16 Dec 2012 1:2:3:4 GMT", None),
        ("not a date", None),
        ("", None),
        ("Mon, 31 Feb 2012 10:00:00 GMT", None),
    ];

    #[test]
    fn date_table() {
        for (input, expected) in CASES {
            let got =
                parse_date(input).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            assert_eq!(got.as_deref(), *expected, "input {input:?}");
        }
    }
}
