//! Accounts over real HTTP: login, sessions and their cookies, logout,
//! CSRF, throttling, password change, and the admin page.

mod common;

use common::{cookie_value, input_value, set_cookie, unescape, Server};
use reqwest::StatusCode;
use tributary_web::WebConfig;

const PW: &str = "correct horse battery";

/// GET /login, then POST the form with `fields` (csrf filled in).
async fn post_login(
    server: &Server,
    client: &reqwest::Client,
    user: &str,
    password: &str,
    next: &str,
) -> reqwest::Response {
    let page = client
        .get(server.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = input_value(&page, "csrf").expect("csrf field");
    client
        .post(server.url("/login"))
        .form(&[
            ("username", user),
            ("password", password),
            ("csrf", &csrf),
            ("next", next),
        ])
        .send()
        .await
        .unwrap()
}

fn location(r: &reqwest::Response) -> &str {
    r.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn login_right_and_wrong() {
    let server = Server::start().await;
    server.user("ann", PW, false).await;
    let client = server.client();

    let wrong = post_login(&server, &client, "ann", "not it", "/").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&wrong, "tributary_session").is_none());
    let page = wrong.text().await.unwrap();
    assert!(page.contains("wrong user name or password"), "{page}");
    assert_eq!(input_value(&page, "username").as_deref(), Some("ann"));

    let nobody = post_login(&server, &client, "bob", "whatever1", "/").await;
    assert_eq!(nobody.status(), StatusCode::UNAUTHORIZED);
    assert!(nobody
        .text()
        .await
        .unwrap()
        .contains("wrong user name or password"));

    let ok = post_login(&server, &client, "ann", PW, "/").await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&ok), "/");
    let account = client
        .get(server.url("/settings/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), StatusCode::OK);
    assert!(account.text().await.unwrap().contains("ann"));
}

#[tokio::test]
async fn login_without_the_form_token_is_refused() {
    let server = Server::start().await;
    server.user("ann", PW, false).await;
    let client = server.client();
    let r = client
        .post(server.url("/login"))
        .form(&[("username", "ann"), ("password", PW), ("csrf", "made-up")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&r, "tributary_session").is_none());
}

#[tokio::test]
async fn next_is_followed_only_within_the_site() {
    let server = Server::start().await;
    server.user("ann", PW, false).await;

    // A page that needs a session sends to the login form with next=…
    let client = server.client();
    let r = client
        .get(server.url("/settings/account?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login?next=%2Fsettings%2Faccount%3Fx%3D1");
    let page = client
        .get(server.url(location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        input_value(&page, "next").as_deref(),
        Some("/settings/account?x=1")
    );

    let ok = post_login(
        &server,
        &server.client(),
        "ann",
        PW,
        "/settings/account?x=1",
    )
    .await;
    assert_eq!(location(&ok), "/settings/account?x=1");

    for evil in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let r = post_login(&server, &server.client(), "ann", PW, evil).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/", "next={evil}");
    }
}

#[tokio::test]
async fn session_cookie_flags_and_a_new_id_per_login() {
    let server = Server::start().await;
    server.user("ann", PW, false).await;
    let client = server.client();
    let first = post_login(&server, &client, "ann", PW, "/").await;
    let c1 = set_cookie(&first, "tributary_session").unwrap().to_owned();
    assert!(c1.contains("HttpOnly"), "{c1}");
    assert!(c1.contains("SameSite=Lax"), "{c1}");
    assert!(c1.contains("Path=/"), "{c1}");
    assert!(!c1.contains("Secure"), "plain http: {c1}");
    assert_eq!(cookie_value(&c1).len(), 64);

    // Behind a TLS proxy the cookie is Secure.
    let page = client.get(server.url("/login")).send().await.unwrap();
    let login_cookie = set_cookie(&page, "tributary_login_csrf")
        .unwrap()
        .to_owned();
    let csrf = input_value(&page.text().await.unwrap(), "csrf").unwrap();
    assert_eq!(cookie_value(&login_cookie), csrf, "double-submit token");
    let second = client
        .post(server.url("/login"))
        .header("X-Forwarded-Proto", "https")
        .form(&[("username", "ann"), ("password", PW), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    let c2 = set_cookie(&second, "tributary_session").unwrap().to_owned();
    assert!(c2.contains("Secure"), "{c2}");
    assert_ne!(cookie_value(&c1), cookie_value(&c2), "a new session id");

    // The first session was replaced, not kept alive next to the new one.
    let replay = server
        .client()
        .get(server.url("/settings/account"))
        .header("Cookie", format!("tributary_session={}", cookie_value(&c1)))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn cookies_are_secure_with_an_https_public_url() {
    let server = Server::start_with(WebConfig {
        public_url: Some("https://news.example.org/".parse().unwrap()),
        ..WebConfig::default()
    })
    .await;
    server.user("ann", PW, false).await;
    let client = server.client();
    let r = post_login(&server, &client, "ann", PW, "/").await;
    let c = set_cookie(&r, "tributary_session").unwrap();
    assert!(c.contains("Secure") && c.contains("HttpOnly"), "{c}");
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let server = Server::start().await;
    server.user("ann", PW, false).await;
    let client = server.client();
    let r = post_login(&server, &client, "ann", PW, "/").await;
    let cookie = cookie_value(set_cookie(&r, "tributary_session").unwrap()).to_owned();
    let csrf = server.csrf(&client).await;

    let out = client
        .post(server.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let cleared = set_cookie(&out, "tributary_session").unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    // The old cookie, replayed by someone who kept it, no longer works.
    let replay = server
        .client()
        .get(server.url("/settings/account"))
        .header("Cookie", format!("tributary_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    assert!(location(&replay).starts_with("/login?next="));
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_refused() {
    let server = Server::start().await;
    server.user("root", PW, true).await;
    let bob = server.user("bob", PW, false).await;
    let client = server.login("root", PW).await;
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/logout".into(), vec![]),
        (
            "/settings/account".into(),
            vec![
                ("current", PW),
                ("new", "newpassword"),
                ("repeat", "newpassword"),
            ],
        ),
        ("/settings/account/token".into(), vec![]),
        (
            "/admin/users".into(),
            vec![("username", "carl"), ("password", "longenough")],
        ),
        (format!("/admin/users/{}/remove", bob.id), vec![]),
        (
            "/admin/planet".into(),
            vec![("user", "root"), ("title", "P")],
        ),
    ];
    for (path, fields) in &forms {
        for token in [None, Some("wrong")] {
            let mut body = fields.clone();
            if let Some(t) = token {
                body.push(("csrf", t));
            }
            let r = client
                .post(server.url(path))
                .form(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status(),
                StatusCode::FORBIDDEN,
                "{path} with csrf {token:?}"
            );
        }
    }
    // Nothing happened: still signed in, bob still there, no carl.
    assert!(server.store.user_by_name("bob").await.unwrap().is_some());
    assert!(server.store.user_by_name("carl").await.unwrap().is_none());
    assert_eq!(
        client
            .get(server.url("/settings/account"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_retry_after() {
    let server = Server::start().await;
    server.user("ann", PW, false).await;
    let client = server.client();
    for i in 0..5 {
        let r = post_login(&server, &client, "ann", "guess", "/").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = post_login(&server, &client, "ann", PW, "/").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    assert!(set_cookie(&r, "tributary_session").is_none());

    // After waiting as told, the right password gets in.
    tokio::time::sleep(std::time::Duration::from_secs(retry)).await;
    let r = post_login(&server, &client, "ann", PW, "/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions() {
    let server = Server::start().await;
    server.user("ann", PW, false).await;
    let here = server.login("ann", PW).await;
    let elsewhere = server.login("ann", PW).await;
    let csrf = server.csrf(&here).await;

    // Wrong current password, too short, not repeated: errors by the fields.
    let r = here
        .post(server.url("/settings/account"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("current", "nope"),
            ("new", "short"),
            ("repeat", "other"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(page.contains("this is not your current password"), "{page}");
    assert!(page.contains("at least 8 characters"));
    assert!(page.contains("the two new passwords differ"));

    let r = here
        .post(server.url("/settings/account"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("current", PW),
            ("new", "a new password"),
            ("repeat", "a new password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // This client got a new session; the other one is signed out.
    assert_eq!(location(&r), "/settings/account?done=password");
    let mine = here
        .get(server.url("/settings/account?done=password"))
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), StatusCode::OK);
    assert!(mine.text().await.unwrap().contains("password was changed"));
    let theirs = elsewhere
        .get(server.url("/settings/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), StatusCode::SEE_OTHER);
    // The new password works, the old one does not.
    let r = post_login(&server, &server.client(), "ann", PW, "/").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    server.login("ann", "a new password").await;
}

#[tokio::test]
async fn the_output_token_can_be_replaced() {
    let server = Server::start().await;
    let ann = server.user("ann", PW, false).await;
    let client = server.login("ann", PW).await;
    let old = server.store.output_token(ann.id).await.unwrap();
    let page = unescape(
        &client
            .get(server.url("/settings/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(
        page.contains(&format!("/feeds/all.atom?token={old}")),
        "{page}"
    );
    let csrf = server.csrf(&client).await;
    let r = client
        .post(server.url("/settings/account/token"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let new = server.store.output_token(ann.id).await.unwrap();
    assert_ne!(old, new);
    let page = unescape(
        &client
            .get(server.url("/settings/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(page.contains(&format!("token={new}")));
    assert!(!page.contains(&format!("token={old}")));
}

#[tokio::test]
async fn the_admin_page_is_for_admins_only() {
    let server = Server::start().await;
    server.user("root", PW, true).await;
    server.user("bob", PW, false).await;
    let bob = server.login("bob", PW).await;
    let r = bob.get(server.url("/admin")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let csrf = server.csrf(&bob).await;
    let r = bob
        .post(server.url("/admin/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "mallory"),
            ("password", "longenough"),
            ("admin", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(server
        .store
        .user_by_name("mallory")
        .await
        .unwrap()
        .is_none());

    let root = server.login("root", PW).await;
    let r = root.get(server.url("/admin")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("bob") && page.contains("root"));
}

#[tokio::test]
async fn admins_add_and_remove_users() {
    let server = Server::start().await;
    let root = server.user("root", PW, true).await;
    let client = server.login("root", PW).await;
    let csrf = server.csrf(&client).await;
    let add = |name: &'static str, password: &'static str, admin: bool| {
        let mut form = vec![
            ("csrf", csrf.clone()),
            ("username", name.to_owned()),
            ("password", password.to_owned()),
        ];
        if admin {
            form.push(("admin", "on".to_owned()));
        }
        client.post(server.url("/admin/users")).form(&form).send()
    };

    let r = add("carl", "longenough", true).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let carl = server.store.user_by_name("carl").await.unwrap().unwrap();
    assert!(carl.is_admin);
    server.login("carl", "longenough").await;

    // Errors are said next to the field.
    let r = add("carl", "longenough", false).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("already a user named"));
    let r = add("dora", "short", false).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("at least 8 characters"));
    assert!(server.store.user_by_name("dora").await.unwrap().is_none());

    // Not oneself.
    let remove = |id: i64| {
        client
            .post(server.url(&format!("/admin/users/{id}/remove")))
            .form(&[("csrf", csrf.as_str())])
            .send()
    };
    let r = remove(root.id.0).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("cannot remove yourself"));
    let r = remove(carl.id.0).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(server.store.user_by_name("carl").await.unwrap().is_none());
    let r = remove(9999).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admins_choose_the_planet() {
    let server = Server::start().await;
    server.user("root", PW, true).await;
    server.user("bob", PW, false).await;
    let client = server.login("root", PW).await;
    let csrf = server.csrf(&client).await;
    let set = |user: &'static str, title: &'static str| {
        client
            .post(server.url("/admin/planet"))
            .form(&[("csrf", csrf.as_str()), ("user", user), ("title", title)])
            .send()
    };
    assert_eq!(
        set("bob", "Bob's planet").await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        server
            .store
            .setting("planet.user")
            .await
            .unwrap()
            .as_deref(),
        Some("bob")
    );
    assert_eq!(
        server
            .store
            .setting("planet.title")
            .await
            .unwrap()
            .as_deref(),
        Some("Bob's planet")
    );
    let r = set("nobody", "x").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("no user named"));
    assert_eq!(
        set("none", "").await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(server.store.setting("planet.user").await.unwrap(), None);
}

#[tokio::test]
async fn every_response_has_the_security_headers() {
    // The route walk (tests/routes.rs) checks every UI route; these are the
    // answers outside it: the reader APIs (refusals included), the outputs,
    // errors and the static assets.
    let server = Server::start().await;
    for path in [
        "/login",
        "/no-such-page",
        "/healthz",
        "/static/app.js",
        "/static/app.css",
        "/river",
        "/river?token=nope",
        "/v1/me",
        "/v1/feeds",
        "/api/greader/reader/api/0/subscription/list",
        "/api/greader/accounts/ClientLogin",
        "/api/fever/?api",
    ] {
        let r = server.client().get(server.url(path)).send().await.unwrap();
        common::assert_security_headers(path, &r);
    }
    let r = server
        .client()
        .post(server.url("/api/fever/?api"))
        .form(&[("api_key", "0")])
        .send()
        .await
        .unwrap();
    common::assert_security_headers("POST /api/fever/?api", &r);
}
