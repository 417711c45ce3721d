//! Rebuild when a migration changes: `sqlx::migrate!` embeds the SQL files at
//! compile time, and cargo does not track them on its own.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
