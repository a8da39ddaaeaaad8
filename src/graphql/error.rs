//! The one place an [`AppError`] becomes a GraphQL error: `extensions.code`, `extensions.field`,
//! and the message in the caller's language. Internal causes are logged here, once.

use async_graphql::{ErrorExtensionValues, Response, ServerError, Value};

use crate::error::{AppError, Code, Lang};

/// Extension key carrying the Vietnamese text until [`localize`] picks the language.
const VI_KEY: &str = "__vi";

impl From<AppError> for async_graphql::Error {
    fn from(e: AppError) -> Self {
        e.log_cause();
        let mut ext = ErrorExtensionValues::default();
        ext.set("code", e.code.as_str());
        if let Some(secs) = e.retry_after() {
            ext.set("retryAfterSeconds", secs);
        }
        if let Some(f) = &e.field {
            ext.set("field", f.as_str());
        }
        ext.set(VI_KEY, e.msg.vi.as_str());
        async_graphql::Error {
            message: e.msg.en,
            source: None,
            extensions: Some(ext),
        }
    }
}

fn set_code(e: &mut ServerError, code: Code, vi: &str) {
    let ext = e.extensions.get_or_insert_with(Default::default);
    ext.set("code", code.as_str());
    ext.set(VI_KEY, vi);
}

/// Gives every error of a response a stable code and the message in `lang`: errors made
/// here carry theirs (limits `QUERY_TOO_COMPLEX`, see `graphql::limits`); the parser's and
/// validator's become `BAD_USER_INPUT`.
pub fn localize(mut resp: Response, lang: Lang) -> Response {
    for e in &mut resp.errors {
        let has_code = e
            .extensions
            .as_ref()
            .is_some_and(|x| x.get("code").is_some());
        if !has_code {
            // The parser's and validator's texts exist only in English: the Vietnamese
            // message carries the English detail rather than pointing to it.
            let vi = format!("Truy vấn GraphQL không hợp lệ: {}", e.message);
            set_code(e, Code::BadUserInput, &vi);
        }
        if let Some(ext) = &mut e.extensions {
            let vi = ext.get(VI_KEY).cloned();
            ext.unset(VI_KEY);
            if let (Lang::Vi, Some(Value::String(vi))) = (lang, vi) {
                e.message = vi;
            }
        }
    }
    resp
}

/// The codes of a response's errors, for metrics.
pub fn codes(resp: &Response) -> Vec<String> {
    resp.errors
        .iter()
        .filter_map(|e| match e.extensions.as_ref()?.get("code")? {
            Value::String(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// A response that carries one error and no data (errors before execution). The error is
/// not tied to a place in the query, so it has no `locations`.
pub fn error_response(err: AppError, lang: Lang) -> Response {
    let gql: async_graphql::Error = err.into();
    let mut server = ServerError::new(gql.message, None);
    server.extensions = gql.extensions;
    localize(Response::from_errors(vec![server]), lang)
}

/// The largest `extensions.retryAfterSeconds` of a response's errors, with whether one of
/// them is `UNAVAILABLE` (503) rather than `RATE_LIMITED` (429).
pub fn retry_after(resp: &Response) -> Option<(u64, bool)> {
    resp.errors
        .iter()
        .filter_map(|e| {
            let ext = e.extensions.as_ref()?;
            let secs = match ext.get("retryAfterSeconds")? {
                Value::Number(n) => n.as_u64()?,
                _ => return None,
            };
            let unavailable =
                matches!(ext.get("code"), Some(Value::String(c)) if c == "UNAVAILABLE");
            Some((secs, unavailable))
        })
        .max_by_key(|(secs, unavailable)| (*unavailable, *secs))
}
