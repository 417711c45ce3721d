//! A webhook receiver on loopback for tests (of this crate, the web UI and
//! the command line): a real HTTP server that checks the signature of every
//! request with [`crate::verify`] — as a receiver should — and records what
//! it accepted.
//!
//! It can be told to answer 503 (with a `Retry-After`) for a while, or be
//! stopped and started again on the same port, to play an outage.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use tokio::task::JoinHandle;

use crate::payload::Payload;
use crate::signature::{DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// `X-Tributary-Delivery`.
    pub delivery_id: String,
    /// `X-Tributary-Event`.
    pub event: String,
    /// `User-Agent`.
    pub user_agent: String,
    /// The exact body.
    pub body: Vec<u8>,
    /// The signature and timestamp headers as sent.
    pub signature: String,
    /// See `signature`.
    pub timestamp: String,
    /// The body, parsed (`None` when it did not verify or parse).
    pub payload: Option<Payload>,
    /// What the receiver answered.
    pub status: u16,
    /// Whether the signature verified.
    pub verified: bool,
}

#[derive(Default)]
struct Shared {
    /// Answers to give before the normal 204 (status, Retry-After seconds).
    scripted: VecDeque<(u16, Option<u64>)>,
    received: Vec<Received>,
}

/// The receiver; stops when dropped.
pub struct Receiver {
    secret: Arc<Mutex<String>>,
    addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    server: Option<JoinHandle<()>>,
}

#[derive(Clone)]
struct AppState {
    secret: Arc<Mutex<String>>,
    shared: Arc<Mutex<Shared>>,
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = header(&headers, SIGNATURE_HEADER);
    let timestamp = header(&headers, TIMESTAMP_HEADER);
    let now = chrono::Utc::now().timestamp();
    let secret = state
        .secret
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let verified = crate::verify(&secret, &signature, &timestamp, &body, now, 300).is_ok();
    let mut shared = state.shared.lock().unwrap_or_else(PoisonError::into_inner);
    let (status, retry_after) = if !verified {
        (401, None)
    } else {
        shared.scripted.pop_front().unwrap_or((204, None))
    };
    let payload = if verified {
        serde_json::from_slice::<Payload>(&body).ok()
    } else {
        None
    };
    shared.received.push(Received {
        delivery_id: header(&headers, DELIVERY_HEADER),
        event: header(&headers, EVENT_HEADER),
        user_agent: header(&headers, "user-agent"),
        body: body.to_vec(),
        signature,
        timestamp,
        payload,
        status,
        verified,
    });
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match retry_after {
        Some(s) => (code, [("retry-after", s.to_string())], "try later").into_response(),
        None if verified => code.into_response(),
        None => (code, "bad signature").into_response(),
    }
}

impl Receiver {
    /// Start a receiver checking signatures with `secret`, on a free port
    /// of 127.0.0.1.
    pub async fn start(secret: &str) -> std::io::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut receiver = Receiver {
            secret: Arc::new(Mutex::new(secret.to_owned())),
            addr,
            shared: Arc::default(),
            server: None,
        };
        receiver.serve(listener);
        Ok(receiver)
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(AppState {
                secret: self.secret.clone(),
                shared: self.shared.clone(),
            });
        self.server = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
    }

    /// Check signatures with `secret` from now on (when the webhook, and so
    /// its secret, is made after the receiver).
    pub fn set_secret(&self, secret: &str) {
        *self.secret.lock().unwrap_or_else(PoisonError::into_inner) = secret.to_owned();
    }

    /// The URL to give the webhook.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Stop answering: the port is closed (connections are refused).
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
    }

    /// Listen again on the same port.
    pub async fn restart(&mut self) -> std::io::Result<()> {
        self.stop().await;
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        self.serve(listener);
        Ok(())
    }

    /// Answer the next `n` verified requests with `status` (and a
    /// `Retry-After` of `retry_after` seconds, if given).
    pub fn fail_next(&self, n: usize, status: u16, retry_after: Option<u64>) {
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        shared
            .scripted
            .extend(std::iter::repeat_n((status, retry_after), n));
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .received
            .clone()
    }

    /// The entry ids of every accepted (2xx, verified) entries delivery, in
    /// the order they arrived.
    pub fn accepted_entry_ids(&self) -> Vec<i64> {
        self.received()
            .iter()
            .filter(|r| r.verified && (200..300).contains(&r.status) && r.event == "entries")
            .filter_map(|r| r.payload.as_ref())
            .flat_map(|p| p.entries.iter().map(|e| e.id))
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
