//! The resolved, typed configuration of a run, built from the parsed command line: what to read,
//! how to encode it, where to send it. Every check that can fail before anything is read
//! happens here, as a usage error.

use std::time::Duration;

use anyhow::{bail, Result};

use crate::cli::{parse_pairs, Cli, OutputFormat, Verbosity};
use crate::destination::{self, Destination};
use crate::encode::EncodeSettings;
use crate::input::{Location, Source};
use crate::model::merge_pairs;
use crate::{enrichment, keptn};

#[derive(Debug, Clone)]
pub struct Config {
    pub sources: Vec<Source>,
    pub output: OutputFormat,
    pub encoding: EncodeSettings,
    /// Where to send; `None` in a dry run.
    pub destination: Option<Destination>,
    pub histogram_summaries: bool,
    /// `--loop`: the time between two sends.
    pub loop_interval: Option<Duration>,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Entries the report lists of each kind.
    pub report_limit: usize,
    /// `--quiet`, `--verbose`: how much goes to stderr and into the text report.
    pub verbosity: Verbosity,
}

impl Config {
    pub fn from_cli(cli: Cli) -> Result<Config> {
        let sources = cli.sources();
        let verbosity = cli.verbosity();
        if sources.is_empty() {
            bail!(
                "nothing to send: give --metric NAME=VALUE, --input FILE (JSON), --lines FILE \
                 (line protocol), --histogram NAME=FILE or --results FILE (JMeter, Locust, k6); \
                 see --help"
            );
        }
        let stdin_count = sources
            .iter()
            .filter(|s| s.location() == Some(&Location::Stdin))
            .count();
        if stdin_count > 1 {
            bail!(
                "stdin (`-`) can be read only once: give it to one --input, --lines, --histogram or \
                 --results"
            );
        }
        if cli.run_loop && stdin_count > 0 {
            bail!(
                "--loop re-reads its inputs every round, which stdin (`-`) cannot give: use files"
            );
        }
        if cli.run_loop && !cli.results.is_empty() {
            bail!(
                "--loop would send a load test's results again every round, counted twice: \
                 leave out --loop and run once when the test has ended"
            );
        }

        let key_prefix = [
            cli.prefix.as_str(),
            cli.integration.as_deref().unwrap_or(""),
        ]
        .iter()
        .map(|s| s.trim_matches('.'))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(".");
        let mut default_dimensions = match &cli.default_dimensions {
            Some(list) => parse_pairs(list.split(','), "DEFAULT_DIMENSIONS")?,
            None => Vec::new(),
        };
        merge_pairs(
            &mut default_dimensions,
            parse_pairs(cli.dimensions.iter().map(String::as_str), "--dimension")?,
        );

        let mut labels = cli.env_labels.clone();
        merge_pairs(
            &mut labels,
            parse_pairs(cli.labels.iter().map(String::as_str), "--label")?,
        );
        let context = keptn::Context {
            project: cli.keptn_project.clone(),
            stage: cli.keptn_stage.clone(),
            service: cli.keptn_service.clone(),
            keptn_context: match &cli.keptn_context {
                Some(raw) => keptn::KeptnContext::parse(raw)?,
                None => None,
            },
            event_type: cli.keptn_event_type.clone(),
            labels,
        };
        let mut static_dimensions = context.dimensions();
        if cli.metadata_enrichment {
            // Top precedence, as with the official clients.
            merge_pairs(
                &mut static_dimensions,
                enrichment::read_metadata(&cli.metadata_dir),
            );
        }

        let destination = if cli.dry_run {
            None
        } else {
            Some(Destination::resolve(destination::Request {
                tenant: cli.tenant,
                token: cli.api_token,
                metrics_url: cli.metrics_url,
                otlp_url: cli.otlp_url,
                gzip: cli.gzip,
                oneagent: cli.oneagent,
                timeout: Duration::from_secs(cli.timeout_secs),
                retries: cli.retries as u32,
                retry_budget: Duration::from_secs(cli.retry_budget_secs),
                insecure_tls: cli.insecure_ssl,
                ca_bundle: cli.ca_bundle,
                allow_plain_http: cli.allow_plain_http,
                proxy: crate::proxy::ProxyVars::from_env()?,
            })?)
        };

        Ok(Config {
            sources,
            output: cli.output,
            encoding: EncodeSettings {
                key_prefix,
                default_dimensions,
                static_dimensions,
                resource_attributes: context.resource_attributes(),
            },
            destination,
            histogram_summaries: cli.histogram_summaries,
            loop_interval: cli.run_loop.then(|| Duration::from_secs(cli.interval)),
            concurrency: cli.concurrency as usize,
            report_limit: cli.report_limit as usize,
            verbosity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str]) -> Result<Config> {
        let args = std::iter::once("keptn-dt-metrics").chain(args.iter().copied());
        let cli =
            Cli::parse_from_env(args.map(Into::into)).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Config::from_cli(cli)
    }

    #[test]
    fn default_dimensions_merge_and_the_keptn_context_is_static() {
        let config = config(&[
            "--dry-run",
            "-m",
            "x=1",
            "--keptn-project",
            "flagproject",
            "--dimension",
            "team=c",
            "--default-dimensions",
            "team=a, owner=b",
            "--no-metadata-enrichment",
        ])
        .unwrap();
        assert_eq!(
            config.encoding.default_dimensions,
            vec![("team".into(), "c".into()), ("owner".into(), "b".into())]
        );
        assert_eq!(
            config.encoding.static_dimensions,
            vec![
                ("ci_platform".into(), "keptn".into()),
                ("keptn_project".into(), "flagproject".into())
            ]
        );
        assert!(config.destination.is_none());
    }

    #[test]
    fn metadata_files_take_top_precedence_unless_switched_off() {
        let dir = std::env::temp_dir().join(format!("kdm-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("dt_metadata.properties"),
            "k8s.pod.name=job-1\nkeptn_stage=meta\n",
        )
        .unwrap();
        let dir_arg = dir.display().to_string();
        let base = ["--dry-run", "-m", "x=1", "--keptn-stage", "dev"];
        let with = config(&[&base[..], &["--metadata-dir", &dir_arg]].concat()).unwrap();
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(
            with.encoding.static_dimensions,
            vec![
                pair("ci_platform", "keptn"),
                pair("keptn_stage", "meta"),
                pair("k8s.pod.name", "job-1"),
            ]
        );
        let args = [
            &base[..],
            &["--metadata-dir", &dir_arg, "--no-metadata-enrichment"],
        ]
        .concat();
        let without = config(&args).unwrap();
        assert_eq!(without.encoding.static_dimensions.len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn prefix_and_integration_join() {
        let joined = config(&["--dry-run", "-m", "x=1", "--integration", "infracost"]).unwrap();
        assert_eq!(joined.encoding.key_prefix, "keptn.infracost");
        let none = config(&["--dry-run", "-m", "x=1", "--prefix", ""]).unwrap();
        assert_eq!(none.encoding.key_prefix, "");
        let dotted = config(&["--dry-run", "-m", "x=1", "--prefix", "acme."]).unwrap();
        assert_eq!(dotted.encoding.key_prefix, "acme");
    }

    #[test]
    fn usage_errors_say_what_to_do() {
        let message = |args: &[&str]| format!("{:#}", config(args).unwrap_err());
        assert!(message(&["--dry-run"]).starts_with("nothing to send"));
        assert!(message(&["--dry-run", "-i", "-", "-l", "-"]).contains("read only once"));
        assert!(message(&["--dry-run", "--loop", "-i", "-"]).contains("re-reads its inputs"));
        assert!(message(&["--dry-run", "--loop", "--results", "r.jtl"]).contains("counted twice"));
        assert!(message(&["--dry-run", "-m", "x=1", "--label", "nokey"]).contains("--label"));
    }
}
