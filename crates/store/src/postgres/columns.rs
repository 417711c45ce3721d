//! The column lists of `crate::rows`, in PostgreSQL's dialect where it
//! differs from SQLite's (JSON aggregation); the entry and user columns
//! are the same in both and stay in `crate::rows`.

/// The feed columns every feed query selects, from `feeds f`.
macro_rules! feed_columns {
    () => {
        "f.id AS feed_id, f.url AS feed_url, \
         (SELECT COALESCE(json_agg(p.url ORDER BY p.moved_at, p.id), '[]')::text \
            FROM feed_previous_urls p WHERE p.feed_id = f.id) AS feed_previous_urls, \
         f.title AS feed_title, f.site_url AS feed_site_url, \
         f.description AS feed_description, f.status AS feed_status, \
         f.last_error AS feed_last_error, f.last_error_code AS feed_last_error_code, \
         f.error_count AS feed_error_count, f.etag AS feed_etag, \
         f.last_modified AS feed_last_modified, f.last_fetched_at AS feed_last_fetched_at, \
         f.next_fetch_at AS feed_next_fetch_at, f.next_fetch_reason AS feed_next_fetch_reason, \
         f.failing_since AS feed_failing_since, f.last_success_at AS feed_last_success_at, \
         f.disabled_at AS feed_disabled_at, f.status_note AS feed_status_note, \
         f.schedule_hints AS feed_schedule_hints, f.body_hash AS feed_body_hash, \
         (SELECT min(b.min_interval_secs) FROM subscriptions b WHERE b.feed_id = f.id) \
            AS feed_min_interval_secs, \
         (SELECT min(b.max_interval_secs) FROM subscriptions b WHERE b.feed_id = f.id) \
            AS feed_max_interval_secs"
    };
}
pub(crate) use feed_columns;
