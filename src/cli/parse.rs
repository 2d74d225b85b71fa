//! Reading the command line and the environment into a [`Cli`]: empty variables count as
//! unset, a variable that is not UTF-8 is named (its value never shown), and the `LABELS_*`
//! variables are gathered; and the inputs the flags name, as [`Source`]s.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches};

use super::{Cli, OutputFormat, LABELS_PREFIX};
use crate::input::{Location, Source};
use crate::results;

impl Cli {
    /// Parses `args` (the program name first) with the process's environment.
    pub fn parse_from_env(args: impl IntoIterator<Item = OsString>) -> Result<Cli, CliError> {
        let mut command = Cli::command().mut_args(|arg| arg.hide_env_values(true));
        let declared: Vec<(String, String)> = command
            .get_arguments()
            .filter_map(|arg| {
                let name = arg.get_env()?.to_str()?.to_owned();
                Some((arg.get_id().to_string(), name))
            })
            .collect();
        for (id, name) in declared {
            let Some(value) = std::env::var_os(&name) else {
                continue;
            };
            if utf8(&name, &value)?.trim().is_empty() {
                command = command.mut_arg(&id, |arg| arg.env(None));
            }
        }
        let matches = command.try_get_matches_from(args).map_err(CliError::Clap)?;
        let mut cli = Cli::from_arg_matches(&matches).map_err(CliError::Clap)?;
        for (key, value) in std::env::vars_os() {
            let Some(label) = key
                .as_encoded_bytes()
                .strip_prefix(LABELS_PREFIX.as_bytes())
            else {
                continue;
            };
            let value = utf8(&key.to_string_lossy(), &value)?;
            let label = String::from_utf8_lossy(label).to_lowercase();
            if !label.is_empty() && !value.trim().is_empty() {
                cli.env_labels.push((label, value.to_owned()));
            }
        }
        cli.env_labels.sort();
        Ok(cli)
    }

    /// The report format `args` ask for, read leniently: for reporting an error in them.
    pub fn output_format(args: &[OsString]) -> OutputFormat {
        let matches = Cli::command()
            .ignore_errors(true)
            .try_get_matches_from(args);
        matches
            .ok()
            .and_then(|m| m.get_one::<OutputFormat>("output").copied())
            .unwrap_or(OutputFormat::Text)
    }

    /// The inputs, in the order they are read: metrics, JSON documents, line protocol,
    /// histograms, results.
    pub fn sources(&self) -> Vec<Source> {
        let metrics = self
            .metrics
            .iter()
            .enumerate()
            .map(|(i, text)| Source::Argument {
                text: text.clone(),
                index: i as u32 + 1,
            });
        let location = |path: &PathBuf| Location::from_arg(path.clone());
        let json = self.inputs.iter().map(|p| Source::Json(location(p)));
        let lines = self.lines.iter().map(|p| Source::Lines(location(p)));
        let histograms = self.histograms.iter().map(|(name, path)| Source::Samples {
            name: name.clone(),
            location: location(path),
            bounds: self.bounds.as_ref().map(|b| b.0.clone()),
        });
        let bounds = self.bounds.as_ref().map(|b| b.0.clone());
        let settings = results::Settings::new(self.results_format, bounds, &self.integration);
        let results = self.results.iter().map(|p| Source::Results {
            location: location(p),
            settings: settings.clone(),
        });
        let inputs = metrics.chain(json).chain(lines).chain(histograms);
        inputs.chain(results).collect()
    }
}

/// Why the command line could not be read.
#[derive(Debug)]
pub enum CliError {
    /// clap's own: a usage error, or `--help`/`--version` (which are not errors).
    Clap(clap::Error),
    Usage(anyhow::Error),
}

fn utf8<'a>(name: &str, value: &'a OsString) -> Result<&'a str, CliError> {
    value.to_str().ok_or_else(|| {
        CliError::Usage(anyhow::anyhow!(
            "the environment variable {name} is not valid UTF-8 (its value is not shown): set \
             it to UTF-8 text or unset it"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;

    fn parse(args: &[&str]) -> Cli {
        Cli::parse_from_env(
            std::iter::once("keptn-dt-metrics")
                .chain(args.iter().copied())
                .map(OsString::from),
        )
        .unwrap()
    }

    #[test]
    fn flags_and_defaults() {
        assert_eq!(parse(&["--prefix", "flag"]).prefix, "flag");
        assert_eq!(parse(&[]).prefix, "keptn");
        assert_eq!(parse(&["--prefix", ""]).prefix, "");
        assert_eq!((parse(&[]).retries, parse(&[]).timeout_secs), (2, 10));
        assert!(!parse(&["--no-gzip"]).gzip);
        assert!(parse(&[]).gzip);
        assert!(!parse(&["--no-metadata-enrichment"]).metadata_enrichment);
        assert!(parse(&["--oneagent"]).oneagent);
    }

    #[test]
    fn input_flags_become_sources_in_reading_order() {
        let cli = parse(&[
            "--lines",
            "l.txt",
            "-m",
            "a=1",
            "--histogram",
            "h=-",
            "--input",
            "m.json",
        ]);
        assert_eq!(
            cli.sources(),
            vec![
                Source::Argument {
                    text: "a=1".into(),
                    index: 1
                },
                Source::Json(Location::File("m.json".into())),
                Source::Lines(Location::File("l.txt".into())),
                Source::Samples {
                    name: "h".into(),
                    location: Location::Stdin,
                    bounds: None
                },
            ]
        );
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let cli = parse(&["--api-token", "dt0c01.SENTINEL"]);
        assert!(!format!("{cli:?}").contains("SENTINEL"));
    }
}
