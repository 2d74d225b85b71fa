//! The command line: every option declared once, with its environment variable (`env =`), its
//! default and its help text, so that `--help` and the parser cannot drift apart. A small pass
//! before clap treats an empty variable as unset and refuses a variable that is not UTF-8
//! (naming it, never showing its value). Two options merge a variable with their flag instead
//! of letting the flag replace it: `DEFAULT_DIMENSIONS` with `--dimension`, and every
//! `LABELS_<KEY>` with `--label`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser, ValueEnum};

use crate::input::{results, Location, Source};
use crate::secret::Secret;
pub use values::parse_pairs;
use values::{bool_arg, bounds_arg, histogram_arg, ranged, secret_arg};

mod values;

pub const DEFAULT_PREFIX: &str = "keptn";
/// The prefix of the variables that carry Keptn event labels.
pub const LABELS_PREFIX: &str = "LABELS_";

const AFTER_HELP: &str = "\
Every Keptn event label arrives as LABELS_<KEY> and becomes the dimension <key>.
Exit codes: 0 all accepted; 2 usage or configuration error (nothing sent); 3 data refused
(locally or by Dynatrace); 4 delivery failed (auth, network, server).";

#[derive(Debug, Parser)]
#[command(
    name = "keptn-dt-metrics",
    version,
    about = "Send a Keptn task's numbers to Dynatrace as keptn-prefixed metrics and report \
             exactly what was accepted and refused.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// A metric on the command line: `NAME=VALUE`, or a line-protocol line with a relative key,
    /// e.g. `'response_time,region=eu gauge,min=1,max=9,sum=30,count=5'` (repeatable)
    #[arg(short, long = "metric", value_name = "METRIC", help_heading = "Inputs")]
    pub metrics: Vec<String>,

    /// A JSON document of metrics: `[{"name": "x", "value": 1}]` or `{"metrics": [...]}`;
    /// `-` reads stdin (repeatable)
    #[arg(short, long = "input", value_name = "FILE", help_heading = "Inputs")]
    pub inputs: Vec<PathBuf>,

    /// Ready line protocol, one data point per line; keys are kept as written (no prefix), the
    /// Keptn dimensions are added; `-` reads stdin (repeatable)
    #[arg(short, long = "lines", value_name = "FILE", help_heading = "Inputs")]
    pub lines: Vec<PathBuf>,

    /// A histogram from raw samples: NAME=FILE with one number per line; `-` reads stdin
    /// (repeatable)
    #[arg(long = "histogram", value_name = "NAME=FILE", value_parser = histogram_arg, help_heading = "Inputs")]
    pub histograms: Vec<(String, PathBuf)>,

    /// Load-test results, found from the content: JMeter JTL (CSV), Locust's PREFIX_stats.csv,
    /// k6's summary or JSON output (.gz too); `-` reads stdin (repeatable)
    #[arg(long = "results", value_name = "FILE", help_heading = "Inputs")]
    pub results: Vec<PathBuf>,

    /// The format of every --results file, instead of finding it from the content
    #[arg(long, value_name = "NAME", value_enum, help_heading = "Inputs")]
    pub results_format: Option<results::Format>,

    /// Bucket bounds for --histogram and --results, ascending and comma-separated
    /// [default: the OpenTelemetry SDK's 0,5,10,25,50,75,100,250,500,750,1000,2500,5000,7500,10000]
    #[arg(long, value_name = "LIST", value_parser = bounds_arg, help_heading = "Inputs")]
    pub bounds: Option<Bounds>,

    /// Also send every histogram as a line-protocol summary (gauge,min,max,sum,count), for
    /// environments without OTLP histograms
    #[arg(long, env = "DT_HISTOGRAM_SUMMARIES", action = ArgAction::SetTrue, value_parser = bool_arg, help_heading = "Output")]
    pub histogram_summaries: bool,

    /// Keep running: re-read the inputs and send every --interval seconds until SIGTERM or
    /// Ctrl-C, then print the totals; histogram windows follow each other without gaps
    #[arg(long = "loop", help_heading = "Output")]
    pub run_loop: bool,

    /// Seconds between two sends with --loop
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = ranged(None, 1, 86_400), help_heading = "Output")]
    pub interval: u64,

    /// Print the lines that would be sent and the local refusals; send nothing, need no
    /// credentials
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,

    /// Report format on stdout
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Text, help_heading = "Output")]
    pub output: OutputFormat,

    /// Refusals, warnings and invalid lines the report lists, of each kind; the others are
    /// counted ("and N more"), so that the report stays small whatever the input size
    #[arg(long, env = "DT_REPORT_LIMIT", value_name = "N", default_value_t = 1000, value_parser = ranged(Some("DT_REPORT_LIMIT"), 1, 1_000_000), help_heading = "Output")]
    pub report_limit: u64,

    /// Dynatrace environment URL: https://{env}.live.dynatrace.com, https://{domain}/e/{env}
    /// or https://{activegate}:9999/e/{env}; scheme and trailing slash optional
    #[arg(
        long,
        env = "DT_TENANT",
        value_name = "URL",
        help_heading = "Dynatrace"
    )]
    pub tenant: Option<String>,

    /// API token with scope metrics.ingest; prefer the environment variable, which stays out of
    /// the process list
    #[arg(long, env = "DT_API_TOKEN", value_name = "TOKEN", value_parser = secret_arg, help_heading = "Dynatrace")]
    pub api_token: Option<Secret>,

    /// Full metrics ingest URL, instead of {tenant}/api/v2/metrics/ingest; the token is sent if
    /// given
    #[arg(
        long,
        env = "DT_METRICS_URL",
        value_name = "URL",
        help_heading = "Dynatrace"
    )]
    pub metrics_url: Option<String>,

    /// Full OTLP metrics URL, instead of {tenant}/api/v2/otlp/v1/metrics
    #[arg(
        long,
        env = "DT_OTLP_URL",
        value_name = "URL",
        help_heading = "Dynatrace"
    )]
    pub otlp_url: Option<String>,

    /// Send OTLP requests uncompressed instead of gzip-compressed (DT_OTLP_GZIP=false)
    #[arg(long = "no-gzip", env = "DT_OTLP_GZIP", action = ArgAction::SetFalse, value_parser = bool_arg, help_heading = "Dynatrace")]
    pub gzip: bool,

    /// Send to the local OneAgent endpoint (http://localhost:14499/metrics/ingest, no token)
    #[arg(long, env = "DT_ONEAGENT", action = ArgAction::SetTrue, value_parser = bool_arg, help_heading = "Dynatrace")]
    pub oneagent: bool,

    /// Accept self-signed or otherwise invalid TLS certificates
    #[arg(long, env = "INSECURE_SSL", action = ArgAction::SetTrue, value_parser = bool_arg, help_heading = "Dynatrace")]
    pub insecure_ssl: bool,

    /// Extra CA certificates (PEM file) to trust, e.g. for a Managed cluster or ActiveGate
    #[arg(
        long,
        env = "DT_CA_BUNDLE",
        value_name = "FILE",
        help_heading = "Dynatrace"
    )]
    pub ca_bundle: Option<PathBuf>,

    /// Timeout for each HTTP request, in seconds
    #[arg(long, env = "DT_TIMEOUT_SECS", value_name = "SECS", default_value_t = 10, value_parser = ranged(Some("DT_TIMEOUT_SECS"), 1, 600), help_heading = "Dynatrace")]
    pub timeout_secs: u64,

    /// Retries of a request that met a connection failure, 429 or 502/503/504; Retry-After is
    /// honoured
    #[arg(long, env = "DT_RETRIES", value_name = "N", default_value_t = 2, value_parser = ranged(Some("DT_RETRIES"), 0, 10), help_heading = "Dynatrace")]
    pub retries: u64,

    /// Requests in flight at most; halved whenever Dynatrace throttles (429), then growing back
    /// by one at a time; 1 sends one request after the other
    #[arg(long, env = "DT_CONCURRENCY", value_name = "N", default_value_t = 16, value_parser = ranged(Some("DT_CONCURRENCY"), 1, 64), help_heading = "Dynatrace")]
    pub concurrency: u64,

    /// First section of every metric key; `--prefix ''` for none
    #[arg(long, env = "METRIC_PREFIX", value_name = "PREFIX", default_value = DEFAULT_PREFIX, help_heading = "Metrics")]
    pub prefix: String,

    /// Second key section, after the prefix: keptn.<integration>.<name>
    #[arg(
        long,
        env = "INTEGRATION_NAME",
        value_name = "NAME",
        help_heading = "Metrics"
    )]
    pub integration: Option<String>,

    /// Default dimension for every line, lowest precedence (repeatable); merged with
    /// DEFAULT_DIMENSIONS [env: DEFAULT_DIMENSIONS=k=v,k2=v2]
    #[arg(long = "dimension", value_name = "KEY=VALUE", help_heading = "Metrics")]
    pub dimensions: Vec<String>,

    /// `k=v,k2=v2`: documented with --dimension, with which it merges.
    #[arg(long = "default-dimensions", env = "DEFAULT_DIMENSIONS", hide = true)]
    pub default_dimensions: Option<String>,

    /// Keptn project, the dimension keptn_project
    #[arg(
        long,
        env = "KEPTN_PROJECT",
        value_name = "NAME",
        help_heading = "Keptn context"
    )]
    pub keptn_project: Option<String>,

    /// Keptn stage, the dimension keptn_stage
    #[arg(
        long,
        env = "KEPTN_STAGE",
        value_name = "NAME",
        help_heading = "Keptn context"
    )]
    pub keptn_stage: Option<String>,

    /// Keptn service, the dimension keptn_service
    #[arg(
        long,
        env = "KEPTN_SERVICE",
        value_name = "NAME",
        help_heading = "Keptn context"
    )]
    pub keptn_service: Option<String>,

    /// Keptn context ID of the sequence, the dimension keptn_context; job/config.yaml passes
    /// it from the event ($.shkeptncontext)
    #[arg(
        long,
        env = "KEPTN_CONTEXT",
        value_name = "ID",
        help_heading = "Keptn context"
    )]
    pub keptn_context: Option<String>,

    /// Type of the triggering event, the dimension keptn_event_type; job/config.yaml passes it
    /// from the event ($.type)
    #[arg(
        long,
        env = "KEPTN_EVENT_TYPE",
        value_name = "TYPE",
        help_heading = "Keptn context"
    )]
    pub keptn_event_type: Option<String>,

    /// An event label, the dimension <key> (repeatable); merged with the LABELS_<KEY>
    /// variables [env: LABELS_<KEY>]
    #[arg(
        long = "label",
        value_name = "KEY=VALUE",
        help_heading = "Keptn context"
    )]
    pub labels: Vec<String>,

    /// Do not add the dimensions from Dynatrace's metadata files (written by OneAgent or the
    /// Dynatrace operator) (DT_METADATA_ENRICHMENT=false)
    #[arg(long = "no-metadata-enrichment", env = "DT_METADATA_ENRICHMENT", action = ArgAction::SetFalse, value_parser = bool_arg, help_heading = "Keptn context")]
    pub metadata_enrichment: bool,

    /// Where the metadata files are (dt_metadata.properties, dt_host_metadata.properties)
    #[arg(long, env = "DT_METADATA_DIR", value_name = "DIR", default_value = crate::enrichment::DEFAULT_DIR, help_heading = "Keptn context")]
    pub metadata_dir: PathBuf,

    /// The LABELS_<KEY> variables, as (key, value) with the key lowercased.
    #[arg(skip)]
    pub env_labels: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// `--bounds`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounds(pub Vec<f64>);

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
