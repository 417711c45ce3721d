//! The subscriber against a small but real WebSub hub on loopback, written
//! here: it accepts subscription requests (202), then verifies intent with a
//! GET to the callback carrying a random challenge and checks the echo, or
//! denies; the test then publishes content to the callback, signed with the
//! `hub.secret` the hub received, as a hub does. The subscriber's callback is
//! `router(...)` served on another loopback port; its sink is a channel, so
//! the tests see exactly what would reach the refresh pipeline.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Form, Router};
use chrono::Utc;
use hmac::{Hmac, Mac};
use tokio::sync::mpsc;
use tributary_fetch::{FetchConfig, Fetcher};
use tributary_model::FeedId;
use tributary_store::{FeedSelector, NewSubscription, Store, WebSubMode, WebSubState};
use tributary_websub::{
    router, Advert, PushSink, SubscribeOutcome, Subscriber, WebSubConfig, WebSubError,
};
use url::Url;

const TOPIC: &str = "https://blog.example/feed.xml";
const WAIT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------- the hub

/// What the hub does with a subscription request.
#[derive(Clone)]
enum Behaviour {
    /// 202, then verify with this lease (and, if set, another topic than asked).
    Verify {
        lease: u32,
        topic_override: Option<String>,
    },
    /// 202, then deny with this reason.
    Deny { reason: String },
    /// 202 and nothing else.
    Silent,
    /// Answer this status and body.
    Refuse { status: u16, body: String },
}

/// One verification (or denial) GET the hub made, and what it got back.
#[derive(Debug)]
struct Verification {
    mode: String,
    status: u16,
    /// The body equals the challenge sent.
    echoed: bool,
    content_type: Option<String>,
    nosniff: bool,
}

struct HubState {
    behaviour: Behaviour,
    requests: Vec<HashMap<String, String>>,
    verifications: mpsc::UnboundedSender<Verification>,
    client: reqwest::Client,
}

struct Hub {
    url: Url,
    state: Arc<Mutex<HubState>>,
    verifications: mpsc::UnboundedReceiver<Verification>,
}

impl Hub {
    async fn start(behaviour: Behaviour) -> Hub {
        let (tx, rx) = mpsc::unbounded_channel();
        let state = Arc::new(Mutex::new(HubState {
            behaviour,
            requests: Vec::new(),
            verifications: tx,
            client: reqwest::Client::new(),
        }));
        let app = Router::new()
            .route("/hub", post(hub_request))
            .with_state(state.clone());
        let addr = serve(app).await;
        Hub {
            url: Url::parse(&format!("http://{addr}/hub")).unwrap(),
            state,
            verifications: rx,
        }
    }

    fn requests(&self) -> Vec<HashMap<String, String>> {
        self.state.lock().unwrap().requests.clone()
    }

    fn set(&self, behaviour: Behaviour) {
        self.state.lock().unwrap().behaviour = behaviour;
    }

    async fn next_verification(&mut self) -> Verification {
        tokio::time::timeout(WAIT, self.verifications.recv())
            .await
            .expect("the hub verified in time")
            .expect("hub alive")
    }

    /// The secret the hub was given in its last request.
    fn secret(&self) -> String {
        self.requests().last().unwrap()["hub.secret"].clone()
    }

    fn callback(&self) -> String {
        self.requests().last().unwrap()["hub.callback"].clone()
    }
}

fn random_challenge() -> String {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).unwrap();
    hex::encode(bytes)
}

async fn hub_request(
    State(state): State<Arc<Mutex<HubState>>>,
    Form(form): Form<HashMap<String, String>>,
) -> axum::response::Response {
    let (behaviour, client, tx) = {
        let mut s = state.lock().unwrap();
        s.requests.push(form.clone());
        (
            s.behaviour.clone(),
            s.client.clone(),
            s.verifications.clone(),
        )
    };
    let (mode, topic, lease, reason) = match behaviour {
        Behaviour::Refuse { status, body } => {
            return (StatusCode::from_u16(status).unwrap(), body).into_response()
        }
        Behaviour::Silent => return StatusCode::ACCEPTED.into_response(),
        Behaviour::Verify {
            lease,
            topic_override,
        } => (
            form["hub.mode"].clone(),
            topic_override.unwrap_or_else(|| form["hub.topic"].clone()),
            Some(lease),
            None,
        ),
        Behaviour::Deny { reason } => (
            "denied".to_owned(),
            form["hub.topic"].clone(),
            None,
            Some(reason),
        ),
    };
    // Verify after answering, as hubs do (§5.1.2: the answer must not depend on it).
    let callback = form["hub.callback"].clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let challenge = random_challenge();
        let mut url = Url::parse(&callback).unwrap();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("hub.mode", &mode)
                .append_pair("hub.topic", &topic);
            if mode != "denied" {
                q.append_pair("hub.challenge", &challenge);
            }
            if let (Some(lease), "subscribe") = (lease, mode.as_str()) {
                q.append_pair("hub.lease_seconds", &lease.to_string());
            }
            if let Some(reason) = &reason {
                q.append_pair("hub.reason", reason);
            }
        }
        let resp = client.get(url).send().await.unwrap();
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let nosniff = resp
            .headers()
            .get("x-content-type-options")
            .is_some_and(|v| v == "nosniff");
        let body = resp.text().await.unwrap();
        let _ = tx.send(Verification {
            mode,
            status,
            echoed: body == challenge,
            content_type,
            nosniff,
        });
    });
    StatusCode::ACCEPTED.into_response()
}

fn sign<M: Mac + hmac::digest::KeyInit>(name: &str, secret: &str, body: &[u8]) -> String {
    let mut mac = <M as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("{name}={}", hex::encode(mac.finalize().into_bytes()))
}

fn sha256(secret: &str, body: &[u8]) -> String {
    sign::<Hmac<sha2::Sha256>>("sha256", secret, body)
}

/// POST content to a callback as a hub would; returns the status.
async fn publish(callback: &str, body: &[u8], signature: Option<&str>) -> u16 {
    let mut req = reqwest::Client::new()
        .post(callback)
        .header("content-type", "application/atom+xml")
        .header(
            "link",
            format!("<http://hub.invalid/>; rel=\"hub\", <{TOPIC}>; rel=\"self\""),
        )
        .body(body.to_vec());
    if let Some(sig) = signature {
        req = req.header("x-hub-signature", sig);
    }
    req.send().await.unwrap().status().as_u16()
}

// ---------------------------------------------------------- the subscriber

type Delivery = (FeedId, Bytes, Option<String>);

/// A sink that hands every delivery to the test through a channel.
struct ChannelSink(mpsc::UnboundedSender<Delivery>);

impl PushSink for ChannelSink {
    fn deliver(
        &self,
        feed: FeedId,
        body: Bytes,
        content_type: Option<String>,
    ) -> impl std::future::Future<Output = Result<(), String>> + Send {
        let sent = self
            .0
            .send((feed, body, content_type))
            .map_err(|e| e.to_string());
        async move { sent }
    }
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

struct Setup {
    _dir: tempfile::TempDir,
    store: Store,
    feed: FeedId,
    subscriber: Subscriber,
    callback_base: String,
    deliveries: mpsc::UnboundedReceiver<Delivery>,
    hub: Hub,
}

impl Setup {
    async fn new(behaviour: Behaviour, tweak: impl FnOnce(&mut WebSubConfig)) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap();
        let me = store.default_user().await.unwrap();
        store
            .subscribe(
                me,
                &[NewSubscription {
                    url: TOPIC.to_owned(),
                    ..Default::default()
                }],
            )
            .await
            .unwrap();
        let feed = store.feeds_to_fetch(&FeedSelector::All).await.unwrap()[0].id;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = WebSubConfig {
            public_base_url: Some(Url::parse(&format!("http://{addr}/")).unwrap()),
            lease_seconds: 3600,
            ..WebSubConfig::default()
        };
        tweak(&mut config);
        let fetcher = Fetcher::new(FetchConfig {
            allow_private_networks: true,
            connect_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_secs(5),
            ..FetchConfig::default()
        })
        .unwrap();
        let subscriber = Subscriber::new(store.clone(), fetcher, config);
        let (tx, rx) = mpsc::unbounded_channel();
        let app = router(subscriber.clone(), Arc::new(ChannelSink(tx)));
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        let hub = Hub::start(behaviour).await;
        Setup {
            _dir: dir,
            store,
            feed,
            subscriber,
            callback_base: format!("http://{addr}/websub/callback/"),
            deliveries: rx,
            hub,
        }
    }

    fn advert(&self) -> Advert {
        Advert {
            hubs: vec![self.hub.url.clone()],
            topic: Url::parse(TOPIC).unwrap(),
        }
    }

    async fn subscribe(&self) -> Result<SubscribeOutcome, WebSubError> {
        self.subscriber.subscribe(self.feed, &self.advert()).await
    }

    async fn stored(&self) -> tributary_store::WebSubSubscription {
        self.store
            .websub_for_feed(self.feed)
            .await
            .unwrap()
            .unwrap()
    }

    /// Subscribe and wait for the hub's successful verification.
    async fn subscribe_verified(&mut self) {
        assert!(matches!(
            self.subscribe().await.unwrap(),
            SubscribeOutcome::Requested { .. }
        ));
        let v = self.hub.next_verification().await;
        assert_eq!((v.status, v.echoed), (200, true), "{v:?}");
    }

    /// Nothing was delivered (every delivery happens before the push is answered).
    fn assert_nothing_delivered(&mut self) {
        assert!(
            self.deliveries.try_recv().is_err(),
            "content must not have been delivered"
        );
    }
}

fn verify(lease: u32) -> Behaviour {
    Behaviour::Verify {
        lease,
        topic_override: None,
    }
}

// ------------------------------------------------------------------ tests

#[tokio::test]
async fn full_round_trip_subscribe_verify_push() {
    let mut s = Setup::new(verify(7200), |_| {}).await;
    let before = Utc::now();
    assert_eq!(
        s.subscribe().await.unwrap(),
        SubscribeOutcome::Requested {
            hub: s.hub.url.clone()
        }
    );

    // The request the hub got.
    let requests = s.hub.requests();
    assert_eq!(requests.len(), 1);
    let form = &requests[0];
    assert_eq!(form["hub.mode"], "subscribe");
    assert_eq!(form["hub.topic"], TOPIC);
    assert_eq!(form["hub.lease_seconds"], "3600");
    let token = form["hub.callback"]
        .strip_prefix(&s.callback_base)
        .expect("callback under the public base URL")
        .to_owned();
    assert_eq!(token.len(), 64);
    assert_eq!(form["hub.secret"].len(), 64);
    assert_eq!(s.stored().await.callback_token, token);

    let v = s.hub.next_verification().await;
    assert_eq!(v.mode, "subscribe");
    assert_eq!(v.status, 200);
    assert!(v.echoed, "the challenge is echoed");
    assert_eq!(v.content_type.as_deref(), Some("text/plain; charset=utf-8"));
    assert!(v.nosniff);

    let sub = s.stored().await;
    assert_eq!(sub.state, WebSubState::Active);
    assert_eq!(sub.pending_mode, None);
    assert_eq!(sub.lease_seconds, Some(7200), "the hub's lease, not ours");
    let expires = sub.expires_at.unwrap();
    assert!(expires >= before + chrono::Duration::seconds(7200));
    assert!(expires <= Utc::now() + chrono::Duration::seconds(7200));
    assert!(s.store.websub_active(s.feed, Utc::now()).await.unwrap());

    // Content, signed as the hub does.
    let body = b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title></feed>";
    let secret = s.hub.secret();
    let status = publish(&s.hub.callback(), body, Some(&sha256(&secret, body))).await;
    assert_eq!(status, 202);
    let (feed, got, content_type) = s.deliveries.try_recv().expect("delivered");
    assert_eq!(feed, s.feed);
    assert_eq!(&got[..], &body[..]);
    assert_eq!(content_type.as_deref(), Some("application/atom+xml"));
    assert!(s.stored().await.last_push_at.is_some());

    // Other methods verify too.
    let body2 = b"second";
    let sig = sign::<Hmac<sha2::Sha512>>("sha512", &secret, body2);
    assert_eq!(publish(&s.hub.callback(), body2, Some(&sig)).await, 202);
    let sig = sign::<Hmac<sha1::Sha1>>("sha1", &secret, body2);
    assert_eq!(publish(&s.hub.callback(), body2, Some(&sig)).await, 202);
    for _ in 0..2 {
        let (_, got, _) = s.deliveries.try_recv().expect("delivered");
        assert_eq!(&got[..], b"second");
    }
}

#[tokio::test]
async fn bad_signature_is_discarded() {
    let mut s = Setup::new(verify(3600), |_| {}).await;
    s.subscribe_verified().await;
    let body = b"forged content";
    let wrong = sha256("not the secret", body);
    assert_eq!(publish(&s.hub.callback(), body, Some(&wrong)).await, 202);
    // The right signature of another body.
    let other = sha256(&s.hub.secret(), b"other body");
    assert_eq!(publish(&s.hub.callback(), body, Some(&other)).await, 202);
    s.assert_nothing_delivered();
    assert_eq!(s.stored().await.last_push_at, None);
}

#[tokio::test]
async fn missing_or_malformed_signature_is_discarded() {
    let mut s = Setup::new(verify(3600), |_| {}).await;
    s.subscribe_verified().await;
    let body = b"unsigned content";
    assert_eq!(publish(&s.hub.callback(), body, None).await, 202);
    assert_eq!(publish(&s.hub.callback(), body, Some("sha256")).await, 202);
    assert_eq!(publish(&s.hub.callback(), body, Some("md5=00")).await, 202);
    assert_eq!(publish(&s.hub.callback(), body, Some("")).await, 202);
    s.assert_nothing_delivered();
    assert_eq!(s.stored().await.last_push_at, None);
}

#[tokio::test]
async fn wrong_topic_or_mode_in_verification_is_404_and_stays_pending() {
    let mut s = Setup::new(
        Behaviour::Verify {
            lease: 3600,
            topic_override: Some("https://elsewhere.example/feed".to_owned()),
        },
        |_| {},
    )
    .await;
    s.subscribe().await.unwrap();
    let v = s.hub.next_verification().await;
    assert_eq!(v.status, 404);
    assert!(!v.echoed);
    let sub = s.stored().await;
    assert_eq!(sub.state, WebSubState::Pending);
    assert_eq!(sub.pending_mode, Some(WebSubMode::Subscribe));
    assert!(!s.store.websub_active(s.feed, Utc::now()).await.unwrap());

    // An unsubscribe verification for a pending subscribe is not ours either.
    let client = reqwest::Client::new();
    let mut url = Url::parse(&s.hub.callback()).unwrap();
    url.query_pairs_mut()
        .append_pair("hub.mode", "unsubscribe")
        .append_pair("hub.topic", TOPIC)
        .append_pair("hub.challenge", "abc");
    assert_eq!(client.get(url).send().await.unwrap().status(), 404);
    assert_eq!(s.stored().await.state, WebSubState::Pending);

    // No or bad challenge, bad lease, unknown mode: 400, still pending.
    for query in [
        format!("hub.mode=subscribe&hub.topic={TOPIC}&hub.lease_seconds=60"),
        format!("hub.mode=subscribe&hub.topic={TOPIC}&hub.challenge=a%00b&hub.lease_seconds=60"),
        format!("hub.mode=subscribe&hub.topic={TOPIC}&hub.challenge=ok&hub.lease_seconds=-5"),
        format!(
            "hub.mode=subscribe&hub.topic={TOPIC}&hub.challenge={}",
            "x".repeat(5000)
        ),
        format!("hub.mode=publish&hub.topic={TOPIC}&hub.challenge=ok"),
    ] {
        let url = format!("{}?{query}", s.hub.callback());
        assert_eq!(
            client.get(url).send().await.unwrap().status(),
            400,
            "{query}"
        );
    }
    assert_eq!(s.stored().await.state, WebSubState::Pending);
}

#[tokio::test]
async fn active_subscription_reconfirmed_but_never_unsubscribed_unasked() {
    let mut s = Setup::new(verify(3600), |_| {}).await;
    s.subscribe_verified().await;
    let client = reqwest::Client::new();
    let callback = s.hub.callback();

    // A hub's unsolicited unsubscribe verification: refused, still active.
    let mut url = Url::parse(&callback).unwrap();
    url.query_pairs_mut()
        .append_pair("hub.mode", "unsubscribe")
        .append_pair("hub.topic", TOPIC)
        .append_pair("hub.challenge", "c1");
    assert_eq!(client.get(url).send().await.unwrap().status(), 404);
    assert_eq!(s.stored().await.state, WebSubState::Active);

    // A reconfirmation of the active subscription: agreed, with the new lease.
    let mut url = Url::parse(&callback).unwrap();
    url.query_pairs_mut()
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.topic", TOPIC)
        .append_pair("hub.challenge", "c2")
        .append_pair("hub.lease_seconds", "120");
    let resp = client.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "c2");
    let sub = s.stored().await;
    assert_eq!(sub.state, WebSubState::Active);
    assert_eq!(sub.lease_seconds, Some(120));

    // ...but not for another topic.
    let mut url = Url::parse(&callback).unwrap();
    url.query_pairs_mut()
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.topic", "https://elsewhere.example/feed")
        .append_pair("hub.challenge", "c3")
        .append_pair("hub.lease_seconds", "120");
    assert_eq!(client.get(url).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn unknown_token_is_404_for_verification_and_410_for_content() {
    let s = Setup::new(verify(3600), |_| {}).await;
    let client = reqwest::Client::new();
    let url = format!(
        "{}{}?hub.mode=subscribe&hub.topic={TOPIC}&hub.challenge=abc&hub.lease_seconds=60",
        s.callback_base,
        "0".repeat(64)
    );
    assert_eq!(client.get(&url).send().await.unwrap().status(), 404);
    let long = format!("{}{}", s.callback_base, "a".repeat(1000));
    assert_eq!(client.get(&long).send().await.unwrap().status(), 404);
    let push = format!("{}{}", s.callback_base, "0".repeat(64));
    assert_eq!(publish(&push, b"x", Some(&sha256("s", b"x"))).await, 410);
}

#[tokio::test]
async fn denial_is_recorded_with_its_reason() {
    let mut s = Setup::new(
        Behaviour::Deny {
            reason: "topic not allowed here".to_owned(),
        },
        |_| {},
    )
    .await;
    s.subscribe().await.unwrap();
    let v = s.hub.next_verification().await;
    assert_eq!(v.mode, "denied");
    assert_eq!(v.status, 200);
    let sub = s.stored().await;
    assert_eq!(sub.state, WebSubState::Denied);
    assert!(
        sub.last_error
            .as_deref()
            .unwrap()
            .contains("topic not allowed here"),
        "{:?}",
        sub.last_error
    );
    // A denied topic is not asked again right away.
    assert_eq!(s.subscribe().await.unwrap(), SubscribeOutcome::Denied);
    assert_eq!(s.hub.requests().len(), 1);
    // Content for a denied subscription: gone.
    let body = b"late";
    assert_eq!(
        publish(
            &s.hub.callback(),
            body,
            Some(&sha256(&s.hub.secret(), body))
        )
        .await,
        410
    );
    s.assert_nothing_delivered();
}

#[tokio::test]
async fn renewal_reposts_to_the_hub_before_expiry() {
    let mut s = Setup::new(verify(60), |c| c.renew_margin = Duration::from_secs(30)).await;
    s.subscribe_verified().await;
    let first = s.stored().await;
    let expires = first.expires_at.unwrap();

    // 60 s lease, 30 s margin: not due now.
    let report = s.subscriber.renew_due(Utc::now()).await;
    assert!(
        report.renewed.is_empty() && report.failed.is_empty(),
        "{report:?}"
    );
    assert_eq!(s.hub.requests().len(), 1);

    // 40 s later it is (20 s left < 30 s margin), still before expiry. The
    // hub stays silent for now, so the renewal is left pending.
    s.hub.set(Behaviour::Silent);
    let later = Utc::now() + chrono::Duration::seconds(40);
    assert!(later < expires);
    let report = s.subscriber.renew_due(later).await;
    assert_eq!(report.renewed, vec![s.feed], "{report:?}");
    let requests = s.hub.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1]["hub.mode"], "subscribe");
    assert_eq!(requests[1]["hub.topic"], TOPIC);
    assert_eq!(
        requests[1]["hub.callback"], requests[0]["hub.callback"],
        "same callback"
    );
    assert_eq!(requests[1]["hub.secret"], requests[0]["hub.secret"]);
    // Still active while the renewal awaits verification.
    let pending = s.stored().await;
    assert_eq!(pending.state, WebSubState::Active);
    assert_eq!(pending.pending_mode, Some(WebSubMode::Subscribe));

    // A second tick right away waits instead of re-posting.
    let report = s.subscriber.renew_due(later).await;
    assert_eq!(report.waiting, vec![s.feed], "{report:?}");
    assert_eq!(s.hub.requests().len(), 2);

    // Unverified for longer than retry_after (1 h): asked again, and this time verified.
    s.hub.set(verify(60));
    let much_later = later + chrono::Duration::hours(2);
    let report = s.subscriber.renew_due(much_later).await;
    assert_eq!(report.renewed, vec![s.feed], "{report:?}");
    assert_eq!(s.hub.requests().len(), 3);
    let v = s.hub.next_verification().await;
    assert_eq!((v.status, v.echoed), (200, true));
    let renewed = s.stored().await;
    assert_eq!(renewed.state, WebSubState::Active);
    assert_eq!(renewed.pending_mode, None);
    assert!(renewed.verified_at > first.verified_at);
    assert!(renewed.expires_at.unwrap() >= expires);
}

#[tokio::test]
async fn subscribe_is_idempotent() {
    // Active: nothing more is sent.
    let mut s = Setup::new(verify(3600), |_| {}).await;
    s.subscribe_verified().await;
    for _ in 0..3 {
        assert_eq!(
            s.subscribe().await.unwrap(),
            SubscribeOutcome::AlreadyActive
        );
    }
    assert_eq!(s.hub.requests().len(), 1);

    // Pending (the hub has not verified yet): nothing more is sent either.
    let s = Setup::new(Behaviour::Silent, |_| {}).await;
    assert!(matches!(
        s.subscribe().await.unwrap(),
        SubscribeOutcome::Requested { .. }
    ));
    for _ in 0..3 {
        assert_eq!(
            s.subscribe().await.unwrap(),
            SubscribeOutcome::AlreadyRequested
        );
    }
    assert_eq!(s.hub.requests().len(), 1);

    // A pending request older than retry_after is sent again, to the same callback.
    let s = Setup::new(Behaviour::Silent, |c| c.retry_after = Duration::ZERO).await;
    s.subscribe().await.unwrap();
    assert!(matches!(
        s.subscribe().await.unwrap(),
        SubscribeOutcome::Requested { .. }
    ));
    let requests = s.hub.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["hub.callback"], requests[1]["hub.callback"]);
}

#[tokio::test]
async fn oversize_push_is_413_and_not_delivered() {
    let mut s = Setup::new(verify(3600), |c| c.max_push_bytes = 1024).await;
    s.subscribe_verified().await;
    let body = vec![b'x'; 2048];
    let sig = sha256(&s.hub.secret(), &body);
    assert_eq!(publish(&s.hub.callback(), &body, Some(&sig)).await, 413);
    s.assert_nothing_delivered();
    // At the limit it is fine.
    let body = vec![b'y'; 1024];
    let sig = sha256(&s.hub.secret(), &body);
    assert_eq!(publish(&s.hub.callback(), &body, Some(&sig)).await, 202);
    assert_eq!(s.deliveries.try_recv().unwrap().1.len(), 1024);
}

#[tokio::test]
async fn hub_refusal_names_status_and_body() {
    let s = Setup::new(
        Behaviour::Refuse {
            status: 400,
            body: "hub.topic is not a feed we serve".to_owned(),
        },
        |_| {},
    )
    .await;
    match s.subscribe().await {
        Err(WebSubError::Refused { status, body, .. }) => {
            assert_eq!(status, 400);
            assert_eq!(body, "hub.topic is not a feed we serve");
        }
        other => panic!("expected Refused, got {other:?}"),
    }
    let sub = s.stored().await;
    let error = sub.last_error.unwrap();
    assert!(
        error.contains("400") && error.contains("not a feed we serve"),
        "{error}"
    );
    assert_eq!(sub.pending_mode, None, "no verification is expected");
    // A failing hub is not asked again after every fetch.
    assert_eq!(
        s.subscribe().await.unwrap(),
        SubscribeOutcome::AlreadyRequested
    );
    assert_eq!(s.hub.requests().len(), 1);
}

#[tokio::test]
async fn unsubscribe_round_trip_then_content_is_gone() {
    let mut s = Setup::new(verify(3600), |_| {}).await;
    s.subscribe_verified().await;
    s.subscriber.unsubscribe(s.feed).await.unwrap();
    let requests = s.hub.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1]["hub.mode"], "unsubscribe");
    assert_eq!(requests[1]["hub.callback"], requests[0]["hub.callback"]);
    assert!(!requests[1].contains_key("hub.secret"));
    let v = s.hub.next_verification().await;
    assert_eq!(
        (v.mode.as_str(), v.status, v.echoed),
        ("unsubscribe", 200, true)
    );
    assert_eq!(s.stored().await.state, WebSubState::Unsubscribed);
    assert!(!s.store.websub_active(s.feed, Utc::now()).await.unwrap());

    let body = b"after the end";
    let secret = requests[0]["hub.secret"].clone();
    assert_eq!(
        publish(
            &requests[0]["hub.callback"],
            body,
            Some(&sha256(&secret, body))
        )
        .await,
        410
    );
    s.assert_nothing_delivered();
}

#[tokio::test]
async fn off_without_a_public_url() {
    let s = Setup::new(verify(3600), |c| c.public_base_url = None).await;
    assert!(!s.subscriber.is_enabled());
    assert_eq!(s.subscribe().await.unwrap(), SubscribeOutcome::Off);
    assert!(s.hub.requests().is_empty());
    assert!(s.store.websub_for_feed(s.feed).await.unwrap().is_none());
    assert!(matches!(
        s.subscriber.unsubscribe(s.feed).await,
        Err(WebSubError::Off)
    ));
}
