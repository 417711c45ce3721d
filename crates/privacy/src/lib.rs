//! What the reader's privacy needs from served content, applied when an
//! entry is *served* (the UI's entry page and the reader APIs), not when it
//! is stored:
//!
//! * [`trackers`]: tracker pixels (1×1 or hidden images, images from known
//!   tracking hosts) and click-tracking query parameters (`utm_*`,
//!   `fbclid` …) — what is removed and why each entry of the lists is there.
//! * [`signing`]: proxy URLs `/proxy/{signature}/{expires}/{base64url(url)}`
//!   signed with HMAC-SHA256 under the server's secret, so the media proxy
//!   fetches only what this server itself put into a page, and only until
//!   the URL expires.
//! * [`rewrite`]: one streaming pass (`lol_html`) over an entry's sanitized
//!   HTML that drops the trackers, cleans the links and points images (and,
//!   when asked, audio and video) at the proxy.
//!
//! Why at serve time: entries stored before the feature was switched on
//! are covered too, each user's choice applies to the same stored row, and
//! turning it off gives the original content back. The stored content is
//! already sanitized (absolute http(s) URLs only, no `data:`, no CSS
//! `url(`), which keeps this pass small. Pure code: no network, no
//! database, no clock (the expiry is an argument).

pub mod rewrite;
pub mod signing;
pub mod trackers;

pub use rewrite::{MediaKind, MediaScope, ProxyOptions, Rewrite};
pub use signing::{expiry, ProxyRefusal, Signer, PROXY_PREFIX};
pub use trackers::{clean_link, is_tracker_image, is_tracking_param};
