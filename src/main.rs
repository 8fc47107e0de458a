use std::{io::BufRead, sync::Arc};

use anyhow::Context;
use clap::{Parser, Subcommand};
use soiduong::{
    clock::{Clock, SystemClock},
    config::Settings,
    services::{accounts, banks, seed},
    startup::Application,
    state::{self, AppState},
    store::{self, certificates::Scope},
    telemetry,
};

/// mimalloc instead of glibc's malloc: under a round opening's burst glibc's allocator took
/// about a third of the server's CPU (its free lists, shared by the worker threads), mimalloc
/// a few percent (issue 8, `cargo bench --bench round_opening`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Soi Đường: học lý luận chính trị, thi trực tuyến và chứng nhận cho Đoàn TNCS Hồ Chí Minh.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create the first admin (or make an existing account an admin), reading the password
    /// from standard input.
    CreateAdmin {
        /// Phone number or e-mail to log in with.
        #[arg(long)]
        login: String,
        /// Read the password from standard input (the only way: never from the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Load the demo units, the shipped question banks and courses (idempotent).
    SeedDemo,
    /// Fill a PostgreSQL database with provincial-scale data for benchmarks: districts and
    /// communes under the first root, members on rosters, courses linked to the measured
    /// indicators, lesson progress and completions in the year.
    SeedScale {
        #[arg(long, default_value_t = 1_000)]
        units: u32,
        #[arg(long, default_value_t = 500_000)]
        members: u32,
        /// Of the members, how many have an account here (confirmed).
        #[arg(long, default_value_t = 350_000)]
        registered: u32,
        #[arg(long, default_value_t = 5_000_000)]
        progress: u32,
        /// The year the progress falls in (default: this year).
        #[arg(long)]
        year: Option<i32>,
    },
    /// Rebuild contest leaderboards from the attempts table (all rounds, or one).
    RebuildLeaderboards {
        /// Only this round.
        #[arg(long)]
        round: Option<i32>,
    },
    /// Import question banks (YAML, GIFT, Aiken .txt, Excel) and course files from files or
    /// folders. A file with any error imports nothing; the others still import.
    ImportBanks {
        /// Files or folders (a folder's `courses/` subfolder holds course definitions).
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
    },
    /// What a content editor reviews each quarter: per bank, questions whose validity ends
    /// within 90 days, questions resting on replaced legal documents, and near-duplicate
    /// questions not in one family. Reads the database's live banks, or the bank files and
    /// folders given.
    ContentReport {
        /// Bank files or folders to read instead of the database.
        paths: Vec<std::path::PathBuf>,
        /// The day to report for, YYYY-MM-DD (default: today, Vietnam time).
        #[arg(long)]
        on: Option<chrono::NaiveDate>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Exit with status 1 when there is anything to review.
        #[arg(long)]
        check: bool,
    },
    /// Write every certificate of a round or a course into one ZIP (a PDF each and a list),
    /// with a progress bar.
    ExportCertificates {
        /// The round…
        #[arg(long, conflicts_with = "course", required_unless_present = "course")]
        round: Option<i32>,
        /// …or the course.
        #[arg(long)]
        course: Option<i32>,
        /// Only the certificates of this unit's subtree.
        #[arg(long)]
        unit: Option<i32>,
        /// The ZIP to write.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Check a certificate offline: a PDF file (its embedded signed facts) or a code (looked up
    /// in this installation's database), against the published public keys. Exits 1 when the
    /// signature does not hold.
    VerifyCertificate {
        /// A certificate PDF, or a code as printed.
        target: String,
        /// The keys to check against: the JSON of `/.well-known/soiduong-certificates.pub`, or
        /// one public key (base64url or did:key). Default: this installation's keys.
        #[arg(long)]
        keys: Option<std::path::PathBuf>,
    },
}

mod certificates_cli;
mod import;

use import::print_summaries;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    telemetry::init(&settings.log_filter, settings.log_format);
    if let Some(path) = &settings.jwt_secret_file {
        tracing::warn!(
            path = %path.display(),
            "SOIDUONG_JWT_SECRET is not set: using the secret kept in the data folder; \
             set SOIDUONG_JWT_SECRET when running more than one instance"
        );
    }
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            tracing::info!(
                database = %store::redact(&settings.database_url),
                redis = settings.redis_url.as_deref().map(store::redact).unwrap_or_else(|| "in-memory".into()),
                "starting"
            );
            let app = Application::build(settings).await?;
            tracing::info!(port = app.port(), "serving");
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            // The database alone: migrating needs no Redis.
            state::open_database(&settings).await?;
            println!("Đã áp dụng các migration.");
        }
        Command::CreateAdmin { login, .. } => {
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("cannot read the password from stdin")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            // The database alone: an admin can be made while Redis is not (yet) running.
            let db = state::open_database(&settings).await?;
            let (id, created) =
                accounts::create_admin_in(&db, SystemClock.now(), &login, password).await?;
            if created {
                println!("Đã tạo quản trị viên {id}.");
            } else {
                println!("Tài khoản {id} đã có, nay là quản trị viên (mật khẩu đã đặt lại).");
            }
        }
        Command::SeedDemo => {
            let state = AppState::connect(settings, Arc::new(SystemClock)).await?;
            let report = seed::seed_demo(&state).await?;
            println!(
                "Dữ liệu mẫu: thêm {} đơn vị, {} đơn vị đã có.",
                report.units_added, report.units_present
            );
            let summaries = banks::import_shipped(&state).await?;
            print_summaries(&summaries);
            if let Some(c) = seed::seed_contest(&state).await? {
                println!("Cuộc thi mẫu: {c}.");
            }
        }
        Command::SeedScale {
            units,
            members,
            registered,
            progress,
            year,
        } => {
            let state = AppState::connect(settings, Arc::new(SystemClock)).await?;
            seed::seed_if_empty(&state).await?;
            let measured: Vec<String> = state
                .catalogue
                .indicators
                .iter()
                .filter(|i| i.measure.measured())
                .map(|i| i.key.clone())
                .collect();
            let year = year.unwrap_or_else(|| chrono::Datelike::year(&SystemClock.now()));
            let size = store::scale::Scale {
                units,
                members,
                registered: registered.min(members),
                progress,
                year,
            };
            let made = store::scale::generate(&state.db, size, &measured).await?;
            println!(
                "Đã tạo {} đơn vị, {} đoàn viên, {} lượt học bài, {} lượt hoàn thành khóa học (năm {year}); \
                 đơn vị gốc {}, một huyện: {}",
                made.units, made.members, made.progress, made.completions, made.root, made.district
            );
        }
        Command::RebuildLeaderboards { round } => {
            let state = AppState::connect(settings, Arc::new(SystemClock)).await?;
            let rounds: Vec<i32> = round.into_iter().collect();
            for (id, n) in soiduong::services::boards::rebuild(&state, &rounds).await? {
                println!("Vòng {id}: dựng lại {n} mục.");
            }
        }
        Command::ExportCertificates {
            round,
            course,
            unit,
            out,
        } => {
            let scope = match (round, course) {
                (Some(r), _) => Scope::Round(r),
                (None, Some(c)) => Scope::Course(c),
                (None, None) => anyhow::bail!("--round or --course is needed"),
            };
            let state = AppState::connect(settings, Arc::new(SystemClock)).await?;
            let n = certificates_cli::export_to(&state, scope, unit, &out).await?;
            println!("Đã ghi {n} chứng nhận vào {}.", out.display());
        }
        Command::VerifyCertificate { target, keys } => {
            if !certificates_cli::verify(&settings, &target, keys.as_deref()).await? {
                std::process::exit(1);
            }
        }
        Command::ImportBanks { paths } => {
            let state = AppState::connect(settings, Arc::new(SystemClock)).await?;
            if !import::run(&state, &paths).await? {
                std::process::exit(1);
            }
        }
        Command::ContentReport {
            paths,
            on,
            json,
            check,
        } => {
            let report = if paths.is_empty() {
                let state = AppState::connect(settings, Arc::new(SystemClock)).await?;
                soiduong::services::content::report(&state, &soiduong::auth::Caller::system(), on)
                    .await?
            } else {
                import::content_report(&paths, on).await?
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.to_text());
            }
            if check && !report.is_clean() {
                std::process::exit(1);
            }
        }
    }
    Ok(())
}
