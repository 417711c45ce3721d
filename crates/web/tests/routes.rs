//! The route walk: every route of the router, checked for what a visitor
//! without a session gets, and for forms refused without the CSRF token.

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
    // --- unknown routes: a 404 page
    ("/no/such/page", Open(404)),
    // ==== UI routes: added here at integration (web-ui helper's pages) ====
    // ==== end of UI routes ====
];

#[tokio::test]
async fn every_route_refuses_visitors_and_forms_without_csrf() {
    let server = Server::start().await;
    let root = server.user("root", "correct horse", true).await;
    let victim = server.user("victim", "correct horse", false).await;
    let signed_in = server.login("root", "correct horse").await;
    let path_of = |p: &str| p.replace("{user}", &victim.id.to_string());

    for (route, kind) in ROUTES {
        let path = path_of(route);
        let url = server.url(&path);
        let visitor = server.client();
        match kind {
            Page => {
                let r = visitor.get(&url).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::SEE_OTHER, "GET {path}");
                let location = r.headers()["location"].to_str().unwrap();
                assert!(
                    location.starts_with("/login?next="),
                    "GET {path} → {location}"
                );
                let head = visitor.head(&url).send().await.unwrap();
                assert_eq!(head.status(), StatusCode::SEE_OTHER, "HEAD {path}");
                // Signed in, the page is there.
                let r = signed_in.get(&url).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK, "signed-in GET {path}");
                let page = r.text().await.unwrap();
                assert!(
                    common::meta_content(&page, "csrf-token").is_some(),
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
                assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "POST {path}");
                let r = signed_in
                    .post(&url)
                    .form(&[("x", "y")])
                    .send()
                    .await
                    .unwrap();
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
                assert_eq!(
                    r.status(),
                    StatusCode::FORBIDDEN,
                    "POST {path} with a wrong csrf header"
                );
            }
            Open(status) => {
                let r = visitor.get(&url).send().await.unwrap();
                assert_eq!(r.status().as_u16(), *status, "GET {path}");
            }
            LoginForm => {
                let r = visitor
                    .post(&url)
                    .form(&[("username", "root"), ("password", "correct horse")])
                    .send()
                    .await
                    .unwrap();
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
