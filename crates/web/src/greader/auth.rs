//! Signing in: `accounts/ClientLogin` trades a user name and an API
//! password for an `Auth` token (an API session of a year, ended when the
//! password is revoked); every other request carries it as
//! `Authorization: GoogleLogin auth=TOKEN` (or an `auth=` query
//! parameter). Writes also carry `T=`, the session's token from
//! `reader/api/0/token`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use tributary_store::User;

use super::{bad_request, text, GrError, GrResult};
use crate::auth::session::{random_token, same_secret, token_hash};
use crate::auth::{api_keys, ClientIp};
use crate::AppState;

/// How long an `Auth` token lasts.
pub const SESSION_DAYS: i64 = 365;

/// The parameters of a request: the form body's, then the query's, in
/// order (names may repeat: `i=1&i=2`).
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parse a query string and a form body (either may be empty).
    pub fn parse(query: Option<&str>, body: &[u8]) -> GrResult<Params> {
        let mut pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|e| bad_request(format!("the form body is not valid: {e}")))?;
        let query: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|e| bad_request(format!("the query string is not valid: {e}")))?;
        pairs.extend(query);
        Ok(Params(pairs))
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A whole-number parameter: `None` if absent or empty, 400 naming it
    /// if it is not a number.
    pub fn int(&self, name: &str) -> GrResult<Option<i64>> {
        match self.get(name).map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .map(Some)
                .map_err(|_| bad_request(format!("{name} must be a whole number, not {v:?}"))),
        }
    }
}

/// An authenticated request: who, the session's `T` token, the parameters
/// and the raw body.
#[derive(Debug)]
pub struct Call {
    /// The user of the `Auth` token.
    pub user: User,
    /// The session's write token.
    pub csrf: String,
    /// Query and form parameters.
    pub params: Params,
    /// The body as sent (OPML for `subscription/import`).
    pub body: Bytes,
}

impl Call {
    /// 401 with `X-Reader-Google-Bad-Token: true` unless the request carries
    /// the session's `T` (form field or query parameter).
    pub fn require_token(&self) -> GrResult<()> {
        match self.params.get("T") {
            Some(t) if same_secret(t.trim(), &self.csrf) => Ok(()),
            _ => Err(GrError::BadToken),
        }
    }

    /// The user's id as the API writes it.
    pub fn me(&self) -> i64 {
        self.user.id.0
    }
}

/// The `Auth` token of a request: `Authorization: GoogleLogin auth=…`, else
/// an `auth` query parameter.
fn auth_token(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            if !scheme.eq_ignore_ascii_case("googlelogin") {
                return None;
            }
            let rest = rest.trim();
            let value = rest
                .strip_prefix("auth=")
                .or_else(|| rest.strip_prefix("Auth="))?;
            Some(value.trim().trim_matches('"').to_owned())
        });
    from_header.or_else(|| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(query.unwrap_or(""))
            .ok()?
            .into_iter()
            .find(|(k, _)| k == "auth")
            .map(|(_, v)| v)
    })
}

impl FromRequest<AppState> for Call {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (parts, body) = request.into_parts();
        let query = parts.uri.query();
        let token = auth_token(&parts.headers, query)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| GrError::BadAuth.into_response())?;
        let session = state
            .store
            .api_session(&token_hash(&token), Utc::now())
            .await
            .map_err(|e| GrError::from(e).into_response())?
            .ok_or_else(|| GrError::BadAuth.into_response())?;
        let limit = state.config.max_upload_bytes.max(64 * 1024);
        let body = axum::body::to_bytes(body, limit).await.map_err(|_| {
            GrError::Web(crate::WebError::TooLarge(format!(
                "the request body is larger than {limit} bytes"
            )))
            .into_response()
        })?;
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.starts_with("application/x-www-form-urlencoded"));
        let form: &[u8] = if is_form && parts.method != Method::GET {
            &body
        } else {
            b""
        };
        let params = Params::parse(query, form).map_err(IntoResponse::into_response)?;
        Ok(Call {
            user: session.user,
            csrf: session.csrf_token,
            params,
            body,
        })
    }
}

/// `accounts/ClientLogin` (GET or POST): `Email` (the user name) and
/// `Passwd` (an API password) give `SID=…\nLSID=…\nAuth=…\n`.
pub async fn client_login(
    axum::extract::State(state): axum::extract::State<AppState>,
    ClientIp(ip): ClientIp,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    body: Bytes,
) -> Response {
    match login(&state, ip, query.as_deref(), &body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn login(
    state: &AppState,
    ip: Option<std::net::IpAddr>,
    query: Option<&str>,
    body: &[u8],
) -> GrResult<Response> {
    let params = Params::parse(query, body)?;
    let (Some(email), Some(passwd)) = (params.get("Email"), params.get("Passwd")) else {
        return Err(GrError::BadAuth);
    };
    let Some((user, api_token)) =
        api_keys::user_by_password(state, email.trim(), passwd.trim(), ip).await?
    else {
        return Err(GrError::BadAuth);
    };
    let auth = random_token()?;
    // 57 characters, as Google's tokens had (some clients show or check it).
    let mut csrf = random_token()?;
    csrf.truncate(57);
    state
        .store
        .create_api_session(
            api_token.id,
            &token_hash(&auth),
            &csrf,
            Utc::now() + Duration::days(SESSION_DAYS),
        )
        .await?;
    tracing::info!(user = %user.username, "google reader login");
    Ok(text(
        StatusCode::OK,
        format!("SID={auth}\nLSID=null\nAuth={auth}\n"),
    ))
}

/// `reader/api/0/token`: the session's write token, as text.
pub async fn token(call: Call) -> Response {
    text(StatusCode::OK, call.csrf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_comes_from_the_header_or_the_query() {
        let mut h = HeaderMap::new();
        assert_eq!(auth_token(&h, None), None);
        assert_eq!(auth_token(&h, Some("auth=abc&x=1")).as_deref(), Some("abc"));
        h.insert(
            header::AUTHORIZATION,
            "GoogleLogin auth=xyz".parse().unwrap(),
        );
        assert_eq!(auth_token(&h, Some("auth=abc")).as_deref(), Some("xyz"));
        h.insert(header::AUTHORIZATION, "Bearer xyz".parse().unwrap());
        assert_eq!(auth_token(&h, None), None);
    }

    #[test]
    fn params_keep_repeats_in_order() {
        let p = Params::parse(Some("i=3&n=5"), b"i=1&i=2&T=t").unwrap();
        assert_eq!(p.all("i").collect::<Vec<_>>(), ["1", "2", "3"]);
        assert_eq!(p.int("n").unwrap(), Some(5));
        assert!(p.int("T").is_err());
        assert_eq!(p.int("missing").unwrap(), None);
    }
}
