//! The route walk: every route of the router, checked for what a visitor
//! without a session gets, for forms refused without the CSRF token, and
//! for the security headers on every answer (visitor or signed in, page,
//! form, redirect, error).

mod common;

use common::Server;
use reqwest::StatusCode;

/// What a route is.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A signed-in page: GET without a session → 303 to the login form.
    Page,
    /// A signed-in form: POST without a session → 401; with a session but
    /// without the CSRF token → 403.
    Form,
    /// Open to everyone (outputs, login, health): GET without a session
    /// gets this status.
    Open(u16),
    /// The login form's POST: without its double-submit token → 403.
    LoginForm,
}

use Kind::*;

/// EVERY route of the router. `{user}` is replaced by a real user id.
const ROUTES: &[(&str, Kind)] = &[
    // --- web core: accounts
    ("/login", Open(200)),
    ("/login", LoginForm),
    ("/logout", Form),
    ("/settings/account", Page),
    ("/settings/account", Form),
    ("/settings/account/token", Form),
    ("/settings/account/api-passwords", Form),
    ("/settings/account/api-passwords/1/revoke", Form),
    ("/admin", Page),
    ("/admin/users", Form),
    ("/admin/users/{user}/remove", Form),
    ("/admin/planet", Form),
    // --- web core: outputs (no planet set: 404 without a token)
    ("/river", Open(404)),
    ("/feeds/all.atom", Open(404)),
    ("/feeds/all.rss", Open(404)),
    ("/feeds/all.json", Open(404)),
    ("/feeds/category/Net.atom", Open(404)),
    ("/feeds/category/Net.rss", Open(404)),
    ("/feeds/category/Net.json", Open(404)),
    ("/opml", Open(404)),
    // --- web core: operations
    ("/healthz", Open(200)),
    ("/metrics", Open(200)),
    // --- the page's script and stylesheet (same origin, no inline code)
    ("/static/app.js", Open(200)),
    ("/static/app.css", Open(200)),
    // --- privacy: the settings page; the proxy is off by default (404)
    ("/settings/privacy", Page),
    ("/settings/privacy", Form),
    ("/proxy/sig/1/aHR0cHM6Ly9leGFtcGxlLmNvbS9hLnBuZw", Open(404)),
    // --- unknown routes: a 404 page
    ("/no/such/page", Open(404)),
    // The UI's routes come from `tributary_web::ui::ROUTES` (see `all_routes`).
];

/// The core routes above plus every UI route: its GETs are signed-in
/// pages, its POSTs signed-in forms.
fn all_routes() -> Vec<(&'static str, Kind)> {
    let mut routes = ROUTES.to_vec();
    for (method, path) in tributary_web::ui::ROUTES {
        routes.push((path, if *method == "GET" { Page } else { Form }));
    }
    routes
}

/// Ids of one user's own feed, entry and category, to fill `{id}` with.
struct Owned {
    feed: i64,
    entry: i64,
    category: i64,
    webhook: i64,
}

impl Owned {
    async fn seed(
        server: &Server,
        user: tributary_model::UserId,
        url: &str,
        category: &str,
    ) -> Owned {
        let feed = common::seed(
            &server.store,
            user,
            url,
            Some(category),
            3,
            chrono::Utc::now(),
        )
        .await;
        let entry = server
            .store
            .entries(
                user,
                &tributary_store::EntryQuery {
                    feed: Some(feed),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .items[0]
            .entry
            .id;
        let category = server
            .store
            .categories(user)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.path == category)
            .unwrap()
            .id;
        let webhook = server
            .store
            .webhook_create(
                user,
                &tributary_store::NewWebhook {
                    url: "https://hooks.example/in".into(),
                    secret: "w".repeat(40),
                    category: None,
                },
                chrono::Utc::now(),
            )
            .await
            .unwrap()
            .id;
        Owned {
            feed: feed.0,
            entry: entry.0,
            category: category.0,
            webhook: webhook.0,
        }
    }

    /// `route` with `{id}` replaced by the id of this user's object the path names.
    fn fill(&self, route: &str, user: i64) -> String {
        let id = if route.starts_with("/feed/") {
            self.feed
        } else if route.starts_with("/entry/") {
            self.entry
        } else if route.starts_with("/settings/webhooks/") {
            self.webhook
        } else {
            self.category
        };
        route
            .replace("{user}", &user.to_string())
            .replace("{id}", &id.to_string())
    }
}

#[tokio::test]
async fn every_route_refuses_visitors_and_forms_without_csrf() {
    let server = Server::start().await;
    let root = server.user("root", "correct horse", true).await;
    let victim = server.user("victim", "correct horse", false).await;
    let owned = Owned::seed(&server, root.id, "https://root.example/feed", "Net").await;
    let signed_in = server.login("root", "correct horse").await;

    for (route, kind) in all_routes() {
        let path = owned.fill(route, victim.id.0);
        let url = server.url(&path);
        let visitor = server.client();
        match kind {
            Page => {
                let r = visitor.get(&url).send().await.unwrap();
                common::assert_security_headers(&path, &r);
                assert_eq!(r.status(), StatusCode::SEE_OTHER, "GET {path}");
                let location = r.headers()["location"].to_str().unwrap();
                assert!(
                    location.starts_with("/login?next="),
                    "GET {path} → {location}"
                );
                let head = visitor.head(&url).send().await.unwrap();
                common::assert_security_headers(&path, &head);
                assert_eq!(head.status(), StatusCode::SEE_OTHER, "HEAD {path}");
                // Signed in, the page is there.
                let r = signed_in.get(&url).send().await.unwrap();
                common::assert_security_headers(&path, &r);
                assert_eq!(r.status(), StatusCode::OK, "signed-in GET {path}");
                let html = r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html");
                let page = r.text().await.unwrap();
                // Downloads (the OPML export) are not pages.
                assert!(
                    !html || common::meta_content(&page, "csrf-token").is_some(),
                    "{path} has the csrf-token meta tag"
                );
            }
            Form => {
                let r = visitor
                    .post(&url)
                    .form(&[("csrf", "x")])
                    .send()
                    .await
                    .unwrap();
                common::assert_security_headers(&path, &r);
                assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "POST {path}");
                let r = signed_in
                    .post(&url)
                    .form(&[("x", "y")])
                    .send()
                    .await
                    .unwrap();
                common::assert_security_headers(&path, &r);
                assert_eq!(
                    r.status(),
                    StatusCode::FORBIDDEN,
                    "POST {path} without csrf"
                );
                let r = signed_in
                    .post(&url)
                    .header("X-CSRF-Token", "not the token")
                    .send()
                    .await
                    .unwrap();
                common::assert_security_headers(&path, &r);
                assert_eq!(
                    r.status(),
                    StatusCode::FORBIDDEN,
                    "POST {path} with a wrong csrf header"
                );
            }
            Open(status) => {
                let r = visitor.get(&url).send().await.unwrap();
                common::assert_security_headers(&path, &r);
                assert_eq!(r.status().as_u16(), status, "GET {path}");
            }
            LoginForm => {
                let r = visitor
                    .post(&url)
                    .form(&[("username", "root"), ("password", "correct horse")])
                    .send()
                    .await
                    .unwrap();
                common::assert_security_headers(&path, &r);
                assert_eq!(
                    r.status(),
                    StatusCode::FORBIDDEN,
                    "POST {path} without token"
                );
            }
        }
    }
    // The walk changed nothing.
    assert!(server.store.user(victim.id).await.unwrap().is_some());
    assert!(server.store.user(root.id).await.unwrap().is_some());
}

/// The cross-user walk: signed in as a second user, every route that names
/// an object (`{id}`) of the first user answers 404 — for GET and for a
/// POST with a valid CSRF token — and nothing of the first user's changes;
/// the pages without an id show nothing of the first user's.
#[tokio::test]
async fn every_route_as_another_user_sees_and_changes_nothing_of_the_first() {
    let server = Server::start().await;
    let ann = server.user("ann", "correct horse", false).await;
    let bob = server.user("bob", "battery staple", true).await;
    let anns = Owned::seed(&server, ann.id, "https://ann.example/private", "Secrets").await;
    Owned::seed(&server, bob.id, "https://bob.example/feed", "Mine").await;
    let snapshot = |store: tributary_store::Store| async move {
        let subs = store.subscription_views(ann.id).await.unwrap();
        let cats = store.categories(ann.id).await.unwrap();
        let page = store
            .entries(
                ann.id,
                &tributary_store::EntryQuery {
                    view: tributary_store::View::All,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let states: Vec<_> = page
            .items
            .iter()
            .map(|i| (i.entry.id, i.read, i.starred))
            .collect();
        format!("{subs:?}\n{cats:?}\n{states:?}")
    };
    let before = snapshot(server.store.clone()).await;

    let client = server.login("bob", "battery staple").await;
    let csrf = server.csrf(&client).await;
    for (route, kind) in all_routes() {
        if matches!(kind, Open(_) | LoginForm) || route.contains("{user}") || route == "/logout" {
            continue;
        }
        let path = anns.fill(route, ann.id.0);
        let url = server.url(&path);
        let named = route.contains("{id}");
        match kind {
            Page => {
                let r = client.get(&url).send().await.unwrap();
                common::assert_security_headers(&path, &r);
                let status = r.status();
                let body = r.text().await.unwrap();
                if named {
                    assert_eq!(status, StatusCode::NOT_FOUND, "GET {path} as another user");
                }
                assert!(
                    !body.contains("ann.example") && !body.contains("Secrets"),
                    "GET {path} shows ann's data to bob"
                );
            }
            Form if named => {
                let r = client
                    .post(&url)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("read", "1"),
                        ("starred", "1"),
                        ("name", "Bob's now"),
                        ("title", "Bob's now"),
                        ("confirmed", "1"),
                    ])
                    .send()
                    .await
                    .unwrap();
                common::assert_security_headers(&path, &r);
                assert_eq!(
                    r.status(),
                    StatusCode::NOT_FOUND,
                    "POST {path} as another user"
                );
            }
            _ => {}
        }
    }
    // Forms without an id in the path take it from fields: point them at ann's.
    for (path, fields) in [
        (
            "/mark-all-read",
            vec![("scope", "feed".to_owned()), ("id", anns.feed.to_string())],
        ),
        (
            "/mark-all-read",
            vec![
                ("scope", "category".to_owned()),
                ("id", anns.category.to_string()),
            ],
        ),
    ] {
        let mut form = vec![
            ("csrf", csrf.clone()),
            (
                "older_than",
                chrono::Utc::now().timestamp_micros().to_string(),
            ),
            ("confirmed", "1".to_owned()),
        ];
        form.extend(fields);
        let r = client
            .post(server.url(path))
            .form(&form)
            .send()
            .await
            .unwrap();
        common::assert_security_headers(path, &r);
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "POST {path} {form:?}");
    }
    assert_eq!(
        snapshot(server.store.clone()).await,
        before,
        "ann's data changed"
    );
}

/// The page's script and stylesheet are files of this site (the CSP allows
/// no inline code): linked from every signed-in page by a versioned URL,
/// served with their type, cached for a year, revalidated by ETag.
#[tokio::test]
async fn the_script_and_style_are_same_origin_files_cached_by_version() {
    let server = Server::start().await;
    server.user("ann", "correct horse", false).await;
    let client = server.login("ann", "correct horse").await;
    let page = client
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let js = tributary_web::ui::assets::app_js_url();
    let css = tributary_web::ui::assets::app_css_url();
    assert!(
        page.contains(&format!(r#"<script src="{js}"></script>"#)),
        "{page}"
    );
    assert!(page.contains(&format!(r#"<link rel="stylesheet" href="{css}">"#)));
    assert!(!page.contains("<script>") && !page.contains("<style"));
    for (url, media_type, body) in [
        (js, "text/javascript", tributary_web::ui::assets::APP_JS),
        (css, "text/css", tributary_web::ui::assets::APP_CSS),
    ] {
        let r = server.client().get(server.url(url)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let h = r.headers().clone();
        assert!(
            h["content-type"].to_str().unwrap().starts_with(media_type),
            "{url}: {:?}",
            h["content-type"]
        );
        assert!(h["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000"));
        assert_eq!(r.text().await.unwrap(), body, "{url}");
        let again = server
            .client()
            .get(server.url(url))
            .header("If-None-Match", h["etag"].clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{url}");
    }
}
