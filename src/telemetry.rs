//! The tracing subscriber: compact text for people, JSON for log collectors.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs the global subscriber once; `RUST_LOG` filters (default `info`).
/// Colour only when standard output (where the log goes) is a terminal.
pub fn init(json: bool) {
    use std::io::IsTerminal;
    let ansi = std::io::stdout().is_terminal();
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = if json {
        registry.with(fmt::layer().json()).try_init()
    } else {
        registry
            .with(fmt::layer().compact().with_ansi(ansi))
            .try_init()
    };
}
