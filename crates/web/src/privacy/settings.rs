//! `/settings/privacy`: what the server does for the reader's privacy, and
//! each user's own switch for the media proxy.
//!
//! The instance decides what is possible (`[privacy] media_proxy`); where
//! the proxy is on, it is on for every user by default — privacy should not
//! need a visit to a settings page — and a user may switch it off for
//! themselves (images then load straight from their sites, which see the
//! reader's address) and on again. The choice is kept in the settings table
//! under [`user_key`](super::user_key) (`off` when switched off). Tracker
//! removal is the instance's (`strip_trackers`) and shown here.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{user_key, user_wants_proxy, ProxyMode};
use crate::auth::{see_other, CsrfForm, CurrentUser, PageContext};
use crate::{AppState, WebError};

/// `?done=saved` after the form.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /settings/privacy`.
pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let config = &state.config.privacy;
    let ctx = PageContext::new(&state, &user).with(minijinja::context! {
        notice => (done.done.as_deref() == Some("saved")).then_some("Your privacy setting was saved."),
        mode => config.media_proxy.as_str(),
        proxy_available => config.media_proxy != ProxyMode::Off,
        proxy_on => user_wants_proxy(&state, user.user.id).await?,
        strip_trackers => config.strip_trackers,
        max_bytes => config.max_bytes,
        ttl_days => config.url_ttl.as_secs() / 86_400,
    });
    Ok(state.templates.render("privacy.html", ctx)?.into_response())
}

/// The form: `media_proxy=on|off`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PrivacyForm {
    media_proxy: String,
}

/// `POST /settings/privacy`.
pub async fn save(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<PrivacyForm>,
) -> Result<Response, WebError> {
    if state.config.privacy.media_proxy == ProxyMode::Off {
        return Err(WebError::BadRequest(
            "This server has no media proxy ([privacy] media_proxy = \"off\"), so there is nothing to switch.".to_owned(),
        ));
    }
    let value = match form.media_proxy.trim() {
        "on" => None,
        "off" => Some("off"),
        other => {
            return Err(WebError::BadRequest(format!(
                "The form must send media_proxy=on or media_proxy=off, not {other:?}."
            )))
        }
    };
    state
        .store
        .set_setting(&user_key(user.user.id), value)
        .await?;
    tracing::info!(username = %user.user.username, media_proxy = form.media_proxy.trim(), "privacy setting saved");
    Ok(see_other("/settings/privacy?done=saved"))
}
