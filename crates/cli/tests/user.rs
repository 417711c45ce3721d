//! `tributary user add|passwd|remove|list`, the real binary over a real
//! database: accounts are created with argon2id hashes that verify, names
//! and passwords are checked, and mistakes are said in plain words.

mod common;

use std::io::Write;
use std::process::{Output, Stdio};

use common::Env;
use tributary_store::Store;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Whether `password` is the stored password of `name`.
fn password_is(env: &Env, name: &str, password: &str) -> bool {
    block_on(async {
        let store = Store::open(&env.db_url()).await.unwrap();
        let user = store
            .user_by_name(name)
            .await
            .unwrap()
            .expect("user exists");
        let hash = store.password_hash(user.id).await.unwrap().expect("hash");
        store.close().await;
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        tributary_web::auth::verify_password(password, &hash)
    })
}

/// Run with `input` on standard input (not a terminal).
fn with_stdin(env: &Env, args: &[&str], input: &str) -> Output {
    let mut child = env
        .cmd(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn add_list_passwd_and_remove() {
    let env = Env::new();
    let file = env.path("pw");
    std::fs::write(&file, "correct horse\n").unwrap();
    let out = env.ok(&[
        "user",
        "add",
        "alice",
        "--admin",
        "--password-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.trim(), "added alice (admin)");
    assert!(password_is(&env, "alice", "correct horse"));
    assert!(!password_is(&env, "alice", "correct horse\n"));

    // From standard input when it is not a terminal.
    let out = with_stdin(&env, &["user", "add", "bob"], "battery staple\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(password_is(&env, "bob", "battery staple"));

    let list = env.ok(&["user", "list"]);
    let lines: Vec<&str> = list.lines().collect();
    assert!(
        lines[0].starts_with("NAME") && lines[0].contains("SUBSCRIPTIONS"),
        "{list}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("alice") && l.contains("yes")),
        "{list}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("bob") && l.contains(" no ")),
        "{list}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["user", "list", "--json"])).unwrap();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(json[0]["admin"], true);
    assert_eq!(json[1]["subscriptions"], 0);

    let out = with_stdin(&env, &["user", "passwd", "bob"], "a new password\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(password_is(&env, "bob", "a new password"));
    assert!(!password_is(&env, "bob", "battery staple"));

    // Removing asks; without a terminal and without --yes nothing happens.
    let out = with_stdin(&env, &["user", "remove", "bob"], "y\n");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert!(env.ok(&["user", "list"]).contains("bob"));
    env.ok(&["user", "remove", "bob", "--yes"]);
    assert!(!env.ok(&["user", "list"]).contains("bob"));
}

#[test]
fn mistakes_are_said_in_plain_words() {
    let env = Env::new();
    let file = env.path("pw");
    std::fs::write(&file, "long enough\n").unwrap();
    let pw = file.to_str().unwrap();
    env.ok(&["user", "add", "alice", "--admin", "--password-file", pw]);

    let out = env.run(&["user", "add", "alice", "--password-file", pw]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the name \"alice\" is taken"),
        "{}",
        stderr(&out)
    );

    let out = env.run(&["user", "passwd", "nobody", "--password-file", pw]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("unknown user \"nobody\"") && err.contains("alice"),
        "{err}"
    );

    let out = env.run(&["user", "remove", "nobody", "--yes"]);
    assert!(
        stderr(&out).contains("unknown user \"nobody\""),
        "{}",
        stderr(&out)
    );

    std::fs::write(&file, "short\n").unwrap();
    let out = env.run(&["user", "add", "carol", "--password-file", pw]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("at least 8 characters"),
        "{}",
        stderr(&out)
    );

    let out = env.run(&[
        "user",
        "add",
        "carol",
        "--password-file",
        env.path("missing").to_str().unwrap(),
    ]);
    assert!(stderr(&out).contains("missing"), "{}", stderr(&out));

    std::fs::write(&file, "long enough\n").unwrap();
    let out = env.run(&["user", "add", "bad name!", "--password-file", pw]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bad name!"), "{}", stderr(&out));

    // The last admin stays.
    let out = env.run(&["user", "remove", "alice", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("admin"), "{}", stderr(&out));
    assert!(env.ok(&["user", "list"]).contains("alice"));
}

/// Run `tributary ARGS` on a terminal (a pty made by util-linux `script`)
/// with `input` typed on it.
fn on_terminal(env: &Env, args: &str, input: &str) -> Output {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_tributary"));
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("TRIBUTARY_DATABASE", env.db_url())
        .env("HOME", env.dir.path())
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs the command on a pty");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn on_a_terminal_the_password_is_asked_twice() {
    let env = Env::new();
    let out = on_terminal(&env, "user add dave", "pass-word-2\npass-word-2\n");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("Password for dave:") && text.contains("Again:"),
        "{text}"
    );
    assert!(text.contains("added dave"), "{text}");
    assert!(password_is(&env, "dave", "pass-word-2"));

    let out = on_terminal(&env, "user passwd dave", "pass-word-3\nother-word-4\n");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("the two passwords differ"), "{text}");
    assert!(password_is(&env, "dave", "pass-word-2"), "nothing changed");
}

/// `user token add|list|revoke`: the secret is printed once on stdout (its
/// hash is what is stored), listed without it, and revoked by id.
#[test]
fn api_passwords_are_made_listed_and_revoked() {
    let env = Env::new();
    let file = env.path("pw");
    std::fs::write(&file, "long enough\n").unwrap();
    let pw = file.to_str().unwrap();
    env.ok(&["user", "add", "alice", "--password-file", pw]);

    let out = env.run(&["user", "token", "add", "alice", "-d", "newsboat"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let secret = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(secret.len(), 32, "{secret}");
    assert!(stderr(&out).contains("shown only now"), "{}", stderr(&out));
    let found = block_on(async {
        let store = Store::open(&env.db_url()).await.unwrap();
        let hash = tributary_web::auth::api_keys::secret_hash(&secret);
        let found = store.user_by_api_secret(&hash).await.unwrap();
        store.close().await;
        found.map(|(u, t)| (u.username, t.description, t.id))
    });
    let (name, description, id) = found.expect("the secret's hash is stored");
    assert_eq!((name.as_str(), description.as_str()), ("alice", "newsboat"));

    let list = env.ok(&["user", "token", "list", "alice"]);
    assert!(list.lines().next().unwrap().contains("LAST USED"), "{list}");
    assert!(list.contains("newsboat"), "{list}");
    assert!(!list.contains(&secret), "{list}");
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["user", "token", "list", "alice", "--json"])).unwrap();
    assert_eq!(json[0]["id"], id);
    assert!(
        json[0]["last_used"].is_string(),
        "the look-up above was a use"
    );

    let out = env.run(&["user", "token", "revoke", "alice", "999"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("has no API password 999"),
        "{}",
        stderr(&out)
    );
    let out = env.run(&["user", "token", "add", "nobody"]);
    assert!(
        stderr(&out).contains("unknown user \"nobody\""),
        "{}",
        stderr(&out)
    );
    let out = env.run(&["user", "token", "add", "alice", "-d", " "]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("needs a description"),
        "{}",
        stderr(&out)
    );

    env.ok(&["user", "token", "revoke", "alice", &id.to_string()]);
    assert!(env
        .ok(&["user", "token", "list", "alice"])
        .contains("has no API passwords"));
}
