//! The command line: `serve [--demo]`, `migrate`, `users create …`, `schema`.

use std::{io::Read, process::ExitCode};

use clap::{Parser, Subcommand, ValueEnum};

use crate::{
    config::Config,
    demo,
    domain::user::{NewUser, insert},
    enums::Role,
    error::{AppError, Result},
    preflight,
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
    /// Ask the server at KC_BIND whether it is ready (`/readyz`); exit 0 if so, 1 if not.
    /// For container health checks: the image has no curl.
    Health,
    /// Export every row of an entity (the whole country) to a file, with a progress bar.
    Export {
        /// establishments, products, projects, fundingSources, ocopCertificates or nominations.
        entity: String,
        /// csv (UTF-8 with a BOM) or ndjson.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Output file (default `<entity>.<format>`).
        #[arg(long)]
        output: Option<std::path::PathBuf>,
        /// Only this province.
        #[arg(long)]
        province: Option<String>,
        /// Only this commune.
        #[arg(long)]
        commune: Option<String>,
        /// Only rows changed at or after this RFC 3339 time.
        #[arg(long)]
        updated_since: Option<String>,
    },
    /// Fill the (migrated) database with a deterministic synthetic country for benchmarks.
    Generate {
        /// xs (1,000 establishments), s (100,000), m (300,000) or l (1,000,000).
        #[arg(long, default_value = "xs")]
        scale: String,
        /// Seed: the same seed writes the same rows.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Import establishments or products from a CSV or XLSX file laid out as the template
    /// (GET /templates/{entity}.xlsx), as a user (its role and area apply), with a progress
    /// bar and the report of every row's problems.
    Import {
        /// establishments or products.
        entity: String,
        /// The CSV (UTF-8, comma or semicolon) or XLSX file.
        file: std::path::PathBuf,
        /// The user the import runs as (its area is enforced on every row; audit names it).
        #[arg(long)]
        user: String,
        /// Check every row and report, writing nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write the valid rows even when others have errors.
        #[arg(long)]
        partial: bool,
        /// Messages in Vietnamese.
        #[arg(long)]
        vi: bool,
    },
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

/// Runs the command line: configuration first (exit 2 when wrong, before anything is
/// touched), then the command (exit 1 when it fails), one plain line on standard error.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Schema = cli.command {
        print!("{}", crate::graphql::sdl());
        return ExitCode::SUCCESS;
    }
    let mut config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Command::Health = cli.command {
        return match preflight::health(config.bind) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let needs = match &cli.command {
        Command::Serve { .. } => preflight::Needs {
            signs_tokens: true,
            creates_database: true,
        },
        Command::Migrate => preflight::Needs {
            signs_tokens: false,
            creates_database: true,
        },
        _ => preflight::Needs {
            signs_tokens: false,
            creates_database: false,
        },
    };
    if let Err(f) = preflight::check(&config, needs) {
        eprintln!("{f}");
        return ExitCode::from(f.exit_code());
    }
    if !needs.signs_tokens && config.jwt_secret.is_none() {
        // These commands sign no token: a throwaway secret spares them KC_JWT_SECRET and
        // writes no secret file.
        config.jwt_secret = Some(crate::auth::jwt::throwaway_secret());
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Declared after the runtime, so dropped before it: the last spans are sent (on the
    // runtime) when the command is done, whichever way it ends.
    let mut telemetry = match telemetry::init(config.log_json, runtime.handle()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(f) = runtime.block_on(preflight::reach(&config)) {
        eprintln!("{f}");
        return ExitCode::from(f.exit_code());
    }
    let shown = config.clone();
    let result = runtime.block_on(run(cli.command, config));
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let f = preflight::describe(&e, &shown);
            eprintln!("{f}");
            ExitCode::from(f.exit_code())
        }
    }
}

async fn run(command: Command, config: Config) -> Result<()> {
    match command {
        Command::Schema | Command::Health => Ok(()),
        Command::Migrate => {
            prepare(config).await?;
            println!("Database migrated and reference data loaded.");
            Ok(())
        }
        Command::Generate { scale, seed } => {
            let scale = crate::generate::Scale::named(&scale).ok_or_else(|| {
                AppError::internal(format!("unknown scale {scale}: use xs, s, m or l"))
            })?;
            let state = prepare(config).await?;
            let started = std::time::Instant::now();
            let w =
                crate::generate::generate(&state.db, &state.reference(), scale, seed, true).await?;
            println!(
                "Generated in {:.1} s: {} establishments, {} products, {} funding sources, \
                 {} projects, {} beneficiaries, {} allocations, {} disbursements, \
                 {} OCOP certificates (scored by {} council members), {} selection rounds \
                 with {} nominations.",
                started.elapsed().as_secs_f64(),
                w.establishments,
                w.products,
                w.funding_sources,
                w.projects,
                w.beneficiaries,
                w.allocations,
                w.disbursements,
                w.ocop_certificates,
                w.users,
                w.selection_rounds,
                w.nominations
            );
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
        Command::Export {
            entity,
            format,
            output,
            province,
            commune,
            updated_since,
        } => {
            let state = prepare(config).await?;
            export_to_file(
                &state,
                &entity,
                &format,
                output,
                province,
                commune,
                updated_since,
            )
            .await
        }
        Command::Import {
            entity,
            file,
            user,
            dry_run,
            partial,
            vi,
        } => {
            let state = prepare(config).await?;
            let lang = if vi {
                crate::error::Lang::Vi
            } else {
                crate::error::Lang::En
            };
            let ok = import_file(&state, &entity, &file, &user, dry_run, partial, lang).await?;
            if !ok {
                return Err(AppError::bad_input(
                    "file",
                    crate::error::Msg::new(
                        "The file has errors; nothing was written.",
                        "Tệp có lỗi; chưa ghi gì.",
                    ),
                ));
            }
            Ok(())
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
                &state.reference(),
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

async fn export_to_file(
    state: &crate::state::AppState,
    entity_name: &str,
    format: &str,
    output: Option<std::path::PathBuf>,
    province: Option<String>,
    commune: Option<String>,
    updated_since: Option<String>,
) -> Result<()> {
    use std::io::Write;

    use crate::domain::{
        Ctx,
        export::{self, Entity, ExportFilter},
    };
    let entity = Entity::parse(entity_name).ok_or_else(|| {
        AppError::internal(format!(
            "unknown entity \"{entity_name}\"; choose one of {}",
            Entity::ALL
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let text_format = export::ExportFormat::parse(format)?;
    let updated_since = updated_since
        .map(|s| chrono::DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&chrono::Utc)))
        .transpose()
        .map_err(AppError::internal)?;
    let filter = ExportFilter {
        province_code: province,
        commune_code: commune,
        updated_since,
    };
    // The operator of the server exports as the whole country, read-only.
    let ctx = Ctx {
        actor: Some(crate::auth::actor::Actor {
            user_id: 0,
            role: Role::National,
            province_code: None,
            commune_code: None,
            is_admin: false,
            read_only: true,
        }),
        request_id: Some("cli-export".into()),
        reference: state.reference(),
    };
    let path = output.unwrap_or_else(|| format!("{entity_name}.{format}").into());
    let total = export::count(&state.db, &ctx, entity, &filter).await?;
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg} [{bar:40}] {pos}/{len} rows ({per_sec}, {eta} left)",
        )
        .map_err(AppError::internal)?
        .progress_chars("=> "),
    );
    bar.set_message(entity_name.to_owned());
    let file = std::fs::File::create(&path).map_err(AppError::internal)?;
    let mut out = std::io::BufWriter::new(file);
    if let Some(header) = text_format.header(entity)? {
        out.write_all(&header).map_err(AppError::internal)?;
    }
    let mut after = None;
    let mut written = 0u64;
    loop {
        let chunk = export::fetch(&state.db, &ctx, entity, &filter, after).await?;
        let bytes = text_format.rows(entity, &chunk.rows)?;
        out.write_all(&bytes).map_err(AppError::internal)?;
        written += chunk.rows.len() as u64;
        bar.set_position(written);
        match chunk.next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    out.flush().map_err(AppError::internal)?;
    bar.finish_with_message(format!("{entity_name}: {written} rows"));
    println!("Wrote {written} rows to {}", path.display());
    Ok(())
}

/// Runs an import from the command line; returns whether it went through without errors.
async fn import_file(
    state: &crate::state::AppState,
    entity_name: &str,
    path: &std::path::Path,
    username: &str,
    dry_run: bool,
    partial: bool,
    lang: crate::error::Lang,
) -> Result<bool> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    use crate::{
        db::entities::app_user,
        domain::{
            Ctx,
            import::{self, ImportEntity},
        },
    };
    let entity = ImportEntity::parse(entity_name).ok_or_else(|| {
        AppError::internal(format!(
            "unknown entity {entity_name:?}; choose establishments or products"
        ))
    })?;
    let user = app_user::Entity::find()
        .filter(app_user::Column::Username.eq(username))
        .filter(app_user::Column::Active.eq(true))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal(format!("no active user {username:?}")))?;
    let meta = std::fs::metadata(path).map_err(AppError::internal)?;
    if meta.len() > import::MAX_FILE_BYTES as u64 {
        return Err(AppError::internal("the file is larger than 20 MiB"));
    }
    let bytes = std::fs::read(path).map_err(AppError::internal)?;
    let ctx = Ctx {
        actor: Some(crate::auth::actor::Actor {
            user_id: user.id,
            role: user.role,
            province_code: user.province_code,
            commune_code: user.commune_code,
            is_admin: user.is_admin,
            read_only: user.read_only,
        }),
        request_id: Some("cli-import".into()),
        reference: state.reference(),
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg} [{bar:40}] {pos}/{len} rows ({per_sec}, {eta} left)",
        )
        .map_err(AppError::internal)?
        .progress_chars("=> "),
    );
    bar.set_message(entity_name.to_owned());
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let report = import::import(&state.db, &ctx, entity, &bytes, dry_run, partial, &progress).await;
    bar.finish_and_clear();
    let report = report?;
    for e in &report.errors {
        println!(
            "row {}{}: {} {}",
            e.row,
            e.column
                .as_deref()
                .map(|c| format!(", column {c:?}"))
                .unwrap_or_default(),
            e.code,
            e.msg.in_lang(lang)
        );
    }
    println!(
        "{}{} rows read, {} valid: {} created, {} updated, {} unchanged, {} errors",
        if report.dry_run { "dry run: " } else { "" },
        report.rows_read,
        report.rows_valid,
        report.created,
        report.updated,
        report.unchanged,
        report.errors.len()
    );
    Ok(report.errors.is_empty() || partial)
}
