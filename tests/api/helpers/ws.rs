//! A `graphql-transport-ws` client for the subscription tests (tokio-tungstenite).

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest},
};

/// What the server sent.
#[derive(Debug)]
pub enum Event {
    /// A protocol message.
    Message(Value),
    /// The server closed with this code and reason.
    Closed(u16, String),
}

/// One WebSocket connection to `/graphql/ws`.
pub struct WsClient {
    inner: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WsClient {
    /// Connects with the `graphql-transport-ws` subprotocol.
    pub async fn connect(address: &str) -> Self {
        let url = format!("{}/graphql/ws", address.replace("http://", "ws://"));
        let mut req = url.into_client_request().expect("request");
        req.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().expect("header"),
        );
        let (inner, _) = connect_async(req).await.expect("WebSocket connects");
        Self { inner }
    }

    /// Sends a protocol message.
    pub async fn send(&mut self, v: Value) {
        self.inner
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("send");
    }

    /// The next message or close within `within` (pings are answered and skipped).
    pub async fn next(&mut self, within: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let m = tokio::time::timeout_at(deadline, self.inner.next())
                .await
                .ok()?;
            match m {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).expect("JSON message");
                    if v["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(Event::Message(v));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Some(match frame {
                        Some(f) => Event::Closed(u16::from(f.code), f.reason.to_string()),
                        None => Event::Closed(1005, String::new()),
                    });
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Some(Event::Closed(1006, String::new())),
            }
        }
    }

    /// Sends `connection_init` with a bearer token and expects `connection_ack`.
    pub async fn init(&mut self, token: &str) {
        self.send(json!({
            "type": "connection_init",
            "payload": { "Authorization": format!("Bearer {token}") },
        }))
        .await;
        match self.next(Duration::from_secs(10)).await {
            Some(Event::Message(v)) if v["type"] == "connection_ack" => {}
            other => panic!("expected connection_ack, got {other:?}"),
        }
    }

    /// Starts a subscription.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": query, "variables": variables },
        }))
        .await;
    }

    /// The `data` of the next `next` message (panics on anything else within 10 s).
    pub async fn next_data(&mut self) -> Value {
        self.next_data_within(Duration::from_secs(10)).await
    }

    /// The `data` of the next `next` message within `within`.
    pub async fn next_data_within(&mut self, within: Duration) -> Value {
        match self.next(within).await {
            Some(Event::Message(v)) if v["type"] == "next" => {
                assert!(
                    v["payload"].get("errors").is_none(),
                    "subscription error: {v:#}"
                );
                v["payload"]["data"].clone()
            }
            other => panic!("expected a next message, got {other:?}"),
        }
    }

    /// Waits for the server to close; returns the close code and reason.
    pub async fn closed(&mut self, within: Duration) -> (u16, String) {
        loop {
            match self.next(within).await {
                Some(Event::Closed(code, reason)) => return (code, reason),
                Some(Event::Message(_)) => continue,
                None => panic!("the server did not close within {within:?}"),
            }
        }
    }
}
