//! The SSRF table (tests/ssrf/targets.rs) at the fetcher, the layer every
//! other one goes through: with the default policy each row is refused by
//! a GET (`Fetcher::fetch`), by a form POST (`post_form`, the WebSub hub
//! request) and by the check before storing (`check_destination`), each
//! error naming the reason; a site allowed with `allowed_networks` that
//! redirects to a private address is refused at the hop. The trap
//! listeners on 127.0.0.1/127.0.0.2/[::1] must see no request; then the
//! escape hatches open exactly what they name.

#[path = "../../../tests/ssrf/targets.rs"]
mod targets;

use std::time::Duration;

use targets::{Site, Trap};
use tributary_fetch::{FetchConfig, FetchError, Fetcher, IpNet, Validators};
use url::Url;

fn fetcher(config: FetchConfig) -> Fetcher {
    Fetcher::new(FetchConfig {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        ..config
    })
    .unwrap()
}

fn is_refusal(e: &FetchError) -> bool {
    matches!(
        e,
        FetchError::Blocked { .. } | FetchError::UnsupportedScheme { .. }
    )
}

#[tokio::test]
async fn every_target_is_refused_by_default_with_its_reason() {
    let trap = Trap::start();
    let guarded = fetcher(FetchConfig::default());
    for row in targets::rows(trap.port) {
        let url = Url::parse(&row.url).unwrap_or_else(|e| panic!("{}: {e}", row.url));
        let get = guarded
            .fetch(&url, &Validators::default())
            .await
            .expect_err(&row.name);
        assert!(is_refusal(&get), "{}: GET gave {get:?}", row.name);
        targets::assert_reason(&row, "GET", &get.to_string());

        let post = guarded
            .post_form(&url, &[("hub.mode", "subscribe")])
            .await
            .expect_err(&row.name);
        assert!(is_refusal(&post), "{}: POST gave {post:?}", row.name);
        targets::assert_reason(&row, "POST", &post.to_string());

        let check = guarded.check_destination(&url).await.expect_err(&row.name);
        targets::assert_reason(&row, "check_destination", &check.to_string());
    }
    assert_eq!(trap.hits(), 0, "a refused target reached a trap listener");
}

#[tokio::test]
async fn redirects_from_an_allowed_site_to_private_addresses_are_refused() {
    let trap = Trap::start();
    let redirects = targets::redirects(trap.port);
    let site = Site::start(targets::rows(trap.port), redirects.clone());
    let allowed: IpNet = targets::SITE_NETWORK.parse().unwrap();
    let guarded = fetcher(FetchConfig {
        allowed_networks: vec![allowed],
        ..FetchConfig::default()
    });
    for (i, row) in redirects.iter().enumerate() {
        let before = site.hits();
        let url = Url::parse(&site.url(&format!("/redirect/{i}"))).unwrap();
        let err = guarded
            .fetch(&url, &Validators::default())
            .await
            .expect_err(&row.name);
        assert!(is_refusal(&err), "{}: {err:?}", row.name);
        targets::assert_reason(row, "redirect", &err.to_string());
        assert_eq!(
            site.hits(),
            before + 1,
            "{}: the site was not asked",
            row.name
        );
    }
    assert_eq!(trap.hits(), 0, "a redirect reached a trap listener");

    // The allowed site itself is fetched: the refusals were the hops.
    let feed = guarded
        .fetch(
            &Url::parse(&site.url("/feed.xml")).unwrap(),
            &Validators::default(),
        )
        .await
        .expect("the allowed network is reachable");
    assert!(feed.body.is_some());
    let check = guarded
        .check_destination(&Url::parse(&site.url("/feed.xml")).unwrap())
        .await;
    assert!(check.is_ok(), "{check:?}");

    // allow_private_networks opens the trap (so the zero above was the guard).
    let open = fetcher(FetchConfig {
        allow_private_networks: true,
        ..FetchConfig::default()
    });
    let resp = open
        .fetch(
            &Url::parse(&trap.url("/feed.xml")).unwrap(),
            &Validators::default(),
        )
        .await
        .expect("open fetcher reaches loopback");
    assert!(resp.body.is_some());
    assert_eq!(trap.hits(), 1);
}
