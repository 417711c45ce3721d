//! The small activity chart of a feed, as inline SVG: entries per week over
//! the last 52 weeks (bars) above the fetch outcomes of the last 30 days
//! (one coloured tick a day). Colours come from the page's CSS classes, so
//! dark mode applies; a `<title>` says the same in words.

use std::fmt::Write;

use tributary_store::FeedActivity;

/// Width of the chart in SVG units.
const WIDTH: f64 = 208.0;
/// Height of the bars' area.
const BARS: f64 = 30.0;
/// Top and height of the ticks' row.
const TICKS_TOP: f64 = 34.0;
const TICKS: f64 = 8.0;

/// The chart of `activity` for the feed titled `title`.
pub fn svg(title: &str, activity: &FeedActivity) -> String {
    let weeks = &activity.weekly_entries;
    let days = &activity.daily_fetches;
    let total: i64 = weeks.iter().sum();
    let max = weeks.iter().copied().max().unwrap_or(0).max(1);
    let (new, unchanged, failed) = days.iter().fold((0, 0, 0), |(n, u, f), d| {
        (n + d.new, u + d.unchanged, f + d.failed)
    });
    let words = format!(
        "{title}: {total} {entries} in the last year, at most {max} in a week; \
         fetches in the last 30 days: {new} with new entries, {unchanged} unchanged, {failed} failed.",
        entries = if total == 1 { "entry" } else { "entries" },
        max = weeks.iter().copied().max().unwrap_or(0),
    );
    let mut out = String::with_capacity(4096);
    let _ = write!(
        out,
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>{t}</title>\
         <rect class=\"axis\" x=\"0\" y=\"{BARS}\" width=\"{w}\" height=\"1\"/>",
        w = WIDTH,
        h = TICKS_TOP + TICKS,
        t = escape(&words),
    );
    if !weeks.is_empty() {
        let step = WIDTH / weeks.len() as f64;
        for (i, n) in weeks.iter().enumerate() {
            if *n <= 0 {
                continue;
            }
            let h = (*n as f64 / max as f64 * BARS).max(1.0);
            let _ = write!(
                out,
                "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>",
                i as f64 * step,
                BARS - h,
                (step - 1.0).max(1.0),
                h
            );
        }
    }
    if !days.is_empty() {
        let step = WIDTH / days.len() as f64;
        for (i, d) in days.iter().enumerate() {
            let class = if d.failed > 0 && d.new + d.unchanged == 0 {
                "tick failed"
            } else if d.failed > 0 {
                "tick mixed"
            } else if d.new > 0 {
                "tick new"
            } else if d.unchanged > 0 {
                "tick unchanged"
            } else {
                "tick none"
            };
            let _ = write!(
                out,
                "<rect class=\"{class}\" x=\"{:.1}\" y=\"{TICKS_TOP}\" width=\"{:.1}\" height=\"{TICKS}\"/>",
                i as f64 * step,
                (step - 1.5).max(1.0),
            );
        }
    }
    out.push_str("</svg>");
    out
}

fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_double_quoted_attribute(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tributary_store::DayFetches;

    #[test]
    fn bars_and_ticks_follow_the_data_and_the_title_says_it_in_words() {
        let mut weeks = vec![0; 52];
        weeks[51] = 4;
        weeks[50] = 2;
        let mut days = vec![DayFetches::default(); 30];
        days[29] = DayFetches {
            new: 1,
            unchanged: 0,
            failed: 0,
        };
        days[28] = DayFetches {
            new: 0,
            unchanged: 0,
            failed: 2,
        };
        let svg = svg(
            "Ann <&> Bob",
            &FeedActivity {
                weekly_entries: weeks,
                daily_fetches: days,
            },
        );
        assert_eq!(svg.matches("class=\"bar\"").count(), 2);
        assert_eq!(svg.matches("class=\"tick new\"").count(), 1);
        assert_eq!(svg.matches("class=\"tick failed\"").count(), 1);
        assert_eq!(svg.matches("class=\"tick none\"").count(), 28);
        assert!(svg.contains(
            "<title>Ann &lt;&amp;&gt; Bob: 6 entries in the last year, at most 4 in a week"
        ));
        assert!(svg.contains("1 with new entries, 0 unchanged, 2 failed"));
        // The tallest bar fills the area.
        assert!(svg.contains("y=\"0.0\" width=\"3.0\" height=\"30.0\""));
    }

    #[test]
    fn an_empty_feed_draws_only_the_axis() {
        let svg = svg("x", &FeedActivity::default());
        assert!(!svg.contains("class=\"bar\""));
        assert!(svg.contains("0 entries in the last year"));
    }
}
