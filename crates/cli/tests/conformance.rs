//! feedparser's test suite as a floor: runs `conformance/run.py --check-floor`
//! against the built binary and fails when any folder passes fewer cases than
//! `conformance/floor.tsv` records. The report itself is regenerated with
//! `python3 conformance/run.py --write docs/CONFORMANCE.md`.

use std::path::Path;
use std::process::Command;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/feedparser"
);

#[test]
fn feedparser_suite_stays_above_the_floor() {
    assert!(
        Path::new(CORPUS).join("EXPECT.tsv").is_file(),
        "the feedparser corpus is missing: {CORPUS}/EXPECT.tsv not found"
    );
    let script = Path::new(REPO).join("conformance/run.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg("--check-floor")
        .arg("--bin")
        .arg(env!("CARGO_BIN_EXE_tributary"))
        .arg("--corpus")
        .arg(CORPUS)
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) => panic!("cannot run python3 {}: {e}", script.display()),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "conformance fell below its floor (conformance/floor.tsv):\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("every folder is at or above its floor"),
        "the harness did not check the floor:\n{stdout}\n{stderr}"
    );
}
