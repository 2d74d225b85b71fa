//! The environment contract, read in one place: every variable the tool reads, deserialised
//! with envy into typed structs from a list checked first. A variable the tool reads whose value
//! is not UTF-8 is a usage error that names it and never shows the value (`envy::from_env`
//! would panic on it); an empty value counts as unset; `LABELS_<KEY>` are gathered by prefix.
//! envy's own messages quote the value, which may be the token: the typed values here check
//! themselves, and a message names the variable, never the value.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::anyhow;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_aux::serde_introspection::serde_introspect;

use super::{values, CliError, LABELS_PREFIX};
use crate::context::{argo, azure, github, gitlab, jenkins, CiVariables};
use crate::model::RunDimension;
use crate::proxy::{self, ProxyVars};
use crate::secret::Secret;

/// The variables of the options, each read as its flag would be (a flag wins over it).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OptionVariables {
    pub dt_tenant: Option<String>,
    pub dt_api_token: Option<Secret>,
    pub dt_metrics_url: Option<String>,
    pub dt_otlp_url: Option<String>,
    pub dt_otlp_gzip: Option<Switch>,
    pub dt_histogram_summaries: Option<Switch>,
    pub dt_oneagent: Option<Switch>,
    pub insecure_ssl: Option<Switch>,
    pub dt_allow_plain_http: Option<Switch>,
    pub dt_ca_bundle: Option<PathBuf>,
    pub dt_timeout_secs: Option<Whole>,
    pub dt_retries: Option<Whole>,
    pub dt_retry_budget_secs: Option<Whole>,
    pub dt_deadline_secs: Option<Whole>,
    pub dt_concurrency: Option<Whole>,
    pub dt_report_limit: Option<Whole>,
    pub metric_prefix: Option<String>,
    pub integration_name: Option<String>,
    pub default_dimensions: Option<String>,
    pub keptn_project: Option<String>,
    pub keptn_stage: Option<String>,
    pub keptn_service: Option<String>,
    pub keptn_context: Option<String>,
    pub keptn_event_type: Option<String>,
    pub dt_metadata_enrichment: Option<Switch>,
    pub dt_metadata_dir: Option<PathBuf>,
    pub dt_ci_platform: Option<String>,
    pub dt_event: Option<Switch>,
    pub dt_event_type: Option<String>,
    pub dt_event_title: Option<String>,
    pub dt_event_properties: Option<String>,
    pub dt_event_entity_selector: Option<String>,
    pub dt_sdlc_event: Option<Switch>,
}

/// Everything the environment says, read once.
#[derive(Debug, Default)]
pub struct Environment {
    pub options: OptionVariables,
    pub ci: CiVariables,
    /// `LABELS_<KEY>`, keys lowercased, sorted by variable name.
    pub labels: Vec<RunDimension>,
    /// `HTTPS_PROXY`, `NO_PROXY` and the others, either case.
    pub proxy: ProxyVars,
}

/// A boolean variable: the words [`values::bool_arg`] accepts, in any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switch(pub bool);

impl<'de> Deserialize<'de> for Switch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Switch, D::Error> {
        let raw = String::deserialize(deserializer)?;
        values::bool_arg(&raw)
            .map(Switch)
            .map_err(|_| D::Error::custom("is not a boolean: use true or false"))
    }
}

/// A variable that holds a whole number; its option's range is checked where it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Whole(pub u64);

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Whole, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.trim()
            .parse()
            .map(Whole)
            .map_err(|_| D::Error::custom("is not a whole number"))
    }
}

/// `T` deserialised with the name of the variable a failure was in.
struct Named<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Named<T>, D::Error> {
        serde_path_to_error::deserialize(deserializer)
            .map(Named)
            .map_err(|error| {
                let variable = error.path().to_string().to_ascii_uppercase();
                D::Error::custom(format!(
                    "the environment variable {variable} {} (the value is not shown)",
                    error.inner()
                ))
            })
    }
}

impl Environment {
    /// The names of every variable read (besides `LABELS_*`), as they are written.
    pub fn variables() -> BTreeSet<String> {
        [
            serde_introspect::<OptionVariables>(),
            serde_introspect::<github::Variables>(),
            serde_introspect::<gitlab::Variables>(),
            serde_introspect::<jenkins::Variables>(),
            serde_introspect::<azure::Variables>(),
            serde_introspect::<argo::Variables>(),
        ]
        .into_iter()
        .flatten()
        .map(|field| field.to_ascii_uppercase())
        .chain(proxy::NAMES.iter().flatten().map(|name| name.to_string()))
        .collect()
    }

    /// Reads `vars` (the process's, or a test's).
    pub fn read(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Result<Self, CliError> {
        let known = Environment::variables();
        let mut list = Vec::new();
        let mut labels = Vec::new();
        let mut proxies = Vec::new();
        for (name, value) in vars {
            // A name that is not UTF-8 is none of ours.
            let Some(name) = name.to_str() else {
                continue;
            };
            let label = name.strip_prefix(LABELS_PREFIX);
            if !known.contains(name) && label.is_none() {
                continue;
            }
            let Ok(value) = value.into_string() else {
                return Err(CliError::Usage(anyhow!(
                    "the environment variable {name} is not valid UTF-8 (its value is not \
                     shown): set it to UTF-8 text or unset it"
                )));
            };
            if value.trim().is_empty() {
                continue;
            }
            if proxy::NAMES.iter().flatten().any(|n| *n == name) {
                proxies.push((name.to_owned(), value));
                continue;
            }
            match label.map(str::to_lowercase) {
                Some(key) if key.is_empty() => {}
                Some(key) => labels.push(RunDimension::new(key, value, name)),
                None => list.push((name.to_owned(), value)),
            }
        }
        labels.sort_by(|a, b| a.source.cmp(&b.source));
        Ok(Environment {
            options: from_list(&list)?,
            ci: CiVariables {
                github: from_list(&list)?,
                gitlab: from_list(&list)?,
                jenkins: from_list(&list)?,
                azure: from_list(&list)?,
                argo: from_list(&list)?,
            },
            labels,
            proxy: ProxyVars::from_set(&proxies),
        })
    }
}

fn from_list<T: DeserializeOwned>(list: &[(String, String)]) -> Result<T, CliError> {
    envy::from_iter::<_, Named<T>>(list.iter().cloned())
        .map(|named| named.0)
        .map_err(|error| CliError::Usage(anyhow!("{error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Environment, String> {
        Environment::read(vars.iter().map(|(k, v)| (k.into(), v.into()))).map_err(|e| match e {
            CliError::Usage(error) => format!("{error:#}"),
            CliError::Clap(error) => error.to_string(),
        })
    }

    #[test]
    fn typed_values_from_the_variables_the_tool_reads() {
        let env = read(&[
            ("DT_TENANT", "https://abc.live.dynatrace.com"),
            ("DT_OTLP_GZIP", "Off"),
            ("DT_TIMEOUT_SECS", " 30 "),
            ("DT_RETRIES", ""),
            ("dt_tenant", "lowercase is not ours"),
            ("GITHUB_ACTIONS", "true"),
            ("LABELS_BUILD_ID", "7"),
            ("LABELS_", "no key"),
            ("UNRELATED", "x"),
        ])
        .unwrap();
        let options = &env.options;
        assert_eq!(
            options.dt_tenant.as_deref(),
            Some("https://abc.live.dynatrace.com")
        );
        assert_eq!(options.dt_otlp_gzip, Some(Switch(false)));
        assert_eq!(options.dt_timeout_secs, Some(Whole(30)));
        assert_eq!(options.dt_retries, None, "empty counts as unset");
        assert!(env.ci.github.detected());
        assert_eq!(
            env.labels,
            vec![RunDimension::new("build_id", "7", "LABELS_BUILD_ID")]
        );
    }

    #[test]
    fn a_bad_value_names_its_variable_and_never_shows_the_value() {
        for (name, expected) in [
            ("DT_RETRIES", "DT_RETRIES is not a whole number"),
            (
                "DT_ONEAGENT",
                "DT_ONEAGENT is not a boolean: use true or false",
            ),
        ] {
            let error = read(&[(name, "dt0c01.SENTINEL")]).unwrap_err();
            assert!(error.contains(expected), "{error}");
            assert!(error.contains("(the value is not shown)"), "{error}");
            assert!(!error.contains("SENTINEL"), "{error}");
        }
    }

    #[test]
    fn a_variable_that_is_not_utf8_is_named_only_when_it_is_read() {
        use std::os::unix::ffi::OsStringExt;
        let bad = || OsString::from_vec(b"dt0c01.SENTINEL\xff".to_vec());
        for name in ["DT_API_TOKEN", "LABELS_X", "GITHUB_REF_NAME"] {
            let error = Environment::read([(OsString::from(name), bad())]).unwrap_err();
            let CliError::Usage(error) = error else {
                panic!("a usage error")
            };
            let text = format!("{error:#}");
            assert!(
                text.contains(&format!("{name} is not valid UTF-8")),
                "{text}"
            );
            assert!(!text.contains("SENTINEL"), "{text}");
        }
        assert!(Environment::read([(OsString::from("OTHER"), bad())]).is_ok());
    }

    #[test]
    fn the_variables_read_are_listed_by_name() {
        let names = Environment::variables();
        for name in [
            "DT_TENANT",
            "DT_CI_PLATFORM",
            "GITHUB_REPOSITORY",
            "TF_BUILD",
        ] {
            assert!(names.contains(name), "{name}");
        }
    }
}
