//! `tributary proxy sign|check`, the real binary, on real SQLite files:
//! the URL it signs is the server's (same secret, kept in the database),
//! `check` tells a valid URL from a forged, expired or foreign one, and bad
//! input is a plain error.

use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

const IMG: &str = "https://img.example.com/photo.jpg?size=large";

fn tributary(dir: &TempDir, db: &str, config: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::cargo_bin("tributary").unwrap();
    cmd.env_remove("TRIBUTARY_DATABASE")
        .env_remove("TRIBUTARY_CONFIG")
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .arg("--database")
        .arg(format!("sqlite://{}", dir.path().join(db).display()));
    if let Some(text) = config {
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        cmd.arg("--config").arg(path);
    }
    cmd.args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const CONFIG: &str =
    "[privacy]\nmedia_proxy = \"images\"\n[web]\npublic_url = \"https://news.example.org/\"\n";

#[test]
fn sign_prints_a_url_the_server_accepts_and_check_reads_it_back() {
    let dir = TempDir::new().unwrap();
    let out = tributary(&dir, "a.db", Some(CONFIG), &["proxy", "sign", IMG]);
    assert!(out.status.success(), "{}", stderr(&out));
    let url = stdout(&out).trim().to_owned();
    assert!(url.starts_with("https://news.example.org/proxy/"), "{url}");

    // The server's signer (the secret the CLI stored in the database) accepts it.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let target = rt.block_on(async {
        let store = tributary_store::Store::open(&format!(
            "sqlite://{}",
            dir.path().join("a.db").display()
        ))
        .await
        .unwrap();
        let config = tributary_web::privacy::PrivacyConfig::default();
        let signer = tributary_web::privacy::load_signer(&store, &config)
            .await
            .unwrap();
        signer
            .verify_path(&url, tributary_web::privacy::unix_now())
            .unwrap()
    });
    assert_eq!(target.as_str(), IMG);

    let out = tributary(&dir, "a.db", Some(CONFIG), &["proxy", "check", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(&format!("valid: {IMG}")), "{text}");
    assert!(text.contains("expires: 20"), "{text}");

    // Another database has another secret: refused, exit status 1.
    let out = tributary(&dir, "b.db", Some(CONFIG), &["proxy", "check", &url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("signature"), "{}", stderr(&out));

    // A tampered URL: refused.
    let tampered = url.replacen("/proxy/", "/proxy/x", 1);
    let out = tributary(&dir, "a.db", Some(CONFIG), &["proxy", "check", &tampered]);
    assert_eq!(out.status.code(), Some(1));
    // An expired one (one second of life, checked two seconds later).
    let out = tributary(
        &dir,
        "a.db",
        Some(CONFIG),
        &["proxy", "sign", "--ttl", "1s", IMG],
    );
    let short = stdout(&out).trim().to_owned();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let out = tributary(&dir, "a.db", Some(CONFIG), &["proxy", "check", &short]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("expired"), "{}", stderr(&out));
}

#[test]
fn a_configured_secret_signs_alike_on_every_database() {
    let dir = TempDir::new().unwrap();
    let config =
        "[privacy]\nmedia_proxy = \"all\"\nproxy_secret = \"one secret for the whole cluster\"\n";
    let out = tributary(&dir, "a.db", Some(config), &["proxy", "sign", IMG]);
    assert!(out.status.success(), "{}", stderr(&out));
    let url = stdout(&out).trim().to_owned();
    // Without public_url: the serve address.
    assert!(url.starts_with("http://127.0.0.1:8080/proxy/"), "{url}");
    let out = tributary(&dir, "b.db", Some(config), &["proxy", "check", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn bad_input_is_a_plain_error() {
    let dir = TempDir::new().unwrap();
    for (args, needle) in [
        (
            vec!["proxy", "sign", "file:///etc/passwd"],
            "not an http or https URL",
        ),
        (vec!["proxy", "sign", "img.png"], "not an absolute URL"),
        (
            vec!["proxy", "check", "https://news.example.org/elsewhere"],
            "not a proxy URL",
        ),
    ] {
        let out = tributary(&dir, "a.db", Some(CONFIG), &args);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    // With the proxy off, sign still works but says the server refuses it.
    let out = tributary(&dir, "a.db", None, &["proxy", "sign", IMG]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("media_proxy is \"off\""),
        "{}",
        stderr(&out)
    );
    // A bad [privacy] section is a usage error naming the key.
    let out = tributary(
        &dir,
        "a.db",
        Some("[privacy]\nmedia_proxy = \"maybe\"\n"),
        &["proxy", "sign", IMG],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("privacy.media_proxy"),
        "{}",
        stderr(&out)
    );
}
