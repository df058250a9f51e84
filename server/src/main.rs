//! `cardcrm`: the server binary and its command line (serve, migrate, create-admin, import, ocr, dedup,
//! telegram).

use clap::{Parser, Subcommand};
use server::config::Config;
use server::http;
use service::{accounts::auth, platform::db, Services};
use std::io::IsTerminal;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "cardcrm", version, about = "Business-card CRM: read cards offline, keep contacts, find duplicates")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (the default).
    Serve,
    /// Write brotli and gzip siblings (`.br`, `.gz`) of the site bundle's files, for a site root
    /// the server may not write to (a container image); `serve` does it by itself otherwise.
    Precompress {
        /// The bundle's directory (default: $LEPTOS_SITE_ROOT/pkg).
        dir: Option<std::path::PathBuf>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an active administrator (or promote and re-password an existing account).
    /// The password comes from CARDCRM_ADMIN_PASSWORD, else it is read from standard input.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
    /// Import contacts from a vCard, CSV, XLSX or JSON-lines file (the format is detected from the
    /// content) through the same import job as the web page and the REST API; prints its summary.
    Import {
        #[arg(long)]
        input: std::path::PathBuf,
        /// The account the contacts are recorded as created by.
        #[arg(long = "as")]
        as_user: String,
        /// csv | vcf | xlsx | jsonl: read as this format whatever the content looks like.
        #[arg(long)]
        format: Option<String>,
        /// Only say what each row would do; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// skip | merge | create: what a row that matches a stored contact does.
        #[arg(long, default_value = "skip")]
        on_duplicate: String,
        /// A tag put on every contact the import creates or updates.
        #[arg(long)]
        tag: Option<String>,
        /// Import nothing if any row is invalid.
        #[arg(long)]
        all_or_nothing: bool,
    },
    /// Fill an empty instance with demo data for trying cardcrm out: a few hundred plausible
    /// contacts (five countries, tags, groups, some people entered twice, so the Duplicates page
    /// has pairs to review) through the ordinary import, and card photos from a folder as scans.
    Demo {
        /// The account the demo data belongs to (an administrator, say).
        #[arg(long = "as")]
        as_user: String,
        /// How many people (about one in fourteen is entered twice).
        #[arg(long, default_value_t = 300)]
        contacts: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// A folder of card photos (JPEG/PNG) to add as scans, read when the server runs
        /// (default: fixtures/cards/real when it exists).
        #[arg(long)]
        cards: Option<std::path::PathBuf>,
    },
    /// Read business-card images offline and print the fields found (no database needed).
    /// Models come from CARDCRM_MODELS_DIR (default ./models; install with scripts/fetch-models.sh).
    Ocr {
        /// Image files (JPEG, PNG, WebP, GIF, BMP, TIFF).
        #[arg(required = true)]
        images: Vec<std::path::PathBuf>,
        /// Print one JSON object per image (contact-shaped fields, lines, elapsed_ms) per line.
        #[arg(long)]
        json: bool,
    },
    /// Duplicate detection in batch (no database needed for `pairs`).
    Dedup {
        #[command(subcommand)]
        command: DedupCommand,
    },
    /// The Telegram bot: register the webhook, or serve it by long polling.
    Telegram {
        #[command(subcommand)]
        command: TelegramCommand,
    },
}

#[derive(Subcommand)]
enum TelegramCommand {
    /// Register URL (e.g. https://crm.example.com/webhooks/telegram) as the bot's webhook with a newly
    /// generated secret (stored; TELEGRAM_WEBHOOK_SECRET in the environment wins). Needs TELEGRAM_BOT_TOKEN.
    SetWebhook { url: String },
    /// Long polling (getUpdates) for installations without public HTTPS: removes the webhook, then
    /// reads updates, scans cards and replies until stopped (Ctrl-C).
    Poll,
}

#[derive(Subcommand)]
enum DedupCommand {
    /// Read contacts as JSON lines (the gen_contacts.py shape) and print one JSON line per
    /// duplicate pair, {"a": id, "b": id, "score": s}; statistics go to standard error.
    Pairs {
        /// The contacts file, or `-` for standard input.
        #[arg(long)]
        input: std::path::PathBuf,
        /// Matching settings as JSON (every field optional); the defaults otherwise.
        #[arg(long)]
        settings: Option<std::path::PathBuf>,
    },
    /// Run the full duplicate scan on the database (DATABASE_URL): give contacts created before the
    /// duplicate keys existed their keys, then record every new pair (stored pairs keep their
    /// status). Progress on standard error, the finished scan as JSON on standard output.
    Scan,
}

fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn services(cfg: &Config) -> Result<Services, String> {
    let conn = db::connect(&cfg.database_url).await.map_err(|e| format!("cannot open the database: {e}"))?;
    db::migrate(&conn).await.map_err(|e| format!("cannot migrate the database: {e}"))?;
    let secret = cfg.jwt_secret().map_err(|e| format!("cannot read or create the JWT secret: {e}"))?;
    // Scan images and OCR models where the server keeps them (`cardcrm demo` stores card photos).
    Ok(Services::new(conn, auth::AuthConfig::new(&secret)).with_scan_dirs(cfg.data_dir.clone(), cfg.models_dir.clone()))
}

fn read_password() -> Result<String, String> {
    if let Ok(p) = std::env::var("CARDCRM_ADMIN_PASSWORD") {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password("Password for the administrator: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Again: ").map_err(|e| e.to_string())?;
        if p != again {
            return Err("the passwords differ".into());
        }
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|e| e.to_string())?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// `cardcrm ocr`: read each image, print its fields; an unreadable image is reported and makes the
/// exit code non-zero without stopping the others.
fn ocr_command(cfg: &Config, images: &[std::path::PathBuf], json: bool) -> Result<(), String> {
    let pipeline = ocr::default_pipeline(&cfg.models_dir).map_err(|e| format!("cannot load the OCR engine: {e}"))?;
    let limits = ocr::Limits::default();
    let hints = ocr::ParseHints::default();
    let mut failed = 0usize;
    for path in images {
        let name = path.display().to_string();
        let result = std::fs::read(path)
            .map_err(|e| format!("cannot read the file: {e}"))
            .and_then(|bytes| ocr::read_card(&pipeline, &bytes, &limits, &hints).map_err(|e| e.to_string()));
        match result {
            Ok((parsed, reading)) => {
                let mut value = ocr::card_json(&parsed, &reading);
                if let Some(obj) = value.as_object_mut() {
                    obj.insert("file".into(), serde_json::Value::String(name.clone()));
                }
                if json {
                    println!("{value}");
                } else {
                    print_card(&name, &value);
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {name}: {e}");
                if json {
                    println!("{}", serde_json::json!({ "file": name, "error": e }));
                }
            }
        }
    }
    if failed > 0 {
        return Err(format!("{failed} of {} image(s) could not be read", images.len()));
    }
    Ok(())
}

/// Human-readable summary of one `card_json` value.
fn print_card(name: &str, v: &serde_json::Value) {
    println!("{name} ({} ms, {})", v["elapsed_ms"], v["engine"].as_str().unwrap_or("?"));
    for key in ["full_name", "position", "department", "company", "website", "address"] {
        if let Some(s) = v[key].as_str() {
            println!("  {key:<11} {s}");
        }
    }
    for p in v["phones"].as_array().into_iter().flatten() {
        let kind = p["kind"].as_str().unwrap_or("phone");
        let number = p["e164"].as_str().or(p["number"].as_str()).unwrap_or("");
        println!("  {kind:<11} {number}");
    }
    for e in v["emails"].as_array().into_iter().flatten() {
        println!("  {:<11} {}", "email", e["address"].as_str().unwrap_or(""));
    }
}

fn run_dedup(command: DedupCommand) -> Result<(), String> {
    match command {
        DedupCommand::Pairs { input, settings } => {
            let settings = server::dedup_cli::settings(settings.as_deref())?;
            let stdout = std::io::stdout();
            let stats = server::dedup_cli::pairs(&input, stdout.lock(), &settings)?;
            eprintln!("{}", serde_json::to_string(&stats).map_err(|e| e.to_string())?);
            Ok(())
        }
        DedupCommand::Scan => Err("dedup scan needs the database; it is run by `run`".into()),
    }
}

/// Runs an import job to its end in this process, printing its progress; returns the job.
async fn import_with_progress(
    svc: &service::Services,
    actor: &service::Actor,
    bytes: Vec<u8>,
    name: Option<&str>,
    opts: service::import_dto::ImportOptions,
) -> Result<service::import_dto::ImportJob, String> {
    let id =
        service::transfer::imports::create_job(svc, actor, bytes, name, opts, None).await.map_err(|e| e.to_string())?;
    let job = {
        let (svc, actor) = (svc.clone(), actor.clone());
        tokio::spawn(async move { service::transfer::imports::run(&svc, &actor, id).await })
    };
    let mut last = -1;
    while !job.is_finished() {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        if let Ok(m) = service::transfer::imports::by_id(svc, id).await {
            if m.done != last && m.total > 0 {
                eprintln!("{} of {} rows", m.done, m.total);
                last = m.done;
            }
        }
    }
    job.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
    // The job with its first 50 invalid rows (the caller prints them).
    let admin = service::Actor { is_admin: true, ..actor.clone() };
    service::transfer::imports::get(svc, &admin, id, 1, 50, Some("invalid")).await.map_err(|e| e.to_string())
}

async fn run(cli: Cli) -> Result<(), String> {
    if let Some(Command::Dedup { command: DedupCommand::Scan }) = cli.command {
        let cfg = Config::from_env().map_err(|e| e.to_string())?;
        let svc = services(&cfg).await?;
        let scan = server::dedup_cli::scan(&svc).await?;
        println!("{}", serde_json::to_string(&scan).map_err(|e| e.to_string())?);
        return Ok(());
    }
    if let Some(Command::Dedup { command }) = cli.command {
        // Needs neither the configuration nor the database.
        return run_dedup(command);
    }
    if let Some(Command::Precompress { dir }) = cli.command {
        let dir = dir.unwrap_or_else(|| {
            std::path::Path::new(&std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into()))
                .join("pkg")
        });
        let n = server::assets::precompress(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        println!("{n} precompressed files written in {}", dir.display());
        return Ok(());
    }
    let cfg = Config::from_env().map_err(|e| e.to_string())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let svc = services(&cfg).await?;
            http::serve(cfg, svc).await
        }
        Command::Migrate => {
            let conn = db::connect(&cfg.database_url).await.map_err(|e| e.to_string())?;
            db::migrate(&conn).await.map_err(|e| e.to_string())?;
            println!("migrations applied");
            Ok(())
        }
        Command::CreateAdmin { username, email } => {
            let svc = services(&cfg).await?;
            let password = read_password()?;
            let input = service::dto::RegisterInput { username, email, password };
            let user = auth::create_admin(&svc, &input).await.map_err(|e| e.to_string())?;
            println!("administrator '{}' is ready; sign in at http://{}/login", user.username, cfg.site_addr);
            Ok(())
        }
        Command::Import { input, as_user, format, dry_run, on_duplicate, tag, all_or_nothing } => {
            let svc = services(&cfg).await?;
            let actor = auth::actor_by_username(&svc, &as_user).await.map_err(|e| e.to_string())?;
            let bytes = std::fs::read(&input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
            let name = input.file_name().map(|n| n.to_string_lossy().to_string());
            // The command line is forgiving about spelling (`vcard`, `.CSV`, ` Merge`); the service
            // takes the documented names only.
            let format = match format {
                None => None,
                Some(f) => Some(
                    interchange::Format::parse(&f)
                        .ok_or_else(|| format!("--format: unknown format '{f}' (vcf, csv, xlsx or jsonl)"))?
                        .as_str()
                        .to_string(),
                ),
            };
            let on_duplicate = on_duplicate.trim().to_lowercase();
            let opts = service::import_dto::ImportOptions { dry_run, on_duplicate, tag, format, all_or_nothing };
            let started = std::time::Instant::now();
            let m = import_with_progress(&svc, &actor, bytes, name.as_deref(), opts).await?;
            let id = m.id;
            for r in &m.rows {
                eprintln!("line {}: {}", r.line, r.detail);
            }
            let verb = if m.dry_run { "would create" } else { "created" };
            println!(
                "import {id} ({}{}): {} rows; {verb} {}, updated {}, skipped {}, invalid {}, in {:.1} s{}",
                m.format,
                if m.encoding.is_empty() { String::new() } else { format!(", {}", m.encoding) },
                m.total,
                m.created,
                m.updated,
                m.skipped,
                m.invalid,
                started.elapsed().as_secs_f64(),
                m.error.as_deref().map(|e| format!("\n{e}")).unwrap_or_default()
            );
            if m.status == "failed" {
                return Err(format!("import {id} failed"));
            }
            if !m.dry_run && m.created > 0 {
                let steps = service::search::search_index::merge(&svc.db).await.map_err(|e| e.to_string())?;
                if steps > 0 {
                    eprintln!("search index merged");
                }
            }
            Ok(())
        }
        Command::Demo { as_user, contacts, seed, cards } => {
            let svc = services(&cfg).await?;
            let actor = auth::actor_by_username(&svc, &as_user).await.map_err(|e| e.to_string())?;
            let live = service::contacts::count_live(&svc).await.map_err(|e| e.to_string())?;
            if live > 0 {
                return Err(format!("this instance already has {live} contacts; the demo fills an empty one"));
            }
            let file = server::demo::contacts_jsonl(contacts.clamp(1, 100_000), seed)?;
            let opts = service::import_dto::ImportOptions {
                dry_run: false,
                on_duplicate: "create".into(),
                tag: None,
                format: Some("jsonl".into()),
                all_or_nothing: false,
            };
            let m = import_with_progress(&svc, &actor, file, Some("demo.jsonl"), opts).await?;
            println!("demo: {} contacts created (import {}; undo it from /imports/{})", m.created, m.id, m.id);
            let cards = cards.or_else(|| Some(std::path::PathBuf::from("fixtures/cards/real")).filter(|p| p.is_dir()));
            if let Some(dir) = cards {
                let mut files: Vec<_> = std::fs::read_dir(&dir)
                    .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        p.extension()
                            .and_then(|e| e.to_str())
                            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png" | "webp"))
                    })
                    .collect();
                files.sort();
                let mut queued = 0;
                for f in files.iter().take(12) {
                    let bytes = std::fs::read(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
                    let name = f.file_name().map(|n| n.to_string_lossy().to_string());
                    match service::scans::submit(&svc, &actor, bytes, name.as_deref()).await {
                        Ok(_) => queued += 1,
                        Err(e) => eprintln!("{}: {e}", f.display()),
                    }
                }
                println!("demo: {queued} card photos queued as scans (read when `cardcrm serve` runs)");
            }
            let pending = service::admin::duplicates_by_status(&svc)
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .find(|(status, _)| status == "pending")
                .map_or(0, |(_, n)| n);
            println!("demo: {pending} duplicate pairs to review at /duplicates");
            Ok(())
        }
        Command::Dedup { command } => run_dedup(command),
        Command::Precompress { .. } => Err("precompress is run by `run`".into()),
        Command::Ocr { images, json } => ocr_command(&cfg, &images, json),
        Command::Telegram { command } => {
            let svc = services(&cfg).await?.with_scan_dirs(cfg.data_dir.clone(), cfg.models_dir.clone());
            match command {
                TelegramCommand::SetWebhook { url } => {
                    let said = server::webhooks::telegram::set_webhook(&svc, &url).await?;
                    println!("{said}");
                    Ok(())
                }
                TelegramCommand::Poll => {
                    let worker = service::scans::Worker::start(svc.clone());
                    let maintenance = service::admin::maintenance::Maintenance::start(svc.clone());
                    let bots =
                        server::webhooks::Processor::start(svc.clone(), server::webhooks::ProcessorOptions::default());
                    let stop = async {
                        let _ = tokio::signal::ctrl_c().await;
                    };
                    let polled = server::webhooks::telegram::poll(&svc, stop).await;
                    bots.shutdown().await;
                    worker.shutdown().await;
                    maintenance.shutdown().await;
                    polled
                }
            }
        }
    }
}

fn main() -> ExitCode {
    // Before any thread starts: Tesseract's OpenMP threads are limited only at process start.
    #[cfg(feature = "tesseract")]
    ocr::limit_openmp_threads();
    serve_or_run()
}

#[tokio::main]
async fn serve_or_run() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let json = Config::from_env().map(|c| c.log_json).unwrap_or(false);
    init_tracing(json);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
