//! API passwords on the account page: made with a description and shown
//! once, listed with their last use, usable by the APIs, revoked by their
//! owner only — and never the login password.

mod common;

use common::{meta_content, unescape, Server};
use reqwest::StatusCode;
use tributary_web::auth::api_keys;

const PW: &str = "correct horse battery";

/// The secret shown in `<code class="secret">…</code>`, if any.
fn shown_secret(html: &str) -> Option<String> {
    let start = html.find("<code class=\"secret\">")? + "<code class=\"secret\">".len();
    let end = start + html[start..].find("</code>")?;
    Some(html[start..end].to_owned())
}

async fn fever_auth(server: &Server, key: &str) -> i64 {
    let body: serde_json::Value = server
        .client()
        .post(server.url("/api/fever/?api"))
        .form(&[("api_key", key)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["auth"].as_i64().unwrap()
}

#[tokio::test]
async fn made_shown_once_used_and_revoked_on_the_account_page() {
    let server = Server::start().await;
    let ann = server.user("ann", PW, false).await;
    let client = server.login("ann", PW).await;
    let csrf = server.csrf(&client).await;

    let page = client
        .get(server.url("/settings/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("No API passwords yet."));
    assert!(
        unescape(&page).contains(&format!("{}/api/greader", server.url(""))),
        "the base URLs are shown"
    );

    // Without a description: 400 with the reason, nothing made.
    let response = client
        .post(server.url("/settings/account/api-passwords"))
        .form(&[("csrf", csrf.as_str()), ("description", "  ")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("needs a description"));
    assert!(server.store.api_tokens(ann.id).await.unwrap().is_empty());

    let response = client
        .post(server.url("/settings/account/api-passwords"))
        .form(&[("csrf", csrf.as_str()), ("description", "Reeder <phone>")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = response.text().await.unwrap();
    let secret = shown_secret(&page).expect("the new secret is shown");
    assert_eq!(secret.len(), 32);
    assert!(
        page.contains("Reeder &lt;phone&gt;"),
        "descriptions are escaped"
    );
    assert!(meta_content(&page, "csrf-token").is_some());

    // Shown once: the next visit lists it without the secret.
    let page = client
        .get(server.url("/settings/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown_secret(&page).is_none());
    assert!(!page.contains(&secret));
    assert!(page.contains("Reeder &lt;phone&gt;"));
    assert!(page.contains("never"), "not used yet");

    // It works for the APIs; the login password does not.
    assert_eq!(
        fever_auth(&server, &api_keys::fever_key("ann", &secret)).await,
        1
    );
    assert_eq!(
        fever_auth(&server, &api_keys::fever_key("ann", PW)).await,
        0
    );
    let page = client
        .get(server.url("/settings/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains(">never<"), "the use is shown");

    // Bob cannot revoke it; a malformed id is a 404 too.
    server.user("bob", PW, false).await;
    let bob = server.login("bob", PW).await;
    let bob_csrf = server.csrf(&bob).await;
    let id = server.store.api_tokens(ann.id).await.unwrap()[0].id;
    for path in [
        format!("/settings/account/api-passwords/{id}/revoke"),
        "/settings/account/api-passwords/x/revoke".to_owned(),
    ] {
        let response = bob
            .post(server.url(&path))
            .form(&[("csrf", bob_csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        fever_auth(&server, &api_keys::fever_key("ann", &secret)).await,
        1
    );

    // Ann revokes it: the key stops working at once.
    let response = client
        .post(server.url(&format!("/settings/account/api-passwords/{id}/revoke")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        fever_auth(&server, &api_keys::fever_key("ann", &secret)).await,
        0
    );
    assert!(server.store.api_tokens(ann.id).await.unwrap().is_empty());
}
