//! How timestamps are written to and read from the database.
//!
//! Fixed-width ISO-8601 UTC text with microseconds
//! (`2024-05-01T12:00:00.000000Z`): readable in the `sqlite3` shell, and
//! plain text comparison orders it by time, so `ORDER BY` and `>=` work in
//! SQL. (sqlx's own chrono encoding varies the fractional digits, which
//! breaks text ordering, so it is not used.) Sub-microsecond precision is
//! dropped.

use chrono::{DateTime, SecondsFormat, Utc};

/// The stored form of `t`.
pub(crate) fn to_db(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The stored form of an optional time (NULL when `None`).
pub(crate) fn opt_to_db(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(to_db)
}

/// Parse a stored timestamp.
pub(crate) fn from_db(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn round_trips_to_the_microsecond() {
        let t = Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap();
        let back = from_db(&to_db(t)).unwrap();
        assert_eq!(back, Utc.timestamp_opt(1_700_000_000, 123_456_000).unwrap());
    }

    #[test]
    fn text_order_is_time_order() {
        // Whole seconds and fractions must not sort differently as text.
        let a = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let b = Utc.timestamp_opt(1_700_000_000, 500_000_000).unwrap();
        let c = Utc.timestamp_opt(1_700_000_001, 0).unwrap();
        let (ta, tb, tc) = (to_db(a), to_db(b), to_db(c));
        assert!(ta < tb && tb < tc, "{ta} {tb} {tc}");
        assert_eq!(ta.len(), tc.len());
    }

    #[test]
    fn rejects_garbage() {
        assert!(from_db("yesterday").is_err());
    }
}
