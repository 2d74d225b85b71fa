//! Configuration: the environment (read with envy) and the command line (clap), merged into one
//! plain `Config`. A flag wins over its environment variable, which wins over the default.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use reqwest::Url;
use serde::Deserialize;

use crate::enrichment;
use crate::model::set_pair;
use crate::secret::Secret;

pub const DEFAULT_PREFIX: &str = "keptn";
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;
pub const DEFAULT_RETRIES: u32 = 2;
pub const METRICS_INGEST_PATH: &str = "/api/v2/metrics/ingest";
pub const OTLP_METRICS_PATH: &str = "/api/v2/otlp/v1/metrics";
pub const ONEAGENT_METRICS_URL: &str = "http://localhost:14499/metrics/ingest";
pub const ONEAGENT_OTLP_URL: &str = "http://localhost:14499/otlp/v1/metrics";

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
    #[arg(long = "histogram", value_name = "NAME=FILE", help_heading = "Inputs")]
    pub histograms: Vec<String>,

    /// Bucket bounds for --histogram samples, ascending and comma-separated
    /// [default: the OpenTelemetry SDK's 0,5,10,25,50,75,100,250,500,750,1000,2500,5000,7500,10000]
    #[arg(long, value_name = "LIST", help_heading = "Inputs")]
    pub bounds: Option<String>,

    /// Also send every histogram as a line-protocol summary (gauge,min,max,sum,count), for
    /// environments without OTLP histograms [env: DT_HISTOGRAM_SUMMARIES=true]
    #[arg(long, help_heading = "Output")]
    pub histogram_summaries: bool,

    /// Keep running: re-read the inputs and send every --interval seconds until SIGTERM or
    /// Ctrl-C, then print the totals; histogram windows follow each other without gaps
    #[arg(long = "loop", help_heading = "Output")]
    pub run_loop: bool,

    /// Seconds between two sends with --loop
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 60,
        help_heading = "Output"
    )]
    pub interval: u64,

    /// Print the lines that would be sent and the local refusals; send nothing, need no
    /// credentials
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,

    /// Report format on stdout
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Text, help_heading = "Output")]
    pub output: OutputFormat,

    /// Dynatrace environment URL: https://{env}.live.dynatrace.com, https://{domain}/e/{env}
    /// or https://{activegate}:9999/e/{env}; scheme and trailing slash optional [env: DT_TENANT]
    #[arg(long, value_name = "URL", help_heading = "Dynatrace")]
    pub tenant: Option<String>,

    /// API token with scope metrics.ingest; prefer the environment variable, which stays out of
    /// the process list [env: DT_API_TOKEN]
    #[arg(long, value_name = "TOKEN", help_heading = "Dynatrace")]
    pub api_token: Option<String>,

    /// Full metrics ingest URL, instead of {tenant}/api/v2/metrics/ingest; the token is sent if
    /// given [env: DT_METRICS_URL]
    #[arg(long, value_name = "URL", help_heading = "Dynatrace")]
    pub metrics_url: Option<String>,

    /// Full OTLP metrics URL, instead of {tenant}/api/v2/otlp/v1/metrics [env: DT_OTLP_URL]
    #[arg(long, value_name = "URL", help_heading = "Dynatrace")]
    pub otlp_url: Option<String>,

    /// Send OTLP requests uncompressed instead of gzip-compressed [env: DT_OTLP_GZIP=false]
    #[arg(long, help_heading = "Dynatrace")]
    pub no_gzip: bool,

    /// Send to the local OneAgent endpoint (http://localhost:14499/metrics/ingest, no token)
    /// [env: DT_ONEAGENT=true]
    #[arg(long, help_heading = "Dynatrace")]
    pub oneagent: bool,

    /// Accept self-signed or otherwise invalid TLS certificates [env: INSECURE_SSL=true]
    #[arg(long, help_heading = "Dynatrace")]
    pub insecure_ssl: bool,

    /// Extra CA certificates (PEM file) to trust, e.g. for a Managed cluster or ActiveGate
    /// [env: DT_CA_BUNDLE]
    #[arg(long, value_name = "FILE", help_heading = "Dynatrace")]
    pub ca_bundle: Option<PathBuf>,

    /// Timeout for each HTTP request, in seconds [env: DT_TIMEOUT_SECS] [default: 10]
    #[arg(long, value_name = "SECS", help_heading = "Dynatrace")]
    pub timeout_secs: Option<u64>,

    /// Retries of a request that met a connection failure, 429 or 502/503/504; Retry-After is
    /// honoured [env: DT_RETRIES] [default: 2]
    #[arg(long, value_name = "N", help_heading = "Dynatrace")]
    pub retries: Option<u32>,

    /// First section of every metric key; `--prefix ''` for none [env: METRIC_PREFIX]
    /// [default: keptn]
    #[arg(long, value_name = "PREFIX", help_heading = "Metrics")]
    pub prefix: Option<String>,

    /// Second key section, after the prefix: keptn.<integration>.<name> [env: INTEGRATION_NAME]
    #[arg(long, value_name = "NAME", help_heading = "Metrics")]
    pub integration: Option<String>,

    /// Default dimension for every line, lowest precedence (repeatable)
    /// [env: DEFAULT_DIMENSIONS=k=v,k2=v2]
    #[arg(long = "dimension", value_name = "KEY=VALUE", help_heading = "Metrics")]
    pub dimensions: Vec<String>,

    /// Keptn project, the dimension keptn_project [env: KEPTN_PROJECT]
    #[arg(long, value_name = "NAME", help_heading = "Keptn context")]
    pub keptn_project: Option<String>,

    /// Keptn stage, the dimension keptn_stage [env: KEPTN_STAGE]
    #[arg(long, value_name = "NAME", help_heading = "Keptn context")]
    pub keptn_stage: Option<String>,

    /// Keptn service, the dimension keptn_service [env: KEPTN_SERVICE]
    #[arg(long, value_name = "NAME", help_heading = "Keptn context")]
    pub keptn_service: Option<String>,

    /// Keptn context ID of the sequence, the dimension keptn_context; job/config.yaml passes
    /// it from the event ($.shkeptncontext) [env: KEPTN_CONTEXT]
    #[arg(long, value_name = "ID", help_heading = "Keptn context")]
    pub keptn_context: Option<String>,

    /// Type of the triggering event, the dimension keptn_event_type; job/config.yaml passes it
    /// from the event ($.type) [env: KEPTN_EVENT_TYPE]
    #[arg(long, value_name = "TYPE", help_heading = "Keptn context")]
    pub keptn_event_type: Option<String>,

    /// An event label, the dimension <key> (repeatable) [env: LABELS_<KEY>]
    #[arg(
        long = "label",
        value_name = "KEY=VALUE",
        help_heading = "Keptn context"
    )]
    pub labels: Vec<String>,

    /// Do not add the dimensions from Dynatrace's metadata files (written by OneAgent or the
    /// Dynatrace operator) [env: DT_METADATA_ENRICHMENT=false]
    #[arg(long, help_heading = "Keptn context")]
    pub no_metadata_enrichment: bool,

    /// Where the metadata files are (dt_metadata.properties, dt_host_metadata.properties)
    /// [env: DT_METADATA_DIR] [default: /var/lib/dynatrace/enrichment]
    #[arg(long, value_name = "DIR", help_heading = "Keptn context")]
    pub metadata_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// The environment variables this tool reads (besides LABELS_*), as envy fills them.
#[derive(Debug, Default, Deserialize)]
pub struct Env {
    pub dt_tenant: Option<String>,
    pub dt_api_token: Option<Secret>,
    pub dt_metrics_url: Option<String>,
    pub dt_otlp_url: Option<String>,
    pub dt_otlp_gzip: Option<String>,
    pub dt_histogram_summaries: Option<String>,
    pub dt_oneagent: Option<String>,
    pub insecure_ssl: Option<String>,
    pub dt_ca_bundle: Option<PathBuf>,
    pub dt_timeout_secs: Option<String>,
    pub dt_retries: Option<String>,
    pub metric_prefix: Option<String>,
    pub integration_name: Option<String>,
    pub default_dimensions: Option<String>,
    pub keptn_project: Option<String>,
    pub keptn_stage: Option<String>,
    pub keptn_service: Option<String>,
    pub keptn_context: Option<String>,
    pub keptn_event_type: Option<String>,
    pub dt_metadata_enrichment: Option<String>,
    pub dt_metadata_dir: Option<PathBuf>,
    #[serde(skip)]
    pub labels: BTreeMap<String, String>,
}

impl Env {
    pub fn from_process() -> Result<Env> {
        let mut env: Env = envy::from_env().context("reading the environment")?;
        env.labels = envy::prefixed("LABELS_")
            .from_env()
            .context("reading the LABELS_* environment variables")?;
        Ok(env)
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub sources: Sources,
    pub dry_run: bool,
    pub output: OutputFormat,
    pub encoding: EncodeSettings,
    /// Where to send; `None` in a dry run.
    pub destination: Option<Destination>,
    pub histogram_summaries: bool,
    /// `--loop`: the time between two sends.
    pub loop_interval: Option<Duration>,
}

#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub metrics: Vec<String>,
    pub inputs: Vec<PathBuf>,
    pub lines: Vec<PathBuf>,
    /// `--histogram NAME=FILE`, with the bounds of `--bounds`.
    pub histograms: Vec<(String, PathBuf)>,
    pub bounds: Option<Vec<f64>>,
}

impl Sources {
    pub fn is_empty(&self) -> bool {
        self.metrics.is_empty()
            && self.inputs.is_empty()
            && self.lines.is_empty()
            && self.histograms.is_empty()
    }
}

#[derive(Debug, Clone, Default)]
pub struct EncodeSettings {
    /// Joined onto relative keys: prefix and integration, e.g. `keptn.loadtest`.
    pub key_prefix: String,
    /// Lowest precedence.
    pub default_dimensions: Vec<(String, String)>,
    /// Highest precedence: the Keptn context and labels.
    pub static_dimensions: Vec<(String, String)>,
    /// OTLP resource attributes besides the static dimensions: service.name and
    /// deployment.environment.
    pub resource_attributes: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Destination {
    /// `None` when neither a tenant nor DT_METRICS_URL says where lines go.
    pub metrics_url: Option<Url>,
    pub otlp_url: Option<Url>,
    pub gzip: bool,
    pub token: Option<Secret>,
    pub timeout: Duration,
    pub retries: u32,
    pub insecure_tls: bool,
    pub ca_bundle: Option<PathBuf>,
}

impl Config {
    pub fn resolve(cli: Cli, env: Env) -> Result<Config> {
        let env = env.without_empty_values();
        let histograms = cli
            .histograms
            .iter()
            .map(|arg| match arg.split_once('=') {
                Some((name, file)) if !name.is_empty() && !file.is_empty() => {
                    Ok((name.to_owned(), PathBuf::from(file)))
                }
                _ => {
                    bail!("--histogram `{arg}` is not NAME=FILE (e.g. response_time=latencies.txt)")
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let bounds = cli.bounds.as_deref().map(parse_bounds).transpose()?;
        let sources = Sources {
            metrics: cli.metrics,
            inputs: cli.inputs,
            lines: cli.lines,
            histograms,
            bounds,
        };
        if sources.is_empty() {
            bail!(
                "nothing to send: give --metric NAME=VALUE, --input FILE (JSON) or --lines FILE \
                 (line protocol) or --histogram NAME=FILE; see --help"
            );
        }
        let stdin_readers = sources
            .inputs
            .iter()
            .chain(&sources.lines)
            .chain(sources.histograms.iter().map(|(_, path)| path));
        let stdin_count = stdin_readers.filter(|p| p.as_os_str() == "-").count();
        if stdin_count > 1 {
            bail!(
                "stdin (`-`) can be read only once: give it to one --input, --lines or --histogram"
            );
        }
        if cli.run_loop && cli.interval == 0 {
            bail!("--interval must be at least 1 second");
        }
        if cli.run_loop && stdin_count > 0 {
            bail!(
                "--loop re-reads its inputs every round, which stdin (`-`) cannot give: use files"
            );
        }

        let prefix = cli
            .prefix
            .or(env.metric_prefix)
            .unwrap_or_else(|| DEFAULT_PREFIX.to_owned());
        let integration = cli.integration.or(env.integration_name).unwrap_or_default();
        let key_prefix = [prefix.as_str(), integration.as_str()]
            .iter()
            .map(|s| s.trim_matches('.'))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(".");

        let mut default_dimensions = match &env.default_dimensions {
            Some(list) => parse_pairs(list.split(','), "DEFAULT_DIMENSIONS")?,
            None => Vec::new(),
        };
        merge_pairs(
            &mut default_dimensions,
            parse_pairs(cli.dimensions.iter().map(String::as_str), "--dimension")?,
        );

        let mut static_dimensions = vec![("ci_platform".to_owned(), "keptn".to_owned())];
        let stage = cli.keptn_stage.or(env.keptn_stage);
        let service = cli.keptn_service.or(env.keptn_service);
        let resource_attributes = [
            ("service.name", service.clone()),
            ("deployment.environment", stage.clone()),
        ]
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_owned(), value?)))
        .collect();
        let context = [
            ("keptn_project", cli.keptn_project.or(env.keptn_project)),
            ("keptn_stage", stage),
            ("keptn_service", service),
            ("keptn_context", cli.keptn_context.or(env.keptn_context)),
            (
                "keptn_event_type",
                cli.keptn_event_type.or(env.keptn_event_type),
            ),
        ];
        for (key, value) in context {
            if let Some(value) = value {
                static_dimensions.push((key.to_owned(), value));
            }
        }
        let mut labels: Vec<(String, String)> = env.labels.into_iter().collect();
        merge_pairs(
            &mut labels,
            parse_pairs(cli.labels.iter().map(String::as_str), "--label")?,
        );
        merge_pairs(&mut static_dimensions, labels);
        let enrichment_on = match &env.dt_metadata_enrichment {
            None => true,
            setting => parse_bool(setting, "DT_METADATA_ENRICHMENT")?,
        };
        if enrichment_on && !cli.no_metadata_enrichment {
            let dir = cli
                .metadata_dir
                .or(env.dt_metadata_dir)
                .unwrap_or_else(|| PathBuf::from(enrichment::DEFAULT_DIR));
            // Top precedence, as with the official clients.
            merge_pairs(&mut static_dimensions, enrichment::read_metadata(&dir));
        }

        let destination = if cli.dry_run {
            None
        } else {
            Some(resolve_destination(
                DestinationArgs {
                    tenant: cli.tenant.or(env.dt_tenant),
                    token: cli.api_token.map(Secret::new).or(env.dt_api_token),
                    metrics_url: cli.metrics_url.or(env.dt_metrics_url),
                    otlp_url: cli.otlp_url.or(env.dt_otlp_url),
                    gzip: !cli.no_gzip
                        && match &env.dt_otlp_gzip {
                            None => true,
                            setting => parse_bool(setting, "DT_OTLP_GZIP")?,
                        },
                    oneagent: cli.oneagent || parse_bool(&env.dt_oneagent, "DT_ONEAGENT")?,
                },
                Duration::from_secs(match cli.timeout_secs {
                    Some(secs) => secs,
                    None => parse_number(&env.dt_timeout_secs, "DT_TIMEOUT_SECS")?
                        .unwrap_or(DEFAULT_TIMEOUT_SECS),
                }),
                match cli.retries {
                    Some(n) => n,
                    None => parse_number(&env.dt_retries, "DT_RETRIES")?.unwrap_or(DEFAULT_RETRIES),
                },
                cli.insecure_ssl || parse_bool(&env.insecure_ssl, "INSECURE_SSL")?,
                cli.ca_bundle.or(env.dt_ca_bundle),
            )?)
        };

        Ok(Config {
            sources,
            dry_run: cli.dry_run,
            output: cli.output,
            encoding: EncodeSettings {
                key_prefix,
                default_dimensions,
                static_dimensions,
                resource_attributes,
            },
            destination,
            histogram_summaries: cli.histogram_summaries
                || parse_bool(&env.dt_histogram_summaries, "DT_HISTOGRAM_SUMMARIES")?,
            loop_interval: cli.run_loop.then(|| Duration::from_secs(cli.interval)),
        })
    }
}

impl Env {
    /// Kubernetes and shells often set a variable to "" to mean "not set".
    fn without_empty_values(mut self) -> Env {
        fn clear<T: AsRef<str>>(v: &mut Option<T>) {
            if v.as_ref().is_some_and(|s| s.as_ref().trim().is_empty()) {
                *v = None;
            }
        }
        clear(&mut self.dt_tenant);
        clear(&mut self.dt_metrics_url);
        clear(&mut self.dt_otlp_url);
        clear(&mut self.dt_otlp_gzip);
        clear(&mut self.dt_histogram_summaries);
        clear(&mut self.dt_oneagent);
        clear(&mut self.insecure_ssl);
        clear(&mut self.dt_timeout_secs);
        clear(&mut self.dt_retries);
        clear(&mut self.metric_prefix);
        clear(&mut self.integration_name);
        clear(&mut self.default_dimensions);
        clear(&mut self.keptn_project);
        clear(&mut self.keptn_stage);
        clear(&mut self.keptn_service);
        clear(&mut self.keptn_context);
        clear(&mut self.keptn_event_type);
        clear(&mut self.dt_metadata_enrichment);
        if self
            .dt_metadata_dir
            .as_ref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            self.dt_metadata_dir = None;
        }
        if self
            .dt_api_token
            .as_ref()
            .is_some_and(|t| t.expose().is_empty())
        {
            self.dt_api_token = None;
        }
        if self
            .dt_ca_bundle
            .as_ref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            self.dt_ca_bundle = None;
        }
        self
    }
}

struct DestinationArgs {
    tenant: Option<String>,
    token: Option<Secret>,
    metrics_url: Option<String>,
    otlp_url: Option<String>,
    gzip: bool,
    oneagent: bool,
}

fn resolve_destination(
    args: DestinationArgs,
    timeout: Duration,
    retries: u32,
    insecure_tls: bool,
    ca_bundle: Option<PathBuf>,
) -> Result<Destination> {
    let parse =
        |url: &Option<String>, name: &str| url.as_deref().map(|u| parse_url(u, name)).transpose();
    let metrics_override = parse(&args.metrics_url, "DT_METRICS_URL (--metrics-url)")?;
    let otlp_override = parse(&args.otlp_url, "DT_OTLP_URL (--otlp-url)")?;
    let (metrics_url, otlp_url, token) = if args.oneagent {
        let url = |u: &str| Some(Url::parse(u).expect("constant URL"));
        (url(ONEAGENT_METRICS_URL), url(ONEAGENT_OTLP_URL), None)
    } else if args.tenant.is_none() && (metrics_override.is_some() || otlp_override.is_some()) {
        (metrics_override, otlp_override, args.token)
    } else {
        let tenant = args.tenant.context(
            "DT_TENANT is not set: set it to your environment's URL \
             (https://{env-id}.live.dynatrace.com), e.g. from the Kubernetes secret with \
             `valueFrom: secret`, or pass --tenant; or try --dry-run",
        )?;
        let token = args.token.context(
            "DT_API_TOKEN is not set: create a token with scope metrics.ingest and provide it in \
             the Kubernetes secret (`valueFrom: secret`) or the environment; or try --dry-run",
        )?;
        let base = tenant_base(&tenant)?;
        let url = |path: &str| Url::parse(&format!("{base}{path}")).expect("base URL plus a path");
        (
            Some(metrics_override.unwrap_or_else(|| url(METRICS_INGEST_PATH))),
            Some(otlp_override.unwrap_or_else(|| url(OTLP_METRICS_PATH))),
            Some(token),
        )
    };
    if let Some(token) = &token {
        if reqwest::header::HeaderValue::from_str(&format!("Api-Token {}", token.expose())).is_err()
        {
            bail!("DT_API_TOKEN contains characters that cannot go into an HTTP header (the value is not shown)");
        }
    }
    Ok(Destination {
        metrics_url,
        otlp_url,
        gzip: args.gzip,
        token,
        timeout,
        retries,
        insecure_tls,
        ca_bundle,
    })
}

/// `{tenant}/api/v2/metrics/ingest` for any of the tenant forms users write.
pub fn tenant_metrics_url(tenant: &str) -> Result<Url> {
    let base = tenant_base(tenant)?;
    Ok(Url::parse(&format!("{base}{METRICS_INGEST_PATH}")).expect("base URL plus a path"))
}

/// The environment's base URL without trailing slash: scheme added when missing, an API path
/// pasted along with it dropped.
pub fn tenant_base(tenant: &str) -> Result<String> {
    let trimmed = tenant.trim();
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{trimmed}")
    };
    let url = parse_url(&with_scheme, "DT_TENANT (--tenant)")?;
    let mut path = url.path().trim_end_matches('/').to_owned();
    if let Some(api) = path.find("/api/") {
        path.truncate(api);
    }
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let host = url.host_str().unwrap_or_default();
    Ok(format!("{}://{host}{port}{path}", url.scheme()))
}

fn parse_url(raw: &str, name: &str) -> Result<Url> {
    let url = Url::parse(raw.trim()).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
    });
    url.with_context(|| {
        format!(
            "{name} `{raw}` is not an http(s) URL: expected e.g. https://abc12345.live.dynatrace.com \
             or https://dynatrace.example.com/e/<environment-id>"
        )
    })
}

fn parse_bounds(list: &str) -> Result<Vec<f64>> {
    let bounds = list
        .split(',')
        .map(|b| {
            b.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .with_context(|| format!("--bounds: `{}` is not a finite number", b.trim()))
        })
        .collect::<Result<Vec<f64>>>()?;
    crate::histogram::check_bounds(&bounds).map_err(|e| anyhow::anyhow!("--bounds: {e}"))?;
    Ok(bounds)
}

fn parse_bool(value: &Option<String>, name: &str) -> Result<bool> {
    let Some(raw) = value else { return Ok(false) };
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => bail!("{name}=`{raw}` is not a boolean: use true or false"),
    }
}

fn parse_number<T: std::str::FromStr>(value: &Option<String>, name: &str) -> Result<Option<T>> {
    value
        .as_deref()
        .map(|raw| {
            raw.trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("{name}=`{raw}` is not a whole number of at least 0"))
        })
        .transpose()
}

fn parse_pairs<'a>(
    items: impl Iterator<Item = &'a str>,
    source: &str,
) -> Result<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for item in items.map(str::trim).filter(|i| !i.is_empty()) {
        let (key, value) = item
            .split_once('=')
            .filter(|(k, _)| !k.trim().is_empty())
            .with_context(|| format!("{source}: `{item}` is not KEY=VALUE"))?;
        merge_pairs(&mut pairs, vec![(key.trim().to_owned(), value.to_owned())]);
    }
    Ok(pairs)
}

/// Adds `later` to `pairs`; a key already present takes the later value in its old place.
fn merge_pairs(pairs: &mut Vec<(String, String)>, later: Vec<(String, String)>) {
    for (key, value) in later {
        set_pair(pairs, key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_forms() {
        let cases = [
            (
                "abc12345.live.dynatrace.com",
                "https://abc12345.live.dynatrace.com",
            ),
            (
                "https://abc12345.live.dynatrace.com/",
                "https://abc12345.live.dynatrace.com",
            ),
            (
                "https://dt.example.com/e/env-1//",
                "https://dt.example.com/e/env-1",
            ),
            (
                "ag.example.com:9999/e/env-1",
                "https://ag.example.com:9999/e/env-1",
            ),
            (
                "https://abc.live.dynatrace.com/api/v2/metrics/ingest",
                "https://abc.live.dynatrace.com",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ];
        for (input, expected) in cases {
            assert_eq!(tenant_base(input).unwrap(), expected, "{input}");
        }
        assert!(tenant_base("https://").is_err());
        assert!(tenant_base("ftp://x.example.com").is_err());
    }

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("keptn-dt-metrics").chain(args.iter().copied()))
            .unwrap()
    }

    #[test]
    fn flags_win_over_environment() {
        let env = Env {
            metric_prefix: Some("fromenv".into()),
            keptn_project: Some("envproject".into()),
            default_dimensions: Some("team=a, owner=b".into()),
            ..Env::default()
        };
        let config = Config::resolve(
            cli(&[
                "--dry-run",
                "-m",
                "x=1",
                "--keptn-project",
                "flagproject",
                "--dimension",
                "team=c",
            ]),
            env,
        )
        .unwrap();
        assert_eq!(config.encoding.key_prefix, "fromenv");
        assert_eq!(
            config.encoding.default_dimensions,
            vec![("team".into(), "c".into()), ("owner".into(), "b".into())]
        );
        assert!(config
            .encoding
            .static_dimensions
            .contains(&("keptn_project".into(), "flagproject".into())));
    }

    #[test]
    fn missing_credentials_name_the_variable() {
        let err = Config::resolve(cli(&["-m", "x=1"]), Env::default()).unwrap_err();
        assert!(format!("{err:#}").contains("DT_TENANT is not set"));
        let env = Env {
            dt_tenant: Some("abc.live.dynatrace.com".into()),
            ..Env::default()
        };
        let err = Config::resolve(cli(&["-m", "x=1"]), env).unwrap_err();
        assert!(format!("{err:#}").contains("DT_API_TOKEN is not set"));
    }

    #[test]
    fn keptn_context_labels_and_metadata_become_static_dimensions() {
        let dir = std::env::temp_dir().join(format!("kdm-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("dt_metadata.properties"),
            "k8s.pod.name=job-1\nkeptn_stage=meta\n",
        )
        .unwrap();
        let env = Env {
            keptn_stage: Some("dev".into()),
            keptn_context: Some("ctx-1".into()),
            keptn_event_type: Some("sh.keptn.event.test.triggered".into()),
            dt_metadata_dir: Some(dir.clone()),
            labels: [("buildid".to_owned(), "7".to_owned())].into(),
            ..Env::default()
        };
        let config = Config::resolve(cli(&["--dry-run", "-m", "x=1"]), env).unwrap();
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(
            config.encoding.static_dimensions,
            vec![
                pair("ci_platform", "keptn"),
                pair("keptn_stage", "meta"),
                pair("keptn_context", "ctx-1"),
                pair("keptn_event_type", "sh.keptn.event.test.triggered"),
                pair("buildid", "7"),
                pair("k8s.pod.name", "job-1"),
            ]
        );
        let off = Env {
            dt_metadata_dir: Some(dir.clone()),
            dt_metadata_enrichment: Some("false".into()),
            ..Env::default()
        };
        let config = Config::resolve(cli(&["--dry-run", "-m", "x=1"]), off).unwrap();
        assert_eq!(
            config.encoding.static_dimensions,
            vec![pair("ci_platform", "keptn")]
        );
        let flag_off = Env {
            dt_metadata_dir: Some(dir.clone()),
            ..Env::default()
        };
        let config = Config::resolve(
            cli(&["--dry-run", "-m", "x=1", "--no-metadata-enrichment"]),
            flag_off,
        )
        .unwrap();
        assert_eq!(config.encoding.static_dimensions.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn prefix_and_integration_join() {
        let env = Env {
            integration_name: Some("infracost".into()),
            ..Env::default()
        };
        let config = Config::resolve(cli(&["--dry-run", "-m", "x=1"]), env).unwrap();
        assert_eq!(config.encoding.key_prefix, "keptn.infracost");
        let config = Config::resolve(
            cli(&["--dry-run", "-m", "x=1", "--prefix", ""]),
            Env::default(),
        )
        .unwrap();
        assert_eq!(config.encoding.key_prefix, "");
    }
}
