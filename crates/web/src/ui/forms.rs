//! Form and query helpers: messages next to fields, number and date
//! parsing with plain-words errors, query-string encoding.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::Serialize;

/// Messages for the fields of a form, by field name (shown next to them).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<&'static str, String>);

impl FieldErrors {
    /// Say what is wrong with `field` (the first message per field is kept).
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message of `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }
}

/// Percent-encode `value` for a query string.
pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A trimmed, non-empty form value.
pub fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// A checkbox or flag: `1`, `on`, `true`, `yes` are set.
pub fn flag(value: Option<&str>) -> bool {
    matches!(value.map(str::trim), Some("1" | "on" | "true" | "yes"))
}

/// An optional whole number of minutes, at least 1 (`Ok(None)` when blank).
pub fn minutes(value: Option<&str>) -> Result<Option<i64>, String> {
    let Some(v) = non_empty(value) else {
        return Ok(None);
    };
    match v.parse::<i64>() {
        Ok(n) if (1..=525_600).contains(&n) => Ok(Some(n)),
        Ok(_) => Err("Give a number of minutes between 1 and 525600 (a year).".to_owned()),
        Err(_) => Err(format!("“{v}” is not a whole number of minutes.")),
    }
}

/// An optional id among the user's (`Ok(None)` when blank).
pub fn id(value: Option<&str>, what: &str) -> Result<Option<i64>, String> {
    let Some(v) = non_empty(value) else {
        return Ok(None);
    };
    v.parse::<i64>()
        .map(Some)
        .map_err(|_| format!("“{v}” is not one of your {what}."))
}

/// The start of a `YYYY-MM-DD` day in UTC (`Ok(None)` when blank).
pub fn date(value: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    let Some(v) = non_empty(value) else {
        return Ok(None);
    };
    let day = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| format!("“{v}” is not a date; write it as YYYY-MM-DD, like 2024-03-31."))?;
    let midnight = day
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| format!("“{v}” is not a date."))?;
    Ok(Some(Utc.from_utc_datetime(&midnight)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_accept_positive_numbers_and_explain_the_rest() {
        assert_eq!(minutes(Some(" ")), Ok(None));
        assert_eq!(minutes(Some("30")), Ok(Some(30)));
        assert!(minutes(Some("0")).unwrap_err().contains("between 1"));
        assert!(minutes(Some("ten"))
            .unwrap_err()
            .contains("not a whole number"));
    }

    #[test]
    fn dates_are_days_in_utc() {
        let d = date(Some("2024-03-31")).unwrap().unwrap();
        assert_eq!(d.to_rfc3339(), "2024-03-31T00:00:00+00:00");
        assert!(date(Some("31/03/2024")).unwrap_err().contains("YYYY-MM-DD"));
        assert!(date(Some("2024-02-30")).is_err());
        assert_eq!(date(None), Ok(None));
    }

    #[test]
    fn field_errors_keep_the_first_message() {
        let mut e = FieldErrors::default();
        assert!(e.is_empty());
        e.add("url", "first");
        e.add("url", "second");
        assert_eq!(e.get("url"), Some("first"));
    }
}
