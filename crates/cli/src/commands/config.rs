//! `config example` and `config check [FILE]`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use crate::args::ConfigCommand;
use crate::settings::{default_config_path, Settings};

/// The commented example configuration: every key with its default.
pub const EXAMPLE: &str = include_str!("../../../../docs/config.example.toml");

/// Run a `config` command; `flag` is `--config`. Exit 0, or 2 for a bad file.
pub fn run(command: &ConfigCommand, flag: Option<&Path>) -> ExitCode {
    match command {
        ConfigCommand::Example => {
            let mut out = std::io::stdout().lock();
            match out.write_all(EXAMPLE.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("tributary: cannot write the example: {e}");
                    ExitCode::from(1)
                }
            }
        }
        ConfigCommand::Check { file } => {
            let file = file.as_deref().or(flag);
            match Settings::load(file) {
                Ok(settings) => {
                    match (&settings.config_file, file) {
                        (Some(path), _) => println!("{}: ok", path.display()),
                        (None, _) => println!(
                            "no config file ({} does not exist): the defaults and the environment are ok",
                            default_config_path()
                                .map_or_else(|| "~/.config/tributary/config.toml".into(), |p| p.display().to_string())
                        ),
                    }
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("tributary: {err:#}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_example_resolves_to_the_defaults() {
        let file = crate::config::parse(super::EXAMPLE).expect("the example parses");
        let s = Settings::resolve(file, None).expect("the example resolves");
        assert_eq!(s.web.page_size, 50);
        assert_eq!(s.serve.listen.to_string(), "127.0.0.1:8080");
    }

    use super::Settings;
}
