//! `GET /graphql/ws`: GraphQL subscriptions over the `graphql-transport-ws` protocol
//! (the `graphql-ws` npm client's). async-graphql runs the protocol; this edge adds what the
//! protocol leaves to the server:
//!
//! - authentication in `connection_init` (`{"Authorization": "Bearer …"}`), checked here
//!   before the connection is acknowledged, with the protocol's close codes: `4400` for a
//!   malformed message or payload, `4401` for `subscribe` before `connection_init`, `4403`
//!   for a missing, bad or expired token or a deactivated user, `4408` when no
//!   `connection_init` arrives in time, `4429` when the user holds too many connections;
//! - the connection is closed with `4403` when the token expires or the user is
//!   deactivated (checked every few seconds), so a client re-authenticates and resumes from
//!   its last cursor;
//! - keep-alive: a `ping` message every 20 s; a client silent for 60 s is dropped (`3008`).

use std::{net::SocketAddr, time::Duration};

use async_graphql::{
    Data,
    http::{WebSocket as GqlWebSocket, WebSocketProtocols, WsMessage},
};
use async_graphql_axum::GraphQLProtocol;
use axum::{
    extract::{
        ConnectInfo, State, WebSocketUpgrade,
        ws::{CloseFrame, Message, WebSocket},
    },
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use futures::{SinkExt, StreamExt, stream::SplitSink};

use crate::{
    auth::actor::Actor,
    domain::Ctx,
    error::Lang,
    graphql::{context::RequestData, loaders::Loaders, subscription::SubscriptionSlots},
    http::HttpState,
    live::ConnectionGuard,
    state::AppState,
};

/// The only subprotocol served.
const PROTOCOL: &str = "graphql-transport-ws";
/// How long a client has to send `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the server pings.
const PING_EVERY: Duration = Duration::from_secs(20);
/// How long a client may stay silent (pongs count).
const SILENCE_LIMIT: Duration = Duration::from_secs(60);
/// How often a connection checks that its user is still active.
const ACTIVE_CHECK: Duration = Duration::from_secs(2);

/// Upgrades to a WebSocket speaking `graphql-transport-ws`.
pub async fn ws(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    _protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    // async-graphql also speaks the retired `graphql-ws` (subscriptions-transport-ws)
    // protocol; only the maintained one is served, so the close codes mean one thing.
    let offered = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|p| p.trim() == PROTOCOL));
    if !offered {
        return (
            StatusCode::BAD_REQUEST,
            "Use the graphql-transport-ws subprotocol.",
        )
            .into_response();
    }
    let lang = Lang::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let app = state.app.clone();
    let schema = state.schema.clone();
    upgrade
        .protocols([PROTOCOL])
        .on_upgrade(move |socket| serve(app, schema, socket, lang, peer.ip().to_string()))
}

/// Why the connection is refused at `connection_init`.
struct Refusal(u16, &'static str);

/// The token of a `connection_init` payload becomes an actor and its expiry (unix seconds).
/// The one place the WebSocket edge authenticates.
async fn authenticate(
    app: &AppState,
    payload: Option<&serde_json::Value>,
) -> Result<(Actor, i64), Refusal> {
    let payload = match payload {
        None | Some(serde_json::Value::Null) => {
            return Err(Refusal(
                4403,
                "Forbidden: send Authorization in connection_init",
            ));
        }
        Some(serde_json::Value::Object(m)) => m,
        Some(_) => return Err(Refusal(4400, "connection_init payload must be an object")),
    };
    let value = payload
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v);
    let token = match value {
        None => {
            return Err(Refusal(
                4403,
                "Forbidden: send Authorization in connection_init",
            ));
        }
        Some(serde_json::Value::String(s)) => s
            .trim()
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or(Refusal(4400, "Authorization must be \"Bearer <token>\""))?,
        Some(_) => return Err(Refusal(4400, "Authorization must be a string")),
    };
    let actor = app
        .keys
        .verify(&token)
        .map_err(|_| Refusal(4403, "Forbidden: the token is invalid or expired"))?;
    let exp = expiry(&token).ok_or(Refusal(4403, "Forbidden: the token has no expiry"))?;
    match crate::live::user_active(&app.db, actor.user_id).await {
        Ok(true) => Ok((actor, exp)),
        Ok(false) => Err(Refusal(4403, "Forbidden: the account is deactivated")),
        Err(_) => Err(Refusal(4500, "Internal error")),
    }
}

/// The `exp` claim of a token whose signature was already verified.
fn expiry(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let raw = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice::<serde_json::Value>(&raw)
        .ok()?
        .get("exp")?
        .as_i64()
}

async fn close(sink: &mut SplitSink<WebSocket, Message>, code: u16, reason: &str) {
    let _ = sink
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
    let _ = sink.close().await;
}

fn text_of(m: &Message) -> Option<Vec<u8>> {
    match m {
        Message::Text(t) => Some(t.as_str().as_bytes().to_vec()),
        Message::Binary(b) => Some(b.to_vec()),
        _ => None,
    }
}

async fn serve(
    app: AppState,
    schema: crate::graphql::AppSchema,
    socket: WebSocket,
    lang: Lang,
    client_ip: String,
) {
    let (mut sink, mut stream) = socket.split();

    // The handshake: the first protocol message must be `connection_init` with a token.
    let first = tokio::time::timeout(INIT_TIMEOUT, async {
        loop {
            match stream.next().await {
                Some(Ok(m)) => {
                    if let Some(bytes) = text_of(&m) {
                        return Some(bytes);
                    }
                    if matches!(m, Message::Close(_)) {
                        return None;
                    }
                }
                _ => return None,
            }
        }
    })
    .await;
    let first = match first {
        Ok(Some(b)) => b,
        Ok(None) => return,
        Err(_) => return close(&mut sink, 4408, "Connection initialisation timeout").await,
    };
    let message: serde_json::Value = match serde_json::from_slice(&first) {
        Ok(v) => v,
        Err(_) => return close(&mut sink, 4400, "Invalid message").await,
    };
    match message.get("type").and_then(|t| t.as_str()) {
        Some("connection_init") => {}
        Some("subscribe") => return close(&mut sink, 4401, "Unauthorized").await,
        _ => return close(&mut sink, 4400, "Expected connection_init").await,
    }
    let (actor, exp) = match authenticate(&app, message.get("payload")).await {
        Ok(a) => a,
        Err(Refusal(code, reason)) => return close(&mut sink, code, reason).await,
    };
    let user_id = actor.user_id;
    let Some(_guard): Option<ConnectionGuard> = app.live.connect(user_id) else {
        return close(&mut sink, 4429, "Too many connections for this user").await;
    };

    let ctx = Ctx {
        actor: Some(actor),
        request_id: Some(uuid::Uuid::new_v4().to_string()),
        reference: app.reference(),
    };
    let mut data = Data::default();
    data.insert(RequestData {
        loaders: Loaders::new(&app.db, &ctx),
        ctx,
        lang,
        client_ip,
    });
    data.insert(SubscriptionSlots::default());

    // async-graphql runs the protocol from the `connection_init` on (it acknowledges it with
    // the data prepared above).
    let incoming = futures::stream::once(async move { first }).chain(
        stream
            .take_while(|m| {
                futures::future::ready(matches!(m, Ok(m) if !matches!(m, Message::Close(_))))
            })
            .filter_map(|m| futures::future::ready(m.ok().as_ref().and_then(text_of))),
    );
    let gql = GqlWebSocket::new(schema, incoming, WebSocketProtocols::GraphQLWS)
        .on_connection_init(move |_| async move { Ok(data) })
        .keepalive_timeout(SILENCE_LIMIT);
    let mut gql = Box::pin(gql);

    let until_expiry =
        Duration::from_secs(u64::try_from(exp - chrono::Utc::now().timestamp()).unwrap_or(0));
    let expired = tokio::time::sleep(until_expiry);
    tokio::pin!(expired);
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    let mut check = tokio::time::interval(ACTIVE_CHECK);
    loop {
        tokio::select! {
            out = gql.next() => match out {
                Some(WsMessage::Text(t)) => {
                    if sink.send(Message::Text(t.into())).await.is_err() {
                        break;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    close(&mut sink, code, &reason).await;
                    break;
                }
                None => break,
            },
            _ = ping.tick() => {
                if sink.send(Message::Text(r#"{"type":"ping"}"#.into())).await.is_err() {
                    break;
                }
            }
            () = &mut expired => {
                close(&mut sink, 4403, "Forbidden: the token expired").await;
                break;
            }
            _ = check.tick() => {
                if matches!(crate::live::user_active(&app.db, user_id).await, Ok(false)) {
                    close(&mut sink, 4403, "Forbidden: the account is deactivated").await;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expiry_is_read_from_the_token() {
        let claims = URL_SAFE_NO_PAD.encode(r#"{"sub":"1","exp":1764000000}"#);
        assert_eq!(expiry(&format!("h.{claims}.s")), Some(1_764_000_000));
        assert_eq!(expiry("garbage"), None);
    }
}
