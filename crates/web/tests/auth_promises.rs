//! The authentication promises of docs/SECURITY.md ("Authentication") that no earlier
//! test proved: the argon2id parameters, session fixation, an API password
//! revoked on the account page refused by all three reader APIs at once
//! (including a Google Reader session opened before), and login throttling
//! counted per user name *and* per client address (clients bound to other
//! loopback addresses, 127.0.0.2 …, so the server sees them as different).

mod common;

use std::net::{IpAddr, Ipv4Addr};

use common::{cookie_value, input_value, set_cookie, Server};
use reqwest::StatusCode;
use serde_json::Value;
use tributary_web::auth::api_keys;

const PW: &str = "correct horse";

/// A client without cookie jar or redirects, connecting from `127.0.0.N`.
fn from(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .build()
        .unwrap()
}

/// POST /login as `user` with `password` from `client`, sending `extra`
/// cookies too (the login form's double-submit cookie is fetched first).
async fn login(
    server: &Server,
    client: &reqwest::Client,
    user: &str,
    password: &str,
    extra: &str,
) -> reqwest::Response {
    let page = client.get(server.url("/login")).send().await.unwrap();
    let form_cookie = cookie_value(set_cookie(&page, "tributary_login_csrf").unwrap()).to_owned();
    let csrf = input_value(&page.text().await.unwrap(), "csrf").unwrap();
    let mut cookies = format!("tributary_login_csrf={form_cookie}");
    if !extra.is_empty() {
        cookies.push_str("; ");
        cookies.push_str(extra);
    }
    client
        .post(server.url("/login"))
        .header("Cookie", cookies)
        .form(&[
            ("username", user),
            ("password", password),
            ("csrf", csrf.as_str()),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap()
}

/// Whose account page the session cookie `session` opens (`None`: none).
async fn whose(server: &Server, session: &str) -> Option<String> {
    let r = from(1)
        .get(server.url("/settings/account"))
        .header("Cookie", format!("tributary_session={session}"))
        .send()
        .await
        .unwrap();
    if r.status() != StatusCode::OK {
        return None;
    }
    let page = r.text().await.unwrap();
    let at = page.find("Signed in as <strong>")? + "Signed in as <strong>".len();
    Some(page[at..at + page[at..].find('<')?].to_owned())
}

#[test]
fn passwords_are_hashed_with_argon2id_at_the_documented_parameters() {
    let a = tributary_web::auth::hash_password(PW).unwrap();
    let b = tributary_web::auth::hash_password(PW).unwrap();
    // argon2id, version 0x13, 19 MiB, 2 passes, 1 lane (OWASP's minimum
    // recommendation; the argon2 crate's defaults), 16-byte random salt.
    assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
    let salt = a.split('$').nth(4).unwrap();
    assert_eq!(salt.len(), 22, "16 bytes of salt in unpadded base64: {a}");
    assert_ne!(a, b, "a fresh salt each time");
    assert!(tributary_web::auth::verify_password(PW, &a));
    assert!(!tributary_web::auth::verify_password("correct horsf", &a));
}

#[tokio::test]
async fn a_session_id_planted_before_login_is_not_the_one_after() {
    let server = Server::start().await;
    server.user("ann", PW, false).await;
    server.user("mallory", PW, false).await;
    // Mallory's own valid session, and a value the server never issued.
    let r = login(&server, &from(1), "mallory", PW, "").await;
    let mallorys = cookie_value(set_cookie(&r, "tributary_session").unwrap()).to_owned();
    assert_eq!(whose(&server, &mallorys).await.as_deref(), Some("mallory"));
    let invented = "a".repeat(64);

    for planted in [mallorys.clone(), invented] {
        // Ann's browser carries the planted cookie when she signs in.
        let r = login(
            &server,
            &from(1),
            "ann",
            PW,
            &format!("tributary_session={planted}"),
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let issued =
            cookie_value(set_cookie(&r, "tributary_session").expect("a new cookie")).to_owned();
        assert_ne!(issued, planted, "the session id changes at login");
        assert_eq!(whose(&server, &issued).await.as_deref(), Some("ann"));
        // The planted value does not open Ann's session.
        assert_ne!(whose(&server, &planted).await.as_deref(), Some("ann"));
    }
}

#[tokio::test]
async fn an_api_password_revoked_on_the_account_page_is_refused_by_every_api() {
    let server = Server::start().await;
    let ann = server.user("ann", PW, false).await;
    let secret = api_keys::create(&server.store, &ann, "phone")
        .await
        .unwrap()
        .secret;
    let fever_key = api_keys::fever_key("ann", &secret);

    // A Google Reader session opened with it before the revocation.
    let auth = server.greader_auth("ann", &secret).await;

    // (what, status, whether the answer gave data)
    let probe = |api: reqwest::Client| {
        let (server_url, secret, fever_key, auth) = (
            server.url(""),
            secret.clone(),
            fever_key.clone(),
            auth.clone(),
        );
        async move {
            let mut out = Vec::new();
            let r = api
                .get(format!("{server_url}/v1/me"))
                .header("X-Auth-Token", &secret)
                .send()
                .await
                .unwrap();
            out.push(("/v1 X-Auth-Token", r.status().as_u16()));
            let r = api
                .get(format!("{server_url}/v1/me"))
                .basic_auth("ann", Some(&secret))
                .send()
                .await
                .unwrap();
            out.push(("/v1 Basic", r.status().as_u16()));
            let r = api
                .get(format!(
                    "{server_url}/api/greader/reader/api/0/subscription/list?output=json"
                ))
                .header("Authorization", format!("GoogleLogin auth={auth}"))
                .send()
                .await
                .unwrap();
            out.push(("greader session", r.status().as_u16()));
            let r = api
                .post(format!("{server_url}/api/greader/accounts/ClientLogin"))
                .form(&[("Email", "ann"), ("Passwd", secret.as_str())])
                .send()
                .await
                .unwrap();
            out.push(("greader ClientLogin", r.status().as_u16()));
            // Fever answers 200 with "auth": 0 (its protocol) and no data.
            let body: Value = api
                .post(format!("{server_url}/api/fever/?api&items"))
                .form(&[("api_key", fever_key.as_str())])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let fever = if body["auth"] == 1 && body.get("items").is_some() {
                200
            } else if body["auth"] == 0 && body.get("items").is_none() {
                401
            } else {
                0
            };
            out.push(("fever (auth 1 = 200, auth 0 = 401)", fever));
            out
        }
    };
    for (what, status) in probe(server.client()).await {
        assert_eq!(status, 200, "{what} before the revocation");
    }

    // Ann revokes it on her account page.
    let client = server.login("ann", PW).await;
    let csrf = server.csrf(&client).await;
    let id = server.store.api_tokens(ann.id).await.unwrap()[0].id;
    let r = client
        .post(server.url(&format!("/settings/account/api-passwords/{id}/revoke")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    for (what, status) in probe(server.client()).await {
        assert_eq!(status, 401, "{what} after the revocation");
    }
}

#[tokio::test]
async fn login_failures_are_throttled_per_user_and_per_address() {
    let server = Server::start().await;
    server.user("ann", PW, false).await;
    server.user("bob", PW, false).await;
    let free = tributary_web::auth::throttle::FREE_FAILURES;

    // Per user name: Ann's password guessed from 127.0.0.2 …
    for i in 0..free {
        let r = login(&server, &from(2), "ann", "guess", "").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "guess {i}");
    }
    // … makes the next attempt for Ann wait, from any address, even with
    // the right password …
    let r = login(&server, &from(3), "ann", PW, "").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    assert!(set_cookie(&r, "tributary_session").is_none());
    // … and so does her API login.
    let r = from(3)
        .post(server.url("/api/greader/accounts/ClientLogin"))
        .form(&[("Email", "ann"), ("Passwd", "whatever")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    // Bob, from another address, is not held up by it.
    let r = login(&server, &from(4), "bob", PW, "").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Per address: guessing many names from 127.0.0.5 …
    for i in 0..free {
        let r = login(&server, &from(5), &format!("nobody{i}"), "guess", "").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "name {i}");
    }
    // … makes that address wait, for every name, the right password too …
    let r = login(&server, &from(5), "bob", PW, "").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    // … while Bob signs in from elsewhere.
    let r = login(&server, &from(6), "bob", PW, "").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // After waiting as told, Ann gets in with the right password.
    tokio::time::sleep(std::time::Duration::from_secs(retry)).await;
    let r = login(&server, &from(7), "ann", PW, "").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
