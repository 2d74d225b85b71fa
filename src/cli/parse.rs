//! Reading the command line and the environment into a [`Cli`]: clap reads the flags, the
//! environment is read once ([`Environment`]), and a flag wins over its variable, which wins
//! over the default; and the inputs the flags name, as [`Source`]s.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};

use super::environment::{Environment, OptionVariables, Switch, Whole};
use super::values::{
    Range, CONCURRENCY, DEADLINE_SECS, REPORT_LIMIT, RETRIES, RETRY_BUDGET_SECS, TIMEOUT_SECS,
};
use super::{Cli, EventType, OutputFormat};
use crate::input::{Location, Source};
use crate::results;
use crate::secret::Secret;
use anyhow::{anyhow, bail};
use clap::ValueEnum;

impl Cli {
    /// Parses `args` (the program name first) with the process's environment.
    pub fn parse_from_env(args: impl IntoIterator<Item = OsString>) -> Result<Cli, CliError> {
        Cli::parse_from(args, Environment::read(std::env::vars_os())?)
    }

    /// Parses `args` (the program name first) with `env`: a flag wins over its variable.
    pub fn parse_from(
        args: impl IntoIterator<Item = OsString>,
        env: Environment,
    ) -> Result<Cli, CliError> {
        let matches = Cli::command()
            .try_get_matches_from(args)
            .map_err(CliError::Clap)?;
        let mut cli = Cli::from_arg_matches(&matches).map_err(CliError::Clap)?;
        cli.take(env.options, &matches).map_err(CliError::Usage)?;
        cli.env_labels = env.labels;
        cli.github_output = env.ci.github.github_output.clone();
        cli.ci = env.ci;
        cli.proxy = env.proxy;
        Ok(cli)
    }

    /// Takes the value of each option whose flag was not given from its variable.
    fn take(&mut self, vars: OptionVariables, matches: &ArgMatches) -> anyhow::Result<()> {
        let given = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
        let text = |flag: &mut Option<String>, var: Option<String>| {
            if flag.is_none() {
                *flag = var;
            }
        };
        text(&mut self.tenant, vars.dt_tenant);
        text(&mut self.metrics_url, vars.dt_metrics_url);
        text(&mut self.otlp_url, vars.dt_otlp_url);
        text(&mut self.integration, vars.integration_name);
        text(&mut self.keptn_project, vars.keptn_project);
        text(&mut self.keptn_stage, vars.keptn_stage);
        text(&mut self.keptn_service, vars.keptn_service);
        text(&mut self.keptn_context, vars.keptn_context);
        text(&mut self.keptn_event_type, vars.keptn_event_type);
        text(&mut self.ci_platform, vars.dt_ci_platform);
        self.default_dimensions = vars.default_dimensions;
        if self.api_token.is_none() {
            self.api_token = vars.dt_api_token;
        }
        if self.ca_bundle.is_none() {
            self.ca_bundle = vars.dt_ca_bundle;
        }
        let switch = |flag: &mut bool, id: &str, var: Option<Switch>| {
            if let (false, Some(Switch(on))) = (given(id), var) {
                *flag = on;
            }
        };
        switch(&mut self.gzip, "gzip", vars.dt_otlp_gzip);
        switch(
            &mut self.histogram_summaries,
            "histogram_summaries",
            vars.dt_histogram_summaries,
        );
        switch(&mut self.oneagent, "oneagent", vars.dt_oneagent);
        switch(&mut self.insecure_ssl, "insecure_ssl", vars.insecure_ssl);
        switch(
            &mut self.allow_plain_http,
            "allow_plain_http",
            vars.dt_allow_plain_http,
        );
        switch(
            &mut self.metadata_enrichment,
            "metadata_enrichment",
            vars.dt_metadata_enrichment,
        );
        let numbers: [(&mut u64, &str, Option<Whole>, &str, Range); 6] = [
            (
                &mut self.deadline_secs,
                "deadline_secs",
                vars.dt_deadline_secs,
                "DT_DEADLINE_SECS",
                DEADLINE_SECS,
            ),
            (
                &mut self.timeout_secs,
                "timeout_secs",
                vars.dt_timeout_secs,
                "DT_TIMEOUT_SECS",
                TIMEOUT_SECS,
            ),
            (
                &mut self.retries,
                "retries",
                vars.dt_retries,
                "DT_RETRIES",
                RETRIES,
            ),
            (
                &mut self.retry_budget_secs,
                "retry_budget_secs",
                vars.dt_retry_budget_secs,
                "DT_RETRY_BUDGET_SECS",
                RETRY_BUDGET_SECS,
            ),
            (
                &mut self.concurrency,
                "concurrency",
                vars.dt_concurrency,
                "DT_CONCURRENCY",
                CONCURRENCY,
            ),
            (
                &mut self.report_limit,
                "report_limit",
                vars.dt_report_limit,
                "DT_REPORT_LIMIT",
                REPORT_LIMIT,
            ),
        ];
        for (flag, id, var, name, range) in numbers {
            if let (false, Some(Whole(n))) = (given(id), var) {
                *flag = range.check(name, n)?;
            }
        }
        if let (false, Some(prefix)) = (given("prefix"), vars.metric_prefix) {
            self.prefix = prefix;
        }
        if let (false, Some(dir)) = (given("metadata_dir"), vars.dt_metadata_dir) {
            self.metadata_dir = dir;
        }
        let event = &mut self.event;
        text(&mut event.event_title, vars.dt_event_title);
        text(
            &mut event.event_entity_selector,
            vars.dt_event_entity_selector,
        );
        event.env_properties = vars.dt_event_properties;
        switch(&mut event.event, "event", vars.dt_event);
        switch(&mut event.sdlc_event, "sdlc_event", vars.dt_sdlc_event);
        if let (false, Some(name)) = (given("event_type"), vars.dt_event_type) {
            event.event_type = EventType::from_str(name.trim(), true).map_err(|_| {
                anyhow!(
                    "the environment variable DT_EVENT_TYPE is not an event type (the value is \
                     not shown): use one of {}",
                    EventType::names()
                )
            })?;
        }
        if !event.any() {
            let options = ["event_type", "event_title", "event_properties"];
            let options = options.into_iter().chain(["event_entity_selector"]);
            if let Some(id) = options.into_iter().find(|id| given(id)) {
                bail!(
                    "--{} shapes an event, and none is sent: add --event (DT_EVENT=true) or \
                     --sdlc-event (DT_SDLC_EVENT=true)",
                    id.replace('_', "-").replace("properties", "property")
                );
            }
        }
        Ok(())
    }

    /// The token, if one is given, leniently: for keeping it out of an error about the
    /// command line itself. `--api-token` is looked for in `args` as clap would read it.
    pub fn known_token(args: &[OsString], env: &Environment) -> Option<Secret> {
        let mut flag = None;
        let mut args = args.iter().filter_map(|a| a.to_str());
        while let Some(arg) = args.next() {
            if arg == "--" {
                break;
            }
            if arg == "--api-token" {
                flag = args.next().map(|t| Secret::new(t.to_owned()));
            } else if let Some(token) = arg.strip_prefix("--api-token=") {
                flag = Some(Secret::new(token.to_owned()));
            }
        }
        flag.or_else(|| env.options.dt_api_token.clone())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;

    fn parse_with(args: &[&str], vars: &[(&str, &str)]) -> Result<Cli, CliError> {
        let env = Environment::read(vars.iter().map(|(k, v)| (k.into(), v.into())))?;
        Cli::parse_from(
            std::iter::once("keptn-dt-metrics")
                .chain(args.iter().copied())
                .map(OsString::from),
            env,
        )
    }

    fn parse(args: &[&str]) -> Cli {
        parse_with(args, &[]).unwrap()
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
    fn a_flag_wins_over_its_variable_which_wins_over_the_default() {
        let vars = [
            ("DT_TENANT", "https://env.example.com"),
            ("DT_TIMEOUT_SECS", "30"),
            ("DT_OTLP_GZIP", "false"),
            ("DT_ONEAGENT", "yes"),
            ("METRIC_PREFIX", "acme"),
            ("DT_CI_PLATFORM", "tekton"),
            ("DEFAULT_DIMENSIONS", "team=a"),
        ];
        let env_only = parse_with(&[], &vars).unwrap();
        assert_eq!(env_only.tenant.as_deref(), Some("https://env.example.com"));
        assert_eq!(env_only.timeout_secs, 30);
        assert!(!env_only.gzip);
        assert!(env_only.oneagent);
        assert_eq!(env_only.prefix, "acme");
        assert_eq!(env_only.ci_platform.as_deref(), Some("tekton"));
        assert_eq!(env_only.default_dimensions.as_deref(), Some("team=a"));
        let flags = parse_with(
            &[
                "--tenant",
                "https://flag.example.com",
                "--timeout-secs",
                "5",
                "--prefix",
                "",
                "--ci-platform",
                "jenkins",
            ],
            &vars,
        )
        .unwrap();
        assert_eq!(flags.tenant.as_deref(), Some("https://flag.example.com"));
        assert_eq!(flags.timeout_secs, 5);
        assert_eq!(flags.prefix, "");
        assert_eq!(flags.ci_platform.as_deref(), Some("jenkins"));
        let neither = parse(&[]);
        assert_eq!(
            (neither.timeout_secs, neither.prefix.as_str()),
            (10, "keptn")
        );
    }

    #[test]
    fn a_variable_out_of_its_range_is_named_without_its_value() {
        let Err(CliError::Usage(error)) = parse_with(&[], &[("DT_CONCURRENCY", "65")]) else {
            panic!("a usage error");
        };
        assert_eq!(
            error.to_string(),
            "the environment variable DT_CONCURRENCY must be a whole number from 1 to 64 (the \
             value is not shown)"
        );
        // The flag's value is its own: the variable is not read then.
        assert_eq!(
            parse_with(&["--concurrency", "2"], &[("DT_CONCURRENCY", "65")])
                .unwrap()
                .concurrency,
            2
        );
    }

    #[test]
    fn the_token_is_known_from_the_flag_or_the_variable() {
        let env = Environment::read([("DT_API_TOKEN".into(), "dt0c01.ENV".into())]).unwrap();
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        let known = |a: &[&str], env: &Environment| {
            Cli::known_token(&args(a), env).map(|s| s.expose().to_owned())
        };
        assert_eq!(
            known(&["x", "--api-token", "dt0c01.FLAG"], &env).as_deref(),
            Some("dt0c01.FLAG")
        );
        assert_eq!(
            known(&["x", "--api-token=dt0c01.EQ"], &env).as_deref(),
            Some("dt0c01.EQ")
        );
        assert_eq!(known(&["x"], &env).as_deref(), Some("dt0c01.ENV"));
        assert_eq!(known(&["x"], &Environment::default()), None);
    }

    #[test]
    fn every_variable_of_an_option_is_documented_beside_its_flag() {
        let help = Cli::command().render_long_help().to_string();
        let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
        let documented: std::collections::BTreeSet<String> = flat
            .split("[env: ")
            .skip(1)
            .filter_map(|rest| rest.split([']', '=']).next())
            .filter(|name| *name != "LABELS_<KEY>")
            .map(str::to_owned)
            .collect();
        let read: std::collections::BTreeSet<String> =
            serde_aux::serde_introspection::serde_introspect::<OptionVariables>()
                .iter()
                .map(|field| field.to_ascii_uppercase())
                .collect();
        assert_eq!(documented, read);
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let cli = parse(&["--api-token", "dt0c01.SENTINEL"]);
        assert!(!format!("{cli:?}").contains("SENTINEL"));
    }
}
