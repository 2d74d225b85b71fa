//! The resolved, typed configuration of a run, built from the parsed command line: what to read,
//! how to encode it, where to send it. Every check that can fail before anything is read
//! happens here, as a usage error.

use std::time::Duration;

use anyhow::{bail, Result};

use crate::cli::{parse_pairs, Cli, EventArgs, EventType, OutputFormat, Verbosity};
use crate::context::{self, keptn, Context};
use crate::destination::{self, Destination};
use crate::encode::EncodeSettings;
use crate::enrichment;
use crate::input::{Location, Source};
use crate::model::{merge_pairs, Code, Origin, Warning};
use crate::run_dimensions::{self, Rank};

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
    /// GitHub Actions: the file the step's outputs are appended to.
    pub github_output: Option<std::path::PathBuf>,
    /// A run (not `--loop`) ends this long after it started, report included.
    pub deadline: Option<Duration>,
    /// Entries the report lists of each kind.
    pub report_limit: usize,
    /// `--quiet`, `--verbose`: how much goes to stderr and into the text report.
    pub verbosity: Verbosity,
    /// The pipeline the run belongs to, and what identifies the run.
    pub context: Context,
    /// What the configuration changed on the way (dimensions, the tenant URL), for the report.
    pub warnings: Vec<Warning>,
    /// `--event`, `--sdlc-event`: the events to send after the metrics.
    pub event: Option<EventSettings>,
}

/// What the user said of the events to send after the metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSettings {
    /// The Events API v2 event (`--event`).
    pub event: bool,
    /// The OpenPipeline SDLC event (`--sdlc-event`).
    pub sdlc: bool,
    pub event_type: EventType,
    pub title: Option<String>,
    /// `DT_EVENT_PROPERTIES` merged with `--event-property` (the flag wins on a key).
    pub properties: Vec<(String, String)>,
    pub entity_selector: Option<String>,
}

impl EventSettings {
    fn from_args(args: &EventArgs) -> Result<Option<EventSettings>> {
        if !args.any() {
            return Ok(None);
        }
        let from_env = match &args.env_properties {
            Some(list) => parse_pairs(list.split(','), "DT_EVENT_PROPERTIES", false)?,
            None => Vec::new(),
        };
        let flags = args.event_properties.iter().map(String::as_str);
        let from_flags = parse_pairs(flags, "--event-property", true)?;
        let properties = merge_pairs(
            from_env
                .into_iter()
                .chain(from_flags)
                .map(|p| (p.key, p.value)),
        );
        let text = |t: &Option<String>| -> Option<String> {
            let t = t.as_deref()?.trim();
            (!t.is_empty()).then(|| t.to_owned())
        };
        Ok(Some(EventSettings {
            event: args.event,
            sdlc: args.sdlc_event,
            event_type: args.event_type,
            title: text(&args.event_title),
            properties,
            entity_selector: text(&args.event_entity_selector),
        }))
    }

    /// The events' URLs must be there before anything is sent.
    fn check(&self, destination: &Destination) -> Result<()> {
        if self.event && destination.events_url.is_none() {
            bail!(
                "--event (DT_EVENT) needs DT_TENANT (--tenant): the Events API is on the \
                 environment's API host, which neither the OneAgent's endpoint nor \
                 DT_METRICS_URL/DT_OTLP_URL names"
            );
        }
        if let (true, Err(why)) = (self.sdlc, &destination.sdlc_url) {
            bail!(
                "--sdlc-event (DT_SDLC_EVENT) needs a SaaS environment's DT_TENANT \
                 (https://{{env-id}}.live.dynatrace.com): {why}"
            );
        }
        Ok(())
    }
}

impl Config {
    /// With events to send, the metrics end this long before the deadline, so that the events
    /// still go inside it: one request's timeout, at most a quarter of the deadline.
    pub fn time_kept_for_events(&self) -> Duration {
        match (&self.event, &self.destination, self.deadline) {
            (Some(_), Some(destination), Some(deadline)) => destination.timeout.min(deadline / 4),
            _ => Duration::ZERO,
        }
    }

    /// How long after the run started a failed request may still be retried (or halved).
    pub fn retry_budget(&self) -> Duration {
        self.destination
            .as_ref()
            .map_or(Duration::ZERO, |d| d.retry_budget)
    }

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
        let defaults = match &cli.default_dimensions {
            Some(list) => parse_pairs(list.split(','), "DEFAULT_DIMENSIONS", false)?,
            None => Vec::new(),
        };
        let flag_defaults = parse_pairs(
            cli.dimensions.iter().map(String::as_str),
            "--dimension",
            true,
        )?;
        let flag_labels = parse_pairs(cli.labels.iter().map(String::as_str), "--label", true)?;
        let keptn = keptn::Context {
            project: cli.keptn_project.clone(),
            stage: cli.keptn_stage.clone(),
            service: cli.keptn_service.clone(),
            keptn_context: match &cli.keptn_context {
                Some(raw) => keptn::KeptnContext::parse(raw)?,
                None => None,
            },
            event_type: cli.keptn_event_type.clone(),
        };
        let event = EventSettings::from_args(&cli.event)?;
        let context = context::read(cli.ci_platform.as_deref(), &keptn, &cli.ci);
        let metadata_files = match cli.metadata_enrichment {
            true => enrichment::read_metadata(&cli.metadata_dir),
            false => Vec::new(),
        };
        let labels_and_metadata = context
            .metadata
            .iter()
            .cloned()
            .chain(cli.env_labels.iter().cloned())
            .chain(flag_labels)
            .collect();
        let dimensions = run_dimensions::resolve(
            vec![
                (Rank::Default, [defaults, flag_defaults].concat()),
                (Rank::LabelsAndMetadata, labels_and_metadata),
                (Rank::MetadataFiles, metadata_files),
                (Rank::Context, context.dimensions.clone()),
            ],
            cli.api_token.as_ref(),
        )?;
        let mut warnings = dimensions.warnings;

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
                retry_budget: Duration::from_secs(cli.retry_budget_secs.min(match cli.run_loop {
                    true => u64::MAX,
                    false => cli.deadline_secs,
                })),
                insecure_tls: cli.insecure_ssl,
                ca_bundle: cli.ca_bundle,
                allow_plain_http: cli.allow_plain_http,
                proxy: cli.proxy,
            })?)
        };
        if let (Some(event), Some(destination)) = (&event, &destination) {
            event.check(destination)?;
        }
        for note in destination.iter().flat_map(|d| &d.notes) {
            warnings.push(Warning {
                origin: Origin::whole("DT_TENANT (--tenant)"),
                code: Code::TenantUrlChanged,
                text: note.clone(),
            });
        }

        Ok(Config {
            sources,
            output: cli.output,
            encoding: EncodeSettings {
                key_prefix,
                default_dimensions: dimensions.defaults,
                static_dimensions: dimensions.run,
                resource_attributes: context.resource_attributes.clone(),
            },
            destination,
            histogram_summaries: cli.histogram_summaries,
            loop_interval: cli.run_loop.then(|| Duration::from_secs(cli.interval)),
            concurrency: cli.concurrency as usize,
            github_output: cli.github_output,
            deadline: (!cli.run_loop).then(|| Duration::from_secs(cli.deadline_secs)),
            report_limit: cli.report_limit as usize,
            verbosity,
            context,
            warnings,
            event,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Environment;

    fn config_with(args: &[&str], vars: &[(&str, &str)]) -> Result<Config> {
        let args = std::iter::once("keptn-dt-metrics").chain(args.iter().copied());
        let env = Environment::read(vars.iter().map(|(k, v)| (k.into(), v.into())))
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let cli =
            Cli::parse_from(args.map(Into::into), env).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Config::from_cli(cli)
    }

    fn config(args: &[&str]) -> Result<Config> {
        config_with(args, &[])
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn default_dimensions_merge_and_the_keptn_context_is_the_runs() {
        let config = config_with(
            &[
                "--dry-run",
                "-m",
                "x=1",
                "--keptn-project",
                "flagproject",
                "--dimension",
                "team=c",
                "--no-metadata-enrichment",
            ],
            &[("DEFAULT_DIMENSIONS", "team=a, owner=b")],
        )
        .unwrap();
        assert_eq!(
            config.encoding.default_dimensions,
            vec![pair("team", "c"), pair("owner", "b")]
        );
        assert_eq!(
            config.encoding.static_dimensions,
            vec![
                pair("ci_platform", "keptn"),
                pair("keptn_project", "flagproject")
            ]
        );
        assert_eq!(config.warnings[0].origin.to_string(), "DEFAULT_DIMENSIONS");
        assert!(config.destination.is_none());
    }

    #[test]
    fn metadata_files_rank_above_labels_and_below_the_runs_context_every_change_warned() {
        let dir = std::env::temp_dir().join(format!("kdm-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("dt_metadata.properties"),
            "k8s.pod.name=job-1\nkeptn_stage=meta\nteam=files\n",
        )
        .unwrap();
        let dir_arg = dir.display().to_string();
        let base = [
            "--dry-run",
            "-m",
            "x=1",
            "--keptn-stage",
            "dev",
            "--label",
            "team=label",
        ];
        let with = config(&[&base[..], &["--metadata-dir", &dir_arg]].concat()).unwrap();
        assert_eq!(
            with.encoding.static_dimensions,
            vec![
                pair("ci_platform", "keptn"),
                pair("keptn_stage", "dev"),
                pair("k8s.pod.name", "job-1"),
                pair("team", "files"),
            ]
        );
        let warnings: Vec<(String, Code)> = with
            .warnings
            .iter()
            .map(|w| (w.origin.to_string(), w.code))
            .collect();
        assert_eq!(
            warnings,
            vec![
                ("--label #1".to_owned(), Code::DimensionOverridden),
                (
                    "dt_metadata.properties".to_owned(),
                    Code::DimensionOverridden
                ),
            ]
        );
        let args = [
            &base[..],
            &["--metadata-dir", &dir_arg, "--no-metadata-enrichment"],
        ]
        .concat();
        let without = config(&args).unwrap();
        assert_eq!(without.encoding.static_dimensions.len(), 3);
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
