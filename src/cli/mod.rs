//! The command line: every option declared once, with its environment variable (`env =`), its
//! default and its help text, so that `--help` and the parser cannot drift apart. A small pass
//! before clap treats an empty variable as unset and refuses a variable that is not UTF-8
//! (naming it, never showing its value). Two options merge a variable with their flag instead
//! of letting the flag replace it: `DEFAULT_DIMENSIONS` with `--dimension`, and every
//! `LABELS_<KEY>` with `--label`.

use std::path::PathBuf;

use clap::{ArgAction, Parser, ValueEnum};

use crate::results;
use crate::secret::Secret;
pub use parse::CliError;
pub use values::parse_pairs;
use values::{bool_arg, bounds_arg, histogram_arg, ranged, secret_arg};

mod parse;
mod values;

pub const DEFAULT_PREFIX: &str = "keptn";
/// The prefix of the variables that carry Keptn event labels.
pub const LABELS_PREFIX: &str = "LABELS_";

const AFTER_HELP: &str = "\
Exit codes: 0 all accepted; 2 usage error, nothing sent; 3 data refused; 4 delivery failed.
--help shows every option at length, with examples.";

const AFTER_LONG_HELP: &str = "\
Examples:
  Print what would be sent, needing no credentials:
    keptn-dt-metrics --dry-run --input examples/loadtest.json
  A load test's results as JMeter, Locust or k6 wrote them:
    keptn-dt-metrics --dry-run --results examples/jmeter-results.jtl
  Send two metrics and a histogram of the samples on stdin to a tenant:
    seq 1 100 | DT_TENANT=https://abc12345.live.dynatrace.com DT_API_TOKEN=dt0c01.XXXX \\
      keptn-dt-metrics -m build_time=42.5 -m 'deploys count,delta=1' --histogram latency=-
  Ready line protocol from stdin, the report as JSON:
    printf 'app.deploys,region=eu 1\\n' | keptn-dt-metrics --dry-run --lines - -o json

Every Keptn event label arrives as LABELS_<KEY> and becomes the dimension <key>. Today's Keptn
sets KEPTN_CONTEXT to its task's JSON, whose fields become dimensions too.

Exit codes: 0 all accepted (dry run: nothing refused); 2 usage or configuration error, nothing
sent; 3 some data refused, locally or by Dynatrace, the rest accepted; 4 delivery failed (auth,
network, server, unconfirmed lines, or a stop by SIGTERM/SIGINT that left data unsent).";

#[derive(Debug, Parser)]
#[command(
    name = "keptn-dt-metrics",
    version,
    about = "Send a Keptn task's numbers to Dynatrace and report exactly what was accepted.",
    long_about = "Send a Keptn task's numbers to Dynatrace as keptn-prefixed metrics (line \
                  protocol) and histograms (OTLP), and report exactly what was accepted and \
                  refused, line by line, with the input each line came from.",
    after_help = AFTER_HELP,
    after_long_help = AFTER_LONG_HELP
)]
pub struct Cli {
    /// A metric: NAME=VALUE, or a line-protocol line (repeatable)
    ///
    /// NAME=VALUE is a gauge; a line such as 'response_time,region=eu
    /// gauge,min=1,max=9,sum=30,count=5' gives dimensions and other payloads. The key gets the
    /// prefix. A malformed one is a usage error: nothing is sent.
    #[arg(short, long = "metric", value_name = "METRIC", help_heading = "Inputs")]
    pub metrics: Vec<String>,

    /// A JSON document of metrics and histograms; - reads stdin (repeatable)
    ///
    /// The guide's list [{"name": "x", "value": 1}] as it stands, or {"dimensions": {..},
    /// "metrics": [..], "histograms": [..]}. Read as it streams in: a bad entry is refused with
    /// its JSON path, the others are sent.
    #[arg(short, long = "input", value_name = "FILE", help_heading = "Inputs")]
    pub inputs: Vec<PathBuf>,

    /// Ready line protocol; - reads stdin (repeatable)
    ///
    /// One data point per line, metadata lines included; keys are kept as written (no prefix),
    /// the Keptn and default dimensions are added. A bad line is refused with its number.
    #[arg(short, long = "lines", value_name = "FILE", help_heading = "Inputs")]
    pub lines: Vec<PathBuf>,

    /// A histogram from samples: NAME=FILE, one number per line (repeatable)
    ///
    /// Sent over OTLP as a DELTA explicit-bucket histogram; - reads stdin.
    #[arg(long = "histogram", value_name = "NAME=FILE", value_parser = histogram_arg, help_heading = "Inputs")]
    pub histograms: Vec<(String, PathBuf)>,

    /// Load-test results: JMeter JTL, Locust CSV, k6 summary or JSON output (repeatable)
    ///
    /// The format is found from the content (--results-format says it instead); .gz files are
    /// read as such and - reads stdin. Each request label becomes keptn.loadtest.* metrics
    /// (requests, failures, error_rate, response_time and its percentiles) and an OTLP
    /// histogram of response times.
    #[arg(long = "results", value_name = "FILE", help_heading = "Inputs")]
    pub results: Vec<PathBuf>,

    /// The format of every --results file, instead of finding it from the content
    #[arg(long, value_name = "NAME", value_enum, help_heading = "Inputs")]
    pub results_format: Option<results::Format>,

    /// Bucket bounds for --histogram and --results, ascending, comma-separated
    ///
    /// [default: the OpenTelemetry SDK's 0,5,10,25,50,75,100,250,500,750,1000,2500,5000,7500,
    /// 10000]
    #[arg(long, value_name = "LIST", value_parser = bounds_arg, help_heading = "Inputs")]
    pub bounds: Option<Bounds>,

    /// Also send each histogram as a line-protocol summary
    ///
    /// gauge,min=..,max=..,sum=..,count=.., for environments that do not ingest OTLP
    /// histograms.
    #[arg(long, env = "DT_HISTOGRAM_SUMMARIES", action = ArgAction::SetTrue, value_parser = bool_arg, help_heading = "Output")]
    pub histogram_summaries: bool,

    /// Send every --interval until SIGTERM or Ctrl-C, then print the totals
    ///
    /// Each round re-reads the inputs; histogram windows follow each other without gaps.
    #[arg(long = "loop", help_heading = "Output")]
    pub run_loop: bool,

    /// Seconds between two rounds of --loop
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = ranged(None, 1, 86_400), help_heading = "Output")]
    pub interval: u64,

    /// Print what would be sent; send nothing, need no credentials
    ///
    /// The lines on stdout as they would go out, then each OTLP request as compact JSON on a
    /// line of its own; the summary, refusals and warnings on stderr.
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,

    /// Report format on stdout
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Text, help_heading = "Output")]
    pub output: OutputFormat,

    /// Entries the report lists of each kind
    ///
    /// Refusals, warnings and invalid lines beyond this are counted ("and N more"), so that the
    /// report stays small whatever the input size.
    #[arg(long, env = "DT_REPORT_LIMIT", value_name = "N", default_value_t = 1000, value_parser = ranged(Some("DT_REPORT_LIMIT"), 1, 1_000_000), help_heading = "Output")]
    pub report_limit: u64,

    /// Only the summary: no warnings listed, no retry or round lines
    #[arg(short, long, conflicts_with = "verbose", help_heading = "Output")]
    pub quiet: bool,

    /// Also one stderr line per request answered
    #[arg(short, long, help_heading = "Output")]
    pub verbose: bool,

    /// Dynatrace environment URL
    ///
    /// https://{env}.live.dynatrace.com, https://{domain}/e/{env} or
    /// https://{activegate}:9999/e/{env}; scheme and trailing slash optional.
    #[arg(
        long,
        env = "DT_TENANT",
        value_name = "URL",
        help_heading = "Dynatrace"
    )]
    pub tenant: Option<String>,

    /// API token with scope metrics.ingest
    ///
    /// Prefer the variable: a flag shows in the process list.
    #[arg(long, env = "DT_API_TOKEN", value_name = "TOKEN", value_parser = secret_arg, help_heading = "Dynatrace")]
    pub api_token: Option<Secret>,

    /// Full metrics ingest URL, instead of {tenant}/api/v2/metrics/ingest
    ///
    /// The token is sent if given.
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

    /// Send OTLP requests uncompressed (DT_OTLP_GZIP=false)
    #[arg(long = "no-gzip", env = "DT_OTLP_GZIP", action = ArgAction::SetFalse, value_parser = bool_arg, help_heading = "Dynatrace")]
    pub gzip: bool,

    /// Send to the local OneAgent endpoint, without a token
    ///
    /// http://localhost:14499/metrics/ingest and /otlp/v1/metrics.
    #[arg(long, env = "DT_ONEAGENT", action = ArgAction::SetTrue, value_parser = bool_arg, help_heading = "Dynatrace")]
    pub oneagent: bool,

    /// Accept self-signed or otherwise invalid TLS certificates
    #[arg(long, env = "INSECURE_SSL", action = ArgAction::SetTrue, value_parser = bool_arg, help_heading = "Dynatrace")]
    pub insecure_ssl: bool,

    /// Send the token over plain http:// to another host
    ///
    /// Refused otherwise, since the token would cross the network in clear text; this machine
    /// (localhost, 127.0.0.0/8, ::1) is always allowed.
    #[arg(long, env = "DT_ALLOW_PLAIN_HTTP", action = ArgAction::SetTrue, value_parser = bool_arg, help_heading = "Dynatrace")]
    pub allow_plain_http: bool,

    /// Extra CA certificates to trust (a PEM file)
    ///
    /// E.g. for a Managed cluster or an ActiveGate with its own certificate authority.
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

    /// Retries of a request after a connection failure, 429 or 502/503/504
    ///
    /// Retry-After is honoured, in seconds or as an HTTP date (60 s at most).
    #[arg(long, env = "DT_RETRIES", value_name = "N", default_value_t = 2, value_parser = ranged(Some("DT_RETRIES"), 0, 10), help_heading = "Dynatrace")]
    pub retries: u64,

    /// No retry begins later than this many seconds after the run started
    ///
    /// The job-executor's task in job/config.yaml waits 180 s.
    #[arg(long, env = "DT_RETRY_BUDGET_SECS", value_name = "SECS", default_value_t = 120, value_parser = ranged(Some("DT_RETRY_BUDGET_SECS"), 0, 3600), help_heading = "Dynatrace")]
    pub retry_budget_secs: u64,

    /// Requests in flight at most
    ///
    /// Halved whenever Dynatrace throttles (429), then growing back one at a time; 1 sends one
    /// request after the other.
    #[arg(long, env = "DT_CONCURRENCY", value_name = "N", default_value_t = 16, value_parser = ranged(Some("DT_CONCURRENCY"), 1, 64), help_heading = "Dynatrace")]
    pub concurrency: u64,

    /// First section of every metric key; --prefix '' for none
    #[arg(long, env = "METRIC_PREFIX", value_name = "PREFIX", default_value = DEFAULT_PREFIX, help_heading = "Metrics")]
    pub prefix: String,

    /// Second key section: keptn.<integration>.<name>
    #[arg(
        long,
        env = "INTEGRATION_NAME",
        value_name = "NAME",
        help_heading = "Metrics"
    )]
    pub integration: Option<String>,

    /// A dimension for every line, lowest precedence (repeatable)
    ///
    /// Merged with DEFAULT_DIMENSIONS=k=v,k2=v2 (the flag wins on the same key).
    /// [env: DEFAULT_DIMENSIONS]
    #[arg(long = "dimension", value_name = "KEY=VALUE", help_heading = "Metrics")]
    pub dimensions: Vec<String>,

    /// k=v,k2=v2: documented with --dimension, with which it merges.
    #[arg(long = "default-dimensions", env = "DEFAULT_DIMENSIONS", hide = true)]
    pub default_dimensions: Option<String>,

    /// Keptn project: the dimension keptn_project
    #[arg(
        long,
        env = "KEPTN_PROJECT",
        value_name = "NAME",
        help_heading = "Keptn context"
    )]
    pub keptn_project: Option<String>,

    /// Keptn stage: the dimension keptn_stage
    #[arg(
        long,
        env = "KEPTN_STAGE",
        value_name = "NAME",
        help_heading = "Keptn context"
    )]
    pub keptn_stage: Option<String>,

    /// Keptn service: the dimension keptn_service
    #[arg(
        long,
        env = "KEPTN_SERVICE",
        value_name = "NAME",
        help_heading = "Keptn context"
    )]
    pub keptn_service: Option<String>,

    /// The Keptn context: today's Keptn's task JSON, or a job-executor context ID
    ///
    /// Today's Keptn sets it to the task's context (app, workload, their versions, task and
    /// object type, metadata), each field a dimension (keptn_app, keptn_workload, ...). For the
    /// job-executor it is the sequence's context ID, the dimension keptn_context, which
    /// job/config.yaml passes from the event ($.shkeptncontext).
    #[arg(
        long,
        env = "KEPTN_CONTEXT",
        value_name = "JSON|ID",
        help_heading = "Keptn context"
    )]
    pub keptn_context: Option<String>,

    /// Type of the triggering event: the dimension keptn_event_type
    ///
    /// job/config.yaml passes it from the event ($.type).
    #[arg(
        long,
        env = "KEPTN_EVENT_TYPE",
        value_name = "TYPE",
        help_heading = "Keptn context"
    )]
    pub keptn_event_type: Option<String>,

    /// An event label: the dimension <key> (repeatable)
    ///
    /// Merged with the LABELS_<KEY> variables the job-executor sets (the flag wins on the same
    /// key). [env: LABELS_<KEY>]
    #[arg(
        long = "label",
        value_name = "KEY=VALUE",
        help_heading = "Keptn context"
    )]
    pub labels: Vec<String>,

    /// Leave out Dynatrace's metadata files' dimensions (DT_METADATA_ENRICHMENT=false)
    ///
    /// The files OneAgent or the Dynatrace operator write, whose pairs are added, top
    /// precedence, as the official clients do.
    #[arg(long = "no-metadata-enrichment", env = "DT_METADATA_ENRICHMENT", action = ArgAction::SetFalse, value_parser = bool_arg, help_heading = "Keptn context")]
    pub metadata_enrichment: bool,

    /// Where Dynatrace's metadata files are
    ///
    /// dt_metadata.properties, dt_host_metadata.properties and OneAgent's indirection file.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

impl Cli {
    pub fn verbosity(&self) -> Verbosity {
        match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (_, true) => Verbosity::Verbose,
            _ => Verbosity::Normal,
        }
    }
}
