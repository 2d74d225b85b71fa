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
#[path = "parse_tests.rs"]
mod tests;
