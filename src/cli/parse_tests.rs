//! Tests of cli/parse.rs.

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
