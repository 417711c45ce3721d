//! `tributary migrate-db --from URL --to URL`: copy an installation between
//! SQLite and PostgreSQL (`tributary_store::transfer` does the work; this
//! shows its progress and prints the verification).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tributary_store::redact_database_url;
use tributary_store::transfer::{self, MigrateOptions, MigrateReport, Progress, Start};

#[derive(Debug, Args)]
pub struct MigrateDbArgs {
    /// The database to copy: sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE.
    /// Only read (its schema is first brought up to date, as by any command).
    #[arg(long, value_name = "URL")]
    pub from: String,
    /// The database to copy into (its schema is created): it must be empty,
    /// or an interrupted copy of --from, which is then continued.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Rows per batch; each batch is one transaction on the target.
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch: u32,
    /// Delete everything in the target first when it is not empty (it may
    /// be another installation: its data is lost), then copy.
    #[arg(long)]
    pub force: bool,
}

/// Copy, verify, print the table; exit 1 if any table differs.
pub async fn run(args: &MigrateDbArgs) -> Result<ExitCode> {
    let options = MigrateOptions {
        batch: args.batch as usize,
        force: args.force,
    };
    let mut display = Display::new();
    let report = transfer::migrate(&args.from, &args.to, &options, &mut |p| display.show(p)).await;
    display.done();
    let report = report?;
    print!(
        "{}",
        render(
            &report,
            &redact_database_url(&args.from),
            &redact_database_url(&args.to)
        )
    );
    if report.ok() {
        Ok(ExitCode::SUCCESS)
    } else {
        let differ: Vec<&str> = report
            .tables
            .iter()
            .filter(|t| !t.ok())
            .map(|t| t.table)
            .collect();
        eprintln!(
            "tributary: the copy does not match its source ({}). Was either database \
             changed during or after the copy? To copy afresh, stop Tributary and run again \
             with --force (it deletes everything in the target, also what was written to it \
             since).",
            differ.join(", ")
        );
        Ok(ExitCode::from(1))
    }
}

/// The progress bar on stderr (drawn only on a terminal), one table at a time.
struct Display {
    bar: Option<ProgressBar>,
}

impl Display {
    fn new() -> Display {
        Display { bar: None }
    }

    fn replace(&mut self, bar: ProgressBar) {
        if let Some(old) = self.bar.replace(bar) {
            old.finish_and_clear();
        }
    }

    fn show(&mut self, progress: Progress) {
        match progress {
            Progress::Table { table, total, done } => {
                tracing::info!(table, rows = total, on_target = done, "copying");
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template(
                        "{msg:>22} [{bar:30}] {human_pos}/{human_len} rows ({per_sec}, {eta})",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                bar.set_message(table);
                bar.set_position(done.min(total));
                self.replace(bar);
            }
            Progress::Rows { rows, .. } => {
                if let Some(bar) = &self.bar {
                    bar.inc(rows);
                }
            }
            Progress::Search => {
                tracing::info!("filling the search index");
                self.spinner("filling the search index".to_owned());
            }
            Progress::Verify { table } => {
                tracing::debug!(table, "verifying");
                self.spinner(format!("verifying {table}"));
            }
        }
    }

    fn spinner(&mut self, message: String) {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(ProgressStyle::default_spinner());
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(120));
        self.replace(bar);
    }

    fn done(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// The summary: how the target stood, one line per table (rows, rows
/// copied now, checksum, ok/MISMATCH), totals and time.
fn render(report: &MigrateReport, from: &str, to: &str) -> String {
    let how = match report.start {
        Start::Fresh => "copied",
        Start::Resumed => "continued an interrupted copy",
        Start::Complete => "already a complete copy; verified only",
        Start::Emptied => "emptied the target (--force), then copied",
    };
    let mut out = format!("{from} → {to}: {how}\n\n");
    out += &format!(
        "{:<22} {:>12} {:>10}  {:<33} STATUS\n",
        "TABLE", "ROWS", "COPIED", "CHECKSUM (SHA-256, first 16)"
    );
    for t in &report.tables {
        let rows = if t.source.rows == t.target.rows {
            t.source.rows.to_string()
        } else {
            format!("{}≠{}", t.source.rows, t.target.rows)
        };
        let short = |c: &str| c.chars().take(16).collect::<String>();
        let sum = if t.source.checksum == t.target.checksum {
            short(&t.source.checksum)
        } else {
            format!(
                "{}≠{}",
                short(&t.source.checksum),
                short(&t.target.checksum)
            )
        };
        out += &format!(
            "{:<22} {:>12} {:>10}  {:<33} {}\n",
            t.table,
            rows,
            t.copied,
            sum,
            if t.ok() { "ok" } else { "MISMATCH" }
        );
    }
    let differ = report.tables.iter().filter(|t| !t.ok()).count();
    out += &format!(
        "\n{} {} copied in {:.1} s; {} entries indexed for search; {}\n",
        report.copied(),
        if report.copied() == 1 { "row" } else { "rows" },
        report.elapsed.as_secs_f64(),
        report.indexed,
        if differ == 0 {
            "every table verified".to_owned()
        } else {
            format!("{differ} table(s) differ")
        }
    );
    out
}
