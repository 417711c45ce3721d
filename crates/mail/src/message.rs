//! Composing a digest message (pure: entries and settings in, a MIME
//! message out).
//!
//! The entries are grouped by their subscription's category (categories in
//! path order, "Uncategorized" last), each group newest first, and both
//! parts are rendered by `tributary_publish::digest` — the plain-text and
//! HTML digest formats, in sections — so a mailed digest reads like the
//! `digest` command's. The message:
//!
//! * `multipart/alternative`: `text/plain` then `text/html`, UTF-8;
//! * `Subject: <site> digest, 3 December 2026: 12 new entries` (the date in
//!   the user's zone; "weekly digest" for weekly ones);
//! * `From` (`[mail] from`), `To`, `Date`, a fresh `Message-ID` at the
//!   sender's domain, `Auto-Submitted: auto-generated` (RFC 3834, so
//!   auto-responders stay quiet), and, when `[web] public_url` is known,
//!   `List-Unsubscribe: <…/settings/digest>` plus a footer linking there.

use std::collections::BTreeMap;
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;
use tributary_model::RiverItem;
use tributary_publish::digest::{try_render_sections, DigestOptions, Footer, Format, Section};
use tributary_store::{DigestFrequency, DigestItem, MailDigest};

use crate::config::MailConfig;
use crate::MailError;

/// Heading of entries whose subscription has no category.
pub const UNCATEGORIZED: &str = "Uncategorized";

/// A composed digest, before sending.
#[derive(Debug, Clone)]
pub struct Composed {
    /// The message, ready for [`crate::Mailer::send`].
    pub message: Message,
    /// Its `Message-ID`, with the angle brackets.
    pub message_id: String,
    /// Its subject.
    pub subject: String,
    /// Entries it carries.
    pub entries: usize,
}

/// Group `items` into sections by category: paths in order,
/// uncategorized last, each section newest first.
pub fn sections(items: &[DigestItem]) -> Vec<Section> {
    let mut by_category: BTreeMap<Option<&str>, Vec<RiverItem>> = BTreeMap::new();
    for item in items {
        by_category
            .entry(item.category.as_deref())
            .or_default()
            .push(item.item.clone());
    }
    let mut out: Vec<Section> = Vec::with_capacity(by_category.len());
    let mut uncategorized = None;
    for (category, mut items) in by_category {
        items.sort_by(|a, b| {
            (b.entry.published, b.entry.id.0).cmp(&(a.entry.published, a.entry.id.0))
        });
        match category {
            Some(path) => out.push(Section {
                heading: Some(path.to_owned()),
                items,
            }),
            None => {
                uncategorized = Some(Section {
                    heading: Some(UNCATEGORIZED.to_owned()),
                    items,
                })
            }
        }
    }
    out.extend(uncategorized);
    out
}

/// The subject line.
pub fn subject(site: &str, frequency: DigestFrequency, local: &str, entries: usize) -> String {
    let kind = match frequency {
        DigestFrequency::Daily => "digest",
        DigestFrequency::Weekly => "weekly digest",
    };
    let count = match entries {
        0 => "nothing new".to_owned(),
        1 => "1 new entry".to_owned(),
        n => format!("{n} new entries"),
    };
    format!("{} {kind}, {local}: {count}", one_line(site))
}

/// Compose the digest of `items` for `digest`'s owner at `now`. `more`
/// says entries are left for a following message.
pub fn compose(
    config: &MailConfig,
    digest: &MailDigest,
    items: &[DigestItem],
    more: bool,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Composed, MailError> {
    let to: Mailbox = digest.settings.address.trim().parse().map_err(|e| {
        MailError::Message(format!(
            "the digest address {:?} of {} is not an e-mail address ({e})",
            digest.settings.address, digest.username
        ))
    })?;
    let local = now.with_timezone(&tz).format("%-d %B %Y").to_string();
    let subject = subject(
        &config.site_title,
        digest.settings.frequency,
        &local,
        items.len(),
    );
    let opts = DigestOptions {
        title: subject.clone(),
        link: config.public_url.as_ref().map(|u| u.to_string()),
        generated_at: now,
        links: Default::default(),
    };
    let settings_url = config.settings_url();
    let mut footer_text = String::new();
    if more {
        footer_text.push_str("More new entries follow in the next message. ");
    }
    footer_text.push_str(&format!(
        "You get this digest because you set it up on {}.",
        one_line(&config.site_title)
    ));
    footer_text.push_str(match settings_url {
        Some(_) => " Change or stop it:",
        None => " Change or stop it under Settings → E-mail digest.",
    });
    let footer = Footer {
        text: footer_text,
        link: settings_url.clone(),
    };
    let sections = sections(items);
    let render = |format| {
        try_render_sections(&sections, format, &opts, Some(&footer))
            .map_err(|e| MailError::Message(format!("cannot render the digest: {e}")))
    };
    let text = if items.is_empty() {
        format!(
            "Nothing new since the last digest.\n\n{}",
            render(Format::Text)?
        )
    } else {
        render(Format::Text)?
    };
    let html = render(Format::Html)?;
    let message_id = message_id(&config.from, digest, now);
    let mut builder = Message::builder()
        .from(config.from.clone())
        .to(to)
        .subject(subject.clone())
        .date(SystemTime::from(now))
        .message_id(Some(message_id.clone()))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ));
    if let Some(url) = &settings_url {
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{url}>"),
        ));
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| MailError::Message(e.to_string()))?;
    Ok(Composed {
        message,
        message_id,
        subject,
        entries: items.len(),
    })
}

/// `<tributary.digest.USER.TIME.RANDOM@DOMAIN>`, DOMAIN being the sender's.
fn message_id(from: &Mailbox, digest: &MailDigest, now: DateTime<Utc>) -> String {
    let mut random = [0u8; 8];
    // Without randomness the user and microsecond keep it unique enough.
    let _ = getrandom::getrandom(&mut random);
    format!(
        "<tributary.digest.{}.{}.{}@{}>",
        digest.user_id.0,
        now.timestamp_micros(),
        hex::encode(random),
        from.email.domain()
    )
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects() {
        assert_eq!(
            subject("Our  planet", DigestFrequency::Daily, "3 December 2026", 12),
            "Our planet digest, 3 December 2026: 12 new entries"
        );
        assert_eq!(
            subject("T", DigestFrequency::Weekly, "3 December 2026", 1),
            "T weekly digest, 3 December 2026: 1 new entry"
        );
        assert_eq!(
            subject("T", DigestFrequency::Daily, "d", 0),
            "T digest, d: nothing new"
        );
    }
}
