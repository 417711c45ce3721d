//! The configuration file, through the real binary: bad files are refused
//! with the file, the key and the reason named; a good file changes what the
//! commands do.

mod common;

use std::process::Output;

use common::{start_farm, Env};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Run with `--config FILE` holding `text`, private networks not allowed by the environment.
fn run_with_config(env: &Env, text: &str, args: &[&str]) -> Output {
    let path = env.path("config.toml");
    std::fs::write(&path, text).unwrap();
    let mut cmd = env.cmd(&[]);
    cmd.arg("--config")
        .arg(&path)
        .args(args)
        .env_remove("TRIBUTARY_ALLOW_PRIVATE_NETWORKS");
    cmd.output().unwrap()
}

#[test]
fn an_unknown_key_is_refused_naming_the_file_the_key_and_the_line() {
    let env = Env::new();
    let out = run_with_config(&env, "[fetch]\nconcurency = 3\n", &["feeds"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("config.toml"), "{err}");
    assert!(err.contains("unknown field `concurency`"), "{err}");
    assert!(err.contains("line 2"), "{err}");

    let out = run_with_config(&env, "[fetsch]\n", &["feeds"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown field `fetsch`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_bad_duration_is_refused_naming_the_key_and_the_value() {
    let env = Env::new();
    let out = run_with_config(&env, "[schedule]\nmax_backoff = \"a while\"\n", &["feeds"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("max_backoff"), "{err}");
    assert!(err.contains("invalid duration \"a while\""), "{err}");
    assert!(err.contains("line 2"), "{err}");

    // A value of the right type but out of range is named by its key too.
    let out = run_with_config(&env, "[fetch]\nconcurrency = 0\n", &["feeds"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("fetch.concurrency"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_explicit_config_file_must_exist() {
    let env = Env::new();
    let missing = env.path("nope.toml");
    let out = env
        .cmd(&["feeds"])
        .env("TRIBUTARY_CONFIG", &missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope.toml"), "{}", stderr(&out));
}

#[test]
fn the_file_allows_private_networks_and_sets_the_user_agent() {
    let farm = start_farm();
    let env = Env::new();
    let url = farm.url("/hugo.xml");
    env.ok(&["add", &url, "--no-fetch"]);
    let hits = farm.state.hits("/hugo.xml");

    // Without the file (and without the environment variable): refused.
    let out = run_with_config(&env, "", &["fetch", "--all"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("failed 1"), "{}", stdout(&out));
    assert_eq!(farm.state.hits("/hugo.xml"), hits, "no request may be sent");

    // The environment overrides the file.
    let mut cmd = env.cmd(&[]);
    std::fs::write(
        env.path("allow.toml"),
        "[fetch]\nallow_private_networks = true\n",
    )
    .unwrap();
    let out = cmd
        .arg("--config")
        .arg(env.path("allow.toml"))
        .args(["fetch", "--all"])
        .env("TRIBUTARY_ALLOW_PRIVATE_NETWORKS", "0")
        .output()
        .unwrap();
    assert!(stdout(&out).contains("failed 1"), "{}", stdout(&out));
    assert_eq!(farm.state.hits("/hugo.xml"), hits);

    // With the file: fetched, with the configured User-Agent.
    let text = "[fetch]\nallow_private_networks = true\nuser_agent = \"ConfiguredAgent/7\"\n";
    let out = run_with_config(&env, text, &["fetch", "--all"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("fetched 1"), "{}", stdout(&out));
    assert_eq!(farm.state.hits("/hugo.xml"), hits + 1);
    assert_eq!(
        farm.state.user_agent.lock().unwrap().as_deref(),
        Some("ConfiguredAgent/7")
    );
}

#[test]
fn the_default_config_path_is_read_when_it_exists() {
    let farm = start_farm();
    let env = Env::new();
    let url = farm.url("/ghost.xml");
    env.ok(&["add", &url, "--no-fetch"]);
    // HOME is the temp dir: the default file is ~/.config/tributary/config.toml.
    let dir = env.dir.path().join(".config/tributary");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "[fetch]\nuser_agent = \"DefaultPathAgent/1\"\n",
    )
    .unwrap();
    let out = env
        .cmd(&["fetch", "--all"])
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("TRIBUTARY_CONFIG")
        .output()
        .unwrap();
    assert!(stdout(&out).contains("fetched 1"), "{}", stderr(&out));
    assert_eq!(
        farm.state.user_agent.lock().unwrap().as_deref(),
        Some("DefaultPathAgent/1")
    );
    // A broken default file is an error too, not silently skipped.
    std::fs::write(dir.join("config.toml"), "[fetch]\nuser_agent = 5\n").unwrap();
    let out = env
        .cmd(&["feeds"])
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("TRIBUTARY_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("user_agent"), "{}", stderr(&out));
}

#[test]
fn config_example_prints_a_file_that_config_check_accepts() {
    let env = Env::new();
    let example = env.ok(&["config", "example"]);
    assert!(
        example.contains("[web]") && example.contains("[serve]"),
        "{example}"
    );
    assert!(example.contains("TRIBUTARY_WEB_PUBLIC_URL"), "{example}");
    let path = env.path("example.toml");
    std::fs::write(&path, &example).unwrap();
    let out = env.run(&["config", "check", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("example.toml: ok"),
        "{}",
        stdout(&out)
    );

    // A broken file: exit 2, with the file, the key and the line.
    std::fs::write(&path, "[web]\npage_size = \"many\"\n").unwrap();
    let out = env.run(&["config", "check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("example.toml") && err.contains("page_size") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn environment_variables_override_the_file() {
    let farm = start_farm();
    let env = Env::new();
    let url = farm.url("/hugo.xml");
    env.ok(&["add", &url, "--no-fetch"]);
    let path = env.path("config.toml");
    std::fs::write(&path, "[fetch]\nuser_agent = \"FileAgent/1\"\n").unwrap();
    let out = env
        .cmd(&["--config", path.to_str().unwrap(), "fetch", "--all"])
        .env("TRIBUTARY_FETCH_USER_AGENT", "EnvAgent/2")
        .output()
        .unwrap();
    assert!(stdout(&out).contains("fetched 1"), "{}", stderr(&out));
    assert_eq!(
        farm.state.user_agent.lock().unwrap().as_deref(),
        Some("EnvAgent/2")
    );
}

#[test]
fn a_bad_environment_value_is_refused_naming_the_variable() {
    let env = Env::new();
    for (var, value, also) in [
        ("TRIBUTARY_FETCH_TIMEOUT", "forever", "invalid duration"),
        ("TRIBUTARY_WEB_PAGE_SIZE", "0", "web.page_size"),
        ("TRIBUTARY_WEB_PUBLC_URL", "https://x.example/", "publc_url"),
        ("TRIBUTARY_SERVE_LISTEN", "everywhere", "everywhere"),
    ] {
        let out = env.cmd(&["feeds"]).env(var, value).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}: {}", stdout(&out));
        let err = stderr(&out);
        assert!(err.contains(var) && err.contains(also), "{var}: {err}");
        let out = env
            .cmd(&["config", "check"])
            .env(var, value)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "config check with {var}");
        assert!(stderr(&out).contains(var), "{}", stderr(&out));
    }
}
