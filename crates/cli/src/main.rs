//! The `tributary` binary: clap commands, settings (config file), tracing set-up.
//!
//! Library crates do the work; this crate parses arguments, opens the store,
//! wires the stages together through `tributary-refresh`, prints results and
//! picks the exit code in one place.

mod args;
mod commands;
mod config;
mod settings;

use std::process::ExitCode;

use clap::Parser;

/// jemalloc instead of glibc's malloc: glibc's allocator was the largest
/// single item (17 %) of a cold fetch's CPU profile, many small strings per
/// entry freed on other threads; jemalloc took ~15 % off its CPU at 63 MB of
/// peak RSS (mimalloc: no gain, 243 MB). See docs/PERFORMANCE.md, "Fetching".
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    init_tracing(cli.verbose);
    // `config example|check` reads no settings first (checking them is its job).
    if let args::Command::Config(command) = &cli.command {
        return commands::config::run(command, cli.config.as_deref());
    }
    // A bad configuration is a usage error, like a bad flag.
    let settings = match settings::Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("tributary: {err:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tributary: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(commands::run(cli, settings)) {
        Ok(code) => code,
        Err(err) => {
            // `rg … | head`: a closed stdout is not an error worth a message.
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("tributary: {err:#}");
            ExitCode::from(1)
        }
    }
}

/// Logs go to stderr; `RUST_LOG` overrides the level chosen by `-v`.
fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn,sqlx=error",
        1 => "info,sqlx=warn",
        _ => "debug,sqlx=info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
