//! The command line: `serve [--demo]`, `migrate`, `users create …`, `schema`.

use std::{io::Read, process::ExitCode};

use clap::{Parser, Subcommand, ValueEnum};

use crate::{
    config::Config,
    demo,
    domain::user::{NewUser, insert},
    enums::Role,
    error::{AppError, Result},
    startup::{Application, prepare},
    telemetry,
};

/// khuyencong — the GraphQL API server of Vietnam's industrial-promotion offices.
#[derive(Parser)]
#[command(name = "khuyencong", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, load the reference data, and serve GraphQL.
    Serve {
        /// Also load the demo data set and demo users (passwords in the README).
        #[arg(long)]
        demo: bool,
    },
    /// Apply migrations and load the reference data, then exit.
    Migrate,
    /// Manage users.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Print the GraphQL schema (SDL) the server serves.
    Schema,
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create a user; the password comes from KC_PASSWORD or standard input.
    Create {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Role.
        #[arg(long, value_enum)]
        role: CliRole,
        /// Province code (province users).
        #[arg(long)]
        province: Option<String>,
        /// Commune code (commune users).
        #[arg(long)]
        commune: Option<String>,
        /// Display name (defaults to the username).
        #[arg(long)]
        display_name: Option<String>,
        /// Administrator of its area.
        #[arg(long)]
        admin: bool,
        /// Read-only account.
        #[arg(long)]
        read_only: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum CliRole {
    National,
    Province,
    Commune,
}

impl From<CliRole> for Role {
    fn from(r: CliRole) -> Self {
        match r {
            CliRole::National => Role::National,
            CliRole::Province => Role::Province,
            CliRole::Commune => Role::Commune,
        }
    }
}

/// Runs the command line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Schema = cli.command {
        print!("{}", crate::graphql::sdl());
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(config.log_json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "failed");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> Result<()> {
    match command {
        Command::Schema => Ok(()),
        Command::Migrate => {
            prepare(config).await?;
            println!("Database migrated and reference data loaded.");
            Ok(())
        }
        Command::Serve { demo: with_demo } => {
            let bind = config.bind;
            let state = prepare(config).await?;
            if with_demo {
                demo::load(&state).await?;
            }
            let app = Application::with_state(state, bind).await?;
            let port = app.port();
            let host = if bind.ip().is_unspecified() {
                "localhost".to_owned()
            } else {
                bind.ip().to_string()
            };
            println!("khuyencong is listening on http://{host}:{port}");
            println!("  GraphiQL:  http://{host}:{port}/graphql");
            println!(
                "  health:    http://{host}:{port}/healthz  ready: /readyz  metrics: /metrics"
            );
            if with_demo {
                println!(
                    "  sign in with mutation {{ login(username: \"{}\", password: \"{}\") {{ accessToken }} }}",
                    demo::USERS[0].0,
                    demo::PASSWORD
                );
                println!(
                    "  demo users (password {}): {}",
                    demo::PASSWORD,
                    demo::USERS
                        .iter()
                        .map(|u| u.0)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            } else {
                println!(
                    "  create a user: khuyencong users create --username admin --role national --admin"
                );
            }
            println!(
                "  then put {{\"Authorization\": \"Bearer <accessToken>\"}} in GraphiQL's Headers tab."
            );
            tracing::info!(port, "serving");
            app.run_until_stopped().await.map_err(AppError::internal)
        }
        Command::Users {
            command:
                UsersCommand::Create {
                    username,
                    role,
                    province,
                    commune,
                    display_name,
                    admin,
                    read_only,
                },
        } => {
            let password = match std::env::var("KC_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => {
                    let mut s = String::new();
                    std::io::stdin()
                        .read_to_string(&mut s)
                        .map_err(AppError::internal)?;
                    s.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let state = prepare(config).await?;
            let user = insert(
                &state.db,
                &state.reference,
                NewUser {
                    display_name: display_name.unwrap_or_else(|| username.clone()),
                    username,
                    password,
                    role: role.into(),
                    province_code: province,
                    commune_code: commune,
                    is_admin: admin,
                    read_only,
                },
            )
            .await
            .map_err(|e| AppError {
                msg: crate::error::Msg::new(
                    format!(
                        "{}{}",
                        e.msg.en,
                        e.field
                            .as_deref()
                            .map(|f| format!(" ({f})"))
                            .unwrap_or_default()
                    ),
                    e.msg.vi.clone(),
                ),
                ..e
            })?;
            println!("Created user {} (role {}).", user.username, user.role);
            Ok(())
        }
    }
}
