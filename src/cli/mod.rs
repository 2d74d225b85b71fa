//! The command line: every option declared once, with its default and its help text, which
//! names the option's environment variable (`[env: NAME]`). clap reads the flags only; the
//! environment is read in one place, [`environment`], into typed structs, and a flag wins over
//! its variable ([`parse`]). Two options merge a variable with their flag instead of letting the
//! flag replace it: `DEFAULT_DIMENSIONS` with `--dimension`, and every `LABELS_<KEY>` with
//! `--label`.

use std::path::PathBuf;

use clap::{ArgAction, Parser, ValueEnum};

use crate::context::CiVariables;
use crate::model::RunDimension;
use crate::results;
use crate::secret::Secret;
pub use environment::Environment;
pub use event_args::{EventArgs, EventType};
pub use parse::CliError;
pub use values::parse_pairs;
use values::{
    bounds_arg, histogram_arg, ranged, secret_arg, CONCURRENCY, DEADLINE_SECS, INTERVAL_SECS,
    REPORT_LIMIT, RETRIES, RETRY_BUDGET_SECS, TIMEOUT_SECS,
};

pub mod environment;
pub mod event_args;
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
sets KEPTN_CONTEXT to its task's JSON, whose fields become dimensions too. Elsewhere the
pipeline's context is read from its own variables (GitHub Actions, GitLab CI, Jenkins, Azure
Pipelines, Argo Workflows): ci_platform, ci_repository, ci_pipeline, ci_branch, ci_job.

Exit codes: 0 all accepted (dry run: nothing refused); 2 usage or configuration error, nothing
sent; 3 some data refused, locally or by Dynatrace, the rest accepted; 4 delivery failed (auth,
network, server, unconfirmed lines, or a stop by SIGTERM/SIGINT that left data unsent; or the
metrics were accepted and an --event or --sdlc-event was refused or unanswered).";

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

    /// Also send each histogram as a line-protocol summary [env: DT_HISTOGRAM_SUMMARIES]
    ///
    /// gauge,min=..,max=..,sum=..,count=.., for environments that do not ingest OTLP
    /// histograms.
    #[arg(long, action = ArgAction::SetTrue, help_heading = "Output")]
    pub histogram_summaries: bool,

    /// Send every --interval until SIGTERM or Ctrl-C, then print the totals
    ///
    /// Each round re-reads the inputs; histogram windows follow each other without gaps.
    #[arg(long = "loop", help_heading = "Output")]
    pub run_loop: bool,

    /// Seconds between two rounds of --loop
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = ranged(INTERVAL_SECS), help_heading = "Output")]
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

    /// Entries the report lists of each kind [env: DT_REPORT_LIMIT]
    ///
    /// Refusals, warnings and invalid lines beyond this are counted ("and N more"), so that the
    /// report stays small whatever the input size.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = ranged(REPORT_LIMIT), help_heading = "Output")]
    pub report_limit: u64,

    /// Only the summary: no warnings listed, no retry or round lines
    #[arg(short, long, conflicts_with = "verbose", help_heading = "Output")]
    pub quiet: bool,

    /// Also one stderr line per request answered
    #[arg(short, long, help_heading = "Output")]
    pub verbose: bool,

    /// Dynatrace environment URL [env: DT_TENANT]
    ///
    /// https://{env}.live.dynatrace.com, https://{domain}/e/{env} or
    /// https://{activegate}:9999/e/{env}; scheme and trailing slash optional.
    #[arg(long, value_name = "URL", help_heading = "Dynatrace")]
    pub tenant: Option<String>,

    /// API token with scope metrics.ingest (events.ingest for --event) [env: DT_API_TOKEN]
    ///
    /// Prefer the variable: a flag shows in the process list.
    #[arg(long, value_name = "TOKEN", value_parser = secret_arg, help_heading = "Dynatrace")]
    pub api_token: Option<Secret>,

    /// Full metrics ingest URL, instead of {tenant}/api/v2/metrics/ingest [env: DT_METRICS_URL]
    ///
    /// The token is sent if given.
    #[arg(long, value_name = "URL", help_heading = "Dynatrace")]
    pub metrics_url: Option<String>,

    /// Full OTLP metrics URL, instead of {tenant}/api/v2/otlp/v1/metrics [env: DT_OTLP_URL]
    #[arg(long, value_name = "URL", help_heading = "Dynatrace")]
    pub otlp_url: Option<String>,

    /// Send OTLP requests uncompressed [env: DT_OTLP_GZIP=false]
    #[arg(long = "no-gzip", action = ArgAction::SetFalse, help_heading = "Dynatrace")]
    pub gzip: bool,

    /// Send to the local OneAgent endpoint, without a token [env: DT_ONEAGENT]
    ///
    /// http://localhost:14499/metrics/ingest and /otlp/v1/metrics.
    #[arg(long, action = ArgAction::SetTrue, help_heading = "Dynatrace")]
    pub oneagent: bool,

    /// Accept self-signed or otherwise invalid TLS certificates [env: INSECURE_SSL]
    #[arg(long, action = ArgAction::SetTrue, help_heading = "Dynatrace")]
    pub insecure_ssl: bool,

    /// Send the token over plain http:// to another host [env: DT_ALLOW_PLAIN_HTTP]
    ///
    /// Refused otherwise, since the token would cross the network in clear text; this machine
    /// (localhost, 127.0.0.0/8, ::1) is always allowed.
    #[arg(long, action = ArgAction::SetTrue, help_heading = "Dynatrace")]
    pub allow_plain_http: bool,

    /// Extra CA certificates to trust (a PEM file) [env: DT_CA_BUNDLE]
    ///
    /// E.g. for a Managed cluster or an ActiveGate with its own certificate authority.
    #[arg(long, value_name = "FILE", help_heading = "Dynatrace")]
    pub ca_bundle: Option<PathBuf>,

    /// Timeout for each HTTP request, in seconds [env: DT_TIMEOUT_SECS]
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = ranged(TIMEOUT_SECS), help_heading = "Dynatrace")]
    pub timeout_secs: u64,

    /// Retries of a request after a connection failure, 429 or 502/503/504 [env: DT_RETRIES]
    ///
    /// Retry-After is honoured, in seconds or as an HTTP date (60 s at most).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = ranged(RETRIES), help_heading = "Dynatrace")]
    pub retries: u64,

    /// No retry begins later than this many seconds after the run started, nor after the
    /// deadline [env: DT_RETRY_BUDGET_SECS]
    #[arg(long, value_name = "SECS", default_value_t = 120, value_parser = ranged(RETRY_BUDGET_SECS), help_heading = "Dynatrace")]
    pub retry_budget_secs: u64,

    /// The run ends this many seconds after it started, report included [env: DT_DEADLINE_SECS]
    ///
    /// Past it no request starts and none is waited for; what was not read, sent or answered is
    /// counted and named, exit 4. The default ends a run inside the 2-minute timeout of the
    /// shipped Keptn task definitions. `--loop` rounds have no deadline.
    #[arg(long, value_name = "SECS", default_value_t = 100, value_parser = ranged(DEADLINE_SECS), help_heading = "Dynatrace")]
    pub deadline_secs: u64,

    /// Requests in flight at most [env: DT_CONCURRENCY]
    ///
    /// Halved whenever Dynatrace throttles (429), then growing back one at a time; 1 sends one
    /// request after the other.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = ranged(CONCURRENCY), help_heading = "Dynatrace")]
    pub concurrency: u64,

    /// First section of every metric key; --prefix '' for none [env: METRIC_PREFIX]
    #[arg(long, value_name = "PREFIX", default_value = DEFAULT_PREFIX, help_heading = "Metrics")]
    pub prefix: String,

    /// Second key section: keptn.<integration>.<name> [env: INTEGRATION_NAME]
    #[arg(long, value_name = "NAME", help_heading = "Metrics")]
    pub integration: Option<String>,

    /// A dimension for every line, lowest precedence (repeatable) [env: DEFAULT_DIMENSIONS]
    ///
    /// Merged with DEFAULT_DIMENSIONS=k=v,k2=v2 (the flag wins on the same key).
    #[arg(long = "dimension", value_name = "KEY=VALUE", help_heading = "Metrics")]
    pub dimensions: Vec<String>,

    /// The pipeline the run belongs to: the dimension ci_platform [env: DT_CI_PLATFORM]
    ///
    /// keptn, github_actions, gitlab_ci, jenkins, azure_pipelines, argo_workflows (whose
    /// context is then read from their variables), or any other name (tekton, ...), which only
    /// sets ci_platform. Without it: a Keptn context if there is one, else the CI detected
    /// from its own variables, else keptn.
    #[arg(long, value_name = "NAME", help_heading = "Keptn context")]
    pub ci_platform: Option<String>,

    /// Keptn project: the dimension keptn_project [env: KEPTN_PROJECT]
    #[arg(long, value_name = "NAME", help_heading = "Keptn context")]
    pub keptn_project: Option<String>,

    /// Keptn stage: the dimension keptn_stage [env: KEPTN_STAGE]
    #[arg(long, value_name = "NAME", help_heading = "Keptn context")]
    pub keptn_stage: Option<String>,

    /// Keptn service: the dimension keptn_service [env: KEPTN_SERVICE]
    #[arg(long, value_name = "NAME", help_heading = "Keptn context")]
    pub keptn_service: Option<String>,

    /// The Keptn context: today's Keptn's task JSON, or a job-executor context ID
    /// [env: KEPTN_CONTEXT]
    ///
    /// Today's Keptn sets it to the task's context (app, workload, their versions, task and
    /// object type, metadata), each field a dimension (keptn_app, keptn_workload, ...). For the
    /// job-executor it is the sequence's context ID, the dimension keptn_context, which
    /// job/config.yaml passes from the event ($.shkeptncontext).
    #[arg(long, value_name = "JSON|ID", help_heading = "Keptn context")]
    pub keptn_context: Option<String>,

    /// Type of the triggering event: the dimension keptn_event_type [env: KEPTN_EVENT_TYPE]
    ///
    /// job/config.yaml passes it from the event ($.type).
    #[arg(long, value_name = "TYPE", help_heading = "Keptn context")]
    pub keptn_event_type: Option<String>,

    /// An event label: the dimension <key> (repeatable) [env: LABELS_<KEY>]
    ///
    /// Merged with the LABELS_<KEY> variables the job-executor sets (the flag wins on the same
    /// key). Labels cannot override the run's context (ci_platform, keptn_*, ci_*).
    #[arg(
        long = "label",
        value_name = "KEY=VALUE",
        help_heading = "Keptn context"
    )]
    pub labels: Vec<String>,

    /// Leave out Dynatrace's metadata files' dimensions [env: DT_METADATA_ENRICHMENT=false]
    ///
    /// The files OneAgent or the Dynatrace operator write, whose pairs are added above labels
    /// and metadata, as the official clients do (only the run's context is above them).
    #[arg(long = "no-metadata-enrichment", action = ArgAction::SetFalse, help_heading = "Keptn context")]
    pub metadata_enrichment: bool,

    /// Where Dynatrace's metadata files are [env: DT_METADATA_DIR]
    ///
    /// dt_metadata.properties, dt_host_metadata.properties and OneAgent's indirection file.
    #[arg(long, value_name = "DIR", default_value = crate::enrichment::DEFAULT_DIR, help_heading = "Keptn context")]
    pub metadata_dir: PathBuf,

    #[command(flatten)]
    pub event: EventArgs,

    /// DEFAULT_DIMENSIONS, merged with --dimension.
    #[arg(skip)]
    pub default_dimensions: Option<String>,

    /// The LABELS_<KEY> variables, keys lowercased, merged with --label.
    #[arg(skip)]
    pub env_labels: Vec<RunDimension>,

    /// The variables of the CI systems the run may be in.
    #[arg(skip)]
    pub ci: CiVariables,

    /// GitHub Actions' `GITHUB_OUTPUT`: where the step's outputs go.
    #[arg(skip)]
    pub github_output: Option<std::path::PathBuf>,

    /// The proxy variables.
    #[arg(skip)]
    pub proxy: crate::proxy::ProxyVars,
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
