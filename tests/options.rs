//! Every environment variable `--help` documents is checked against its flag: the variable and
//! the flag, each alone, give the same run (exit code, report, what the server received), and
//! that run differs from one with neither, so the variable is read at all. A variable documented
//! in `--help` without a case here, or a case for a variable `--help` does not document, fails.

#[allow(dead_code)]
mod support;

use std::collections::BTreeSet;

use support::options::{observe, Answer, Case, How, Setup, METRIC, TOKEN};
use support::Workdir;

/// `--help` entries that name a variable: the long flag, whether it takes a value, the variable.
fn documented() -> Vec<(String, bool, String)> {
    let help = Workdir::new("options-help").cli().args(["--help"]).run();
    help.expect_code(0);
    let mut entries = Vec::new();
    let mut current: Option<(String, bool)> = None;
    let mut text = String::new();
    let mut flush = |current: &Option<(String, bool)>, text: &str| {
        let Some((flag, takes_value)) = current else {
            return;
        };
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for inside in flat.split("[env: ").skip(1) {
            let name = inside.split([']', '=']).next().unwrap_or_default();
            entries.push((flag.clone(), *takes_value, name.to_owned()));
        }
    };
    for line in help.stdout.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('-') {
            flush(&current, &text);
            text.clear();
            let head = trimmed.split("  ").next().unwrap_or_default();
            let long = head
                .split_whitespace()
                .find(|t| t.starts_with("--"))
                .unwrap_or_default()
                .trim_end_matches(',');
            current = Some((long.to_owned(), head.contains('<')));
        }
        text.push_str(line);
        text.push('\n');
    }
    flush(&current, &text);
    entries
}

const CREDENTIALS: &[(&str, &str)] = &[("DT_TENANT", "{server}"), ("DT_API_TOKEN", TOKEN)];
const HISTOGRAM: &[&str] = &["--histogram", "h=samples.txt", "--output", "json"];

fn cases() -> Vec<Case> {
    let case = |documented, value, flag_value: Option<&'static str>, setup| Case {
        documented,
        variable: documented,
        value,
        flag_value,
        setup,
    };
    let dry = |documented, value| case(documented, value, Some(value), Setup::DryRun(&[]));
    let send = |env, args| Setup::Send {
        env,
        args,
        answer: Answer::Accept,
    };
    vec![
        case(
            "DT_TENANT",
            "{server}",
            Some("{server}"),
            send(&[("DT_API_TOKEN", TOKEN)], METRIC),
        ),
        case(
            "DT_API_TOKEN",
            TOKEN,
            Some(TOKEN),
            send(&[("DT_TENANT", "{server}")], METRIC),
        ),
        case(
            "DT_METRICS_URL",
            "{server}/custom/ingest",
            Some("{server}/custom/ingest"),
            send(CREDENTIALS, METRIC),
        ),
        case(
            "DT_OTLP_URL",
            "{server}/custom/otlp",
            Some("{server}/custom/otlp"),
            send(CREDENTIALS, HISTOGRAM),
        ),
        case("DT_OTLP_GZIP", "false", None, send(CREDENTIALS, HISTOGRAM)),
        case(
            "DT_HISTOGRAM_SUMMARIES",
            "true",
            None,
            Setup::DryRun(&["--histogram", "h=samples.txt"]),
        ),
        case("DT_ONEAGENT", "true", None, send(&[], METRIC)),
        case(
            "DT_ALLOW_PLAIN_HTTP",
            "true",
            None,
            Setup::Send {
                env: &[("DT_TENANT", "http://192.0.2.1:9"), ("DT_API_TOKEN", TOKEN)],
                args: &["-m", "x_metric=1", "--retries", "0", "--timeout-secs", "1"],
                answer: Answer::Accept,
            },
        ),
        case("INSECURE_SSL", "true", None, Setup::Tls(&[])),
        case(
            "DT_CA_BUNDLE",
            "cert.pem",
            Some("cert.pem"),
            Setup::Tls(&[]),
        ),
        case(
            "DT_TIMEOUT_SECS",
            "1",
            Some("1"),
            Setup::Send {
                env: CREDENTIALS,
                args: METRIC,
                answer: Answer::Slowly,
            },
        ),
        case(
            "DT_DEADLINE_SECS",
            "1",
            Some("1"),
            Setup::Send {
                env: CREDENTIALS,
                args: METRIC,
                answer: Answer::Slowly,
            },
        ),
        case(
            "DT_RETRIES",
            "0",
            Some("0"),
            Setup::Send {
                env: CREDENTIALS,
                args: &["-m", "x_metric=1", "--output", "json"],
                answer: Answer::Unavailable,
            },
        ),
        case(
            "DT_RETRY_BUDGET_SECS",
            "0",
            Some("0"),
            Setup::Send {
                env: CREDENTIALS,
                args: &["-m", "x_metric=1", "--output", "json"],
                answer: Answer::UnavailableForASecond,
            },
        ),
        case(
            "DT_CONCURRENCY",
            "1",
            Some("1"),
            Setup::Send {
                env: CREDENTIALS,
                args: &["--lines", "many.txt", "--output", "json"],
                answer: Answer::Leisurely,
            },
        ),
        case(
            "DT_REPORT_LIMIT",
            "1",
            Some("1"),
            Setup::DryRun(&["--lines", "refused.txt"]),
        ),
        dry("METRIC_PREFIX", "acme"),
        dry("INTEGRATION_NAME", "loadtest"),
        case(
            "DEFAULT_DIMENSIONS",
            "team=core",
            Some("team=core"),
            Setup::DryRun(&[]),
        ),
        dry("KEPTN_PROJECT", "sockshop"),
        dry("KEPTN_STAGE", "staging"),
        dry("KEPTN_SERVICE", "carts"),
        dry("KEPTN_CONTEXT", "ctx-1"),
        dry("KEPTN_EVENT_TYPE", "sh.keptn.event.test.triggered"),
        dry("DT_CI_PLATFORM", "tekton"),
        Case {
            documented: "LABELS_<KEY>",
            variable: "LABELS_BUILDID",
            value: "1.2.3",
            flag_value: Some("buildid=1.2.3"),
            setup: Setup::DryRun(&[]),
        },
        case("DT_METADATA_ENRICHMENT", "false", None, Setup::DryRun(&[])),
        case("DT_EVENT", "true", None, Setup::DryRun(&[])),
        case("DT_SDLC_EVENT", "true", None, Setup::DryRun(&[])),
        case(
            "DT_EVENT_TYPE",
            "CUSTOM_DEPLOYMENT",
            Some("CUSTOM_DEPLOYMENT"),
            Setup::DryRun(&["--event"]),
        ),
        case(
            "DT_EVENT_TITLE",
            "Load test",
            Some("Load test"),
            Setup::DryRun(&["--event"]),
        ),
        case(
            "DT_EVENT_PROPERTIES",
            "team=core",
            Some("team=core"),
            Setup::DryRun(&["--event"]),
        ),
        case(
            "DT_EVENT_ENTITY_SELECTOR",
            "type(SERVICE)",
            Some("type(SERVICE)"),
            Setup::DryRun(&["--event"]),
        ),
        dry("DT_METADATA_DIR", "other-metadata"),
    ]
}

#[test]
fn every_documented_variable_does_what_its_flag_does() {
    let documented = documented();
    let cases = cases();
    let names: BTreeSet<&str> = documented.iter().map(|(_, _, v)| v.as_str()).collect();
    let covered: BTreeSet<&str> = cases.iter().map(|c| c.documented).collect();
    assert_eq!(
        names, covered,
        "--help documents these variables; each needs a case here"
    );
    for case in &cases {
        let (flag, takes_value, _) = documented
            .iter()
            .find(|(_, _, v)| v == case.documented)
            .expect("documented");
        assert_eq!(
            *takes_value,
            case.flag_value.is_some(),
            "{flag}: the case must give a flag value exactly when the flag takes one"
        );
        let by_variable = observe(case, flag, How::Variable);
        let by_flag = observe(case, flag, How::Flag);
        let by_neither = observe(case, flag, How::Neither);
        assert_eq!(
            by_variable, by_flag,
            "{}={} and {flag} must give the same run",
            case.variable, case.value
        );
        assert_ne!(
            by_variable, by_neither,
            "{}={} changes nothing: is it read?",
            case.variable, case.value
        );
    }
}
