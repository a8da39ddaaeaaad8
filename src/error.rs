//! The one error type of the application and its stable codes.
//!
//! Every failure a client can see is an [`AppError`] with a [`Code`] that never changes
//! (`extensions.code` in GraphQL) and a message in English and Vietnamese. Internal causes
//! are kept for the log and never reach the client.

use std::fmt;

use sea_orm::{DbErr, SqlErr};

/// A text in the two languages of the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    /// English (the default).
    pub en: String,
    /// Vietnamese.
    pub vi: String,
}

impl Msg {
    /// A message from its English and Vietnamese texts.
    pub fn new(en: impl Into<String>, vi: impl Into<String>) -> Self {
        Self {
            en: en.into(),
            vi: vi.into(),
        }
    }

    /// The text in the requested language.
    pub fn in_lang(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Vi => &self.vi,
        }
    }
}

/// The language of a response, from `Accept-Language`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// English, the default.
    #[default]
    En,
    /// Vietnamese (tiếng Việt).
    Vi,
}

impl Lang {
    /// Picks Vietnamese when the header's first language is `vi`, English otherwise.
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let first = header
            .and_then(|h| h.split(',').next())
            .map(|t| t.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if first.starts_with("vi") {
            Lang::Vi
        } else {
            Lang::En
        }
    }
}

/// The stable error codes (listed in the README's "API"), sent as `extensions.code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// No, expired or bad token where one is needed.
    Unauthenticated,
    /// The role or area may not do this.
    Forbidden,
    /// The record does not exist for the caller.
    NotFound,
    /// An input failed validation; `extensions.field` names it.
    BadUserInput,
    /// Stale version, duplicate key.
    Conflict,
    /// A state change the workflow does not allow.
    InvalidTransition,
    /// An allocation beyond a funding source's remaining amount.
    BudgetExceeded,
    /// A beneficiary the decree does not allow.
    NotEligible,
    /// Too many requests.
    RateLimited,
    /// Query depth or complexity over the limit.
    QueryTooComplex,
    /// Anything unexpected; details are only in the log.
    Internal,
    /// The database (or another service the request needs) cannot be reached just now;
    /// the same request can be sent again after `retry_after_secs` (HTTP 503 + `Retry-After`).
    Unavailable {
        /// Seconds to wait before trying again.
        retry_after_secs: u64,
    },
}

impl Code {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::NotFound => "NOT_FOUND",
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::Conflict => "CONFLICT",
            Code::InvalidTransition => "INVALID_TRANSITION",
            Code::BudgetExceeded => "BUDGET_EXCEEDED",
            Code::NotEligible => "NOT_ELIGIBLE",
            Code::RateLimited => "RATE_LIMITED",
            Code::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Code::Internal => "INTERNAL",
            Code::Unavailable { .. } => "UNAVAILABLE",
        }
    }
}

/// An error a request can end with.
#[derive(Debug)]
pub struct AppError {
    /// The stable code.
    pub code: Code,
    /// What the person can act on.
    pub msg: Msg,
    /// The input field at fault, for `BAD_USER_INPUT`.
    pub field: Option<String>,
    /// The internal cause, logged and never shown.
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// For `RATE_LIMITED`: seconds until the limiter lets the caller in again.
    pub retry_after_secs: Option<u64>,
}

/// How long a client should wait after `UNAVAILABLE` from a database it cannot reach: about
/// the time a PostgreSQL restart or a fail-over takes.
pub const DB_RETRY_AFTER_SECS: u64 = 2;

/// Seconds a client is told to wait when every request slot (or password-hashing slot) is
/// taken.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// The result type of the application.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

impl AppError {
    /// An error with a code and message.
    pub fn new(code: Code, msg: Msg) -> Self {
        Self {
            code,
            msg,
            field: None,
            source: None,
            retry_after_secs: None,
        }
    }

    /// `UNAUTHENTICATED`.
    pub fn unauthenticated() -> Self {
        Self::new(
            Code::Unauthenticated,
            Msg::new(
                "Sign in first: the access token is missing, expired or invalid.",
                "Vui lòng đăng nhập: mã truy cập bị thiếu, đã hết hạn hoặc không hợp lệ.",
            ),
        )
    }

    /// `FORBIDDEN` with a reason.
    pub fn forbidden(msg: Msg) -> Self {
        Self::new(Code::Forbidden, msg)
    }

    /// `FORBIDDEN` for a read-only account.
    pub fn read_only() -> Self {
        Self::forbidden(Msg::new(
            "This account is read-only and cannot change data.",
            "Tài khoản này chỉ được xem, không được thay đổi dữ liệu.",
        ))
    }

    /// `NOT_FOUND` for a kind of record (`what` in English and Vietnamese).
    pub fn not_found(what_en: &str, what_vi: &str) -> Self {
        Self::new(
            Code::NotFound,
            Msg::new(
                format!("The {what_en} does not exist or is outside your area."),
                format!("Không tìm thấy {what_vi} hoặc {what_vi} nằm ngoài địa bàn của bạn."),
            ),
        )
    }

    /// `BAD_USER_INPUT` naming the input field.
    pub fn bad_input(field: &str, msg: Msg) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::new(Code::BadUserInput, msg)
        }
    }

    /// `CONFLICT`.
    pub fn conflict(msg: Msg) -> Self {
        Self::new(Code::Conflict, msg)
    }

    /// `CONFLICT` for a stale `expectedVersion`.
    pub fn stale_version(current: i32) -> Self {
        Self::conflict(Msg::new(
            format!(
                "The record was changed by someone else (now version {current}); reload it and try again."
            ),
            format!(
                "Bản ghi đã được người khác thay đổi (nay là phiên bản {current}); hãy tải lại rồi thử lại."
            ),
        ))
    }

    /// `INVALID_TRANSITION`.
    pub fn invalid_transition(msg: Msg) -> Self {
        Self::new(Code::InvalidTransition, msg)
    }

    /// `RATE_LIMITED`.
    pub fn rate_limited() -> Self {
        Self::new(
            Code::RateLimited,
            Msg::new(
                "Too many requests; wait a moment and try again.",
                "Quá nhiều yêu cầu; vui lòng đợi một lát rồi thử lại.",
            ),
        )
    }

    /// `RATE_LIMITED`, to be tried again after `retry_after_secs` (sent as `Retry-After` and
    /// `extensions.retryAfterSeconds`).
    pub fn rate_limited_for(retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..Self::rate_limited()
        }
    }

    /// `UNAVAILABLE`: a service the request needs cannot be reached; try again later.
    pub fn unavailable(
        retry_after_secs: u64,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        let retry_after_secs = retry_after_secs.max(1);
        Self {
            source: Some(source.into()),
            ..Self::new(
                Code::Unavailable { retry_after_secs },
                Msg::new(
                    format!(
                        "The service is briefly unavailable (the database cannot be reached); try again in {retry_after_secs} s."
                    ),
                    format!(
                        "Dịch vụ tạm thời gián đoạn (không kết nối được cơ sở dữ liệu); vui lòng thử lại sau {retry_after_secs} giây."
                    ),
                ),
            )
        }
    }

    /// `UNAVAILABLE`: the database answers but cannot store changes (a full disk, a
    /// read-only file); the message says what an administrator must do. Reads still work.
    pub fn storage(
        fault: StorageFault,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        let secs = STORAGE_RETRY_AFTER_SECS;
        let msg = match fault {
            StorageFault::Full => Msg::new(
                format!(
                    "The database cannot store changes: its disk is full. This change was not saved; an administrator must free disk space, then try again (in {secs} s or later)."
                ),
                format!(
                    "Cơ sở dữ liệu không lưu được thay đổi: ổ đĩa đã đầy. Thay đổi này chưa được lưu; quản trị viên cần giải phóng dung lượng đĩa, sau đó hãy thử lại (sau {secs} giây hoặc muộn hơn)."
                ),
            ),
            StorageFault::ReadOnly => Msg::new(
                format!(
                    "The database is read-only: changes cannot be stored. This change was not saved; an administrator must make the database writable (file permissions, mount or connection mode), then try again (in {secs} s or later)."
                ),
                format!(
                    "Cơ sở dữ liệu đang ở chế độ chỉ đọc: không lưu được thay đổi. Thay đổi này chưa được lưu; quản trị viên cần cho phép ghi cơ sở dữ liệu (quyền tệp, điểm gắn kết hoặc chế độ kết nối), sau đó hãy thử lại (sau {secs} giây hoặc muộn hơn)."
                ),
            ),
        };
        let source: Box<dyn std::error::Error + Send + Sync> = source.into();
        tracing::error!(error = %source, ?fault, "the database cannot store changes");
        Self {
            source: Some(source),
            ..Self::new(
                Code::Unavailable {
                    retry_after_secs: secs,
                },
                msg,
            )
        }
    }

    /// Seconds the client should wait before sending the request again, when it may.
    pub fn retry_after(&self) -> Option<u64> {
        match self.code {
            Code::Unavailable { retry_after_secs } => Some(retry_after_secs),
            _ => self.retry_after_secs,
        }
    }

    /// `INTERNAL` with its cause kept for the log.
    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(
                Code::Internal,
                Msg::new(
                    "Internal error; the administrators have been notified by the log.",
                    "Lỗi hệ thống; quản trị viên sẽ xem nhật ký.",
                ),
            )
        }
    }
}

impl AppError {
    /// `UNAVAILABLE`: overloaded or the database unreachable; the client retries after
    /// `retry_after_secs`.
    pub fn busy(retry_after_secs: u64) -> Self {
        Self::new(
            Code::Unavailable { retry_after_secs },
            Msg::new(
                format!(
                    "The service is busy or briefly unavailable; try again in {retry_after_secs} s."
                ),
                format!(
                    "Hệ thống đang bận hoặc tạm thời gián đoạn; vui lòng thử lại sau {retry_after_secs} giây."
                ),
            ),
        )
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.msg.en)?;
        if let Some(src) = &self.source {
            write!(f, " ({src})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl AppError {
    /// Logs the internal cause of an `INTERNAL` (error) or `UNAVAILABLE` (warning) error with
    /// its whole chain; other codes are the client's business and are not logged. Called once,
    /// where the error becomes a response; the line carries the request's id from its span.
    pub fn log_cause(&self) {
        match (self.code, &self.source) {
            (Code::Internal, Some(src)) => {
                tracing::error!(error = %Chain(&**src), "internal error");
            }
            (Code::Internal, None) => tracing::error!("internal error without a cause"),
            (Code::Unavailable { .. }, Some(src)) => {
                tracing::warn!(error = %Chain(&**src), "service unavailable");
            }
            _ => {}
        }
    }
}

/// An error and its causes, `outer: inner: innermost`, for the log (the `Display` of most
/// errors shows the outermost alone). A cause whose text the one before already contains
/// (many errors print their source inside their own message) is not repeated.
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.to_string();
        f.write_str(&shown)?;
        let mut next = self.0.source();
        while let Some(cause) = next {
            let text = cause.to_string();
            if !shown.contains(&text) {
                write!(f, ": {text}")?;
            }
            shown = text;
            next = cause.source();
        }
        Ok(())
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        // A unique index is the last word on duplicates, also under races.
        if let Some(SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
            return Self {
                source: Some(Box::new(err)),
                ..Self::conflict(Msg::new(
                    "A record with the same unique value already exists.",
                    "Đã có bản ghi trùng giá trị duy nhất này.",
                ))
            };
        }
        if let Some(fault) = storage_fault(&err) {
            return Self::storage(fault, err);
        }
        if is_connection_failure(&err) {
            return Self::unavailable(DB_RETRY_AFTER_SECS, err);
        }
        Self::internal(err)
    }
}

/// Why a database that answers refuses to store a change: an operator must act.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageFault {
    /// The disk (or the SQLite file's page limit) is full: SQLite `SQLITE_FULL`,
    /// PostgreSQL `53100 disk_full`.
    Full,
    /// The database is read-only: SQLite `SQLITE_READONLY` (file permissions, a read-only
    /// mount, `mode=ro`), PostgreSQL `25006` (a standby, `default_transaction_read_only`).
    ReadOnly,
}

/// Seconds a client is told to wait when the database cannot store changes: an
/// administrator has to free disk space or make the database writable first.
pub const STORAGE_RETRY_AFTER_SECS: u64 = 60;

/// The storage fault behind a database error, if it is one.
pub fn storage_fault(err: &DbErr) -> Option<StorageFault> {
    use sea_orm::{RuntimeErr, sqlx::Error as Sqlx, sqlx::sqlite::SqliteError};
    let (DbErr::Exec(RuntimeErr::SqlxError(e))
    | DbErr::Query(RuntimeErr::SqlxError(e))
    | DbErr::Conn(RuntimeErr::SqlxError(e))) = err
    else {
        return None;
    };
    let Sqlx::Database(db) = &**e else {
        return None;
    };
    let code = db.code()?;
    if db.try_downcast_ref::<SqliteError>().is_some() {
        // Extended result codes: the primary code is the low byte.
        return match code.parse::<i32>().ok()? & 0xff {
            13 => Some(StorageFault::Full),
            8 => Some(StorageFault::ReadOnly),
            _ => None,
        };
    }
    match &*code {
        "53100" => Some(StorageFault::Full),
        "25006" => Some(StorageFault::ReadOnly),
        _ => None,
    }
}

/// Whether a database error means the database could not be reached (a restart, a cut
/// connection, a full pool) rather than a fault of the statement: the client may retry.
pub fn is_connection_failure(err: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx::Error as Sqlx};
    let runtime = match err {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(_) => return true,
        DbErr::Exec(r) | DbErr::Query(r) => r,
        _ => return false,
    };
    let RuntimeErr::SqlxError(e) = runtime else {
        return false;
    };
    match &**e {
        Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed
        | Sqlx::Protocol(_) => true,
        // SQLSTATE class 08 (connection exception) and 57P01–57P03 (the server is shutting
        // down, crashed or starting up).
        Sqlx::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error with an optional cause, printing only its own text.
    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn the_logged_chain_names_every_cause_once() {
        let e = Layer(
            "cannot save the audit row",
            Some(Box::new(Layer(
                "query failed: no such table",
                Some(Box::new(Layer("no such table", None))),
            ))),
        );
        assert_eq!(
            Chain(&e).to_string(),
            "cannot save the audit row: query failed: no such table"
        );
        let wrapped = AppError::internal(e);
        assert_eq!(
            Chain(&wrapped).to_string(),
            "INTERNAL: Internal error; the administrators have been notified by the log. \
             (cannot save the audit row): query failed: no such table"
        );
    }

    #[test]
    fn vietnamese_is_chosen_only_when_first() {
        assert_eq!(Lang::from_accept_language(Some("vi-VN,vi;q=0.9")), Lang::Vi);
        assert_eq!(Lang::from_accept_language(Some("en-US,vi;q=0.5")), Lang::En);
        assert_eq!(Lang::from_accept_language(None), Lang::En);
    }
}
