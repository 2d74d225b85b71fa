//! Every environment variable `--help` documents is checked against its flag: the variable and
//! the flag, each alone, give the same run (exit code, report, what the server received), and
//! that run differs from one with neither, so the variable is read at all. A variable documented
//! in `--help` without a case here, or a case for a variable `--help` does not document, fails.

#[allow(dead_code)]
mod support;

use std::collections::BTreeSet;

use support::tls::{self_signed, TlsServer};
use support::{FakeDynatrace, Reply, Workdir, OTLP_PATH};

const TOKEN: &str = "dt0c01.OPTIONSSECRET";

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

/// How a case sets up the run; `{server}` in values stands for the server's base URL.
enum Setup {
    /// `--dry-run --output json` with these arguments.
    DryRun(&'static [&'static str]),
    /// Sends to a fake Dynatrace that answers as `Answer` says.
    Send {
        env: &'static [(&'static str, &'static str)],
        args: &'static [&'static str],
        answer: Answer,
    },
    /// Sends `-m x_metric=1` to an HTTPS server with a self-signed certificate, `cert.pem`.
    Tls(&'static [(&'static str, &'static str)]),
}

#[derive(Clone, Copy)]
enum Answer {
    Accept,
    /// Answers after 1.5 s.
    Slowly,
    /// 503 with `Retry-After: 0`, always.
    Unavailable,
    /// Answers after 300 ms, each request on its own.
    Leisurely,
    /// 503 with `Retry-After: 1`, always.
    UnavailableForASecond,
}

struct Case {
    /// As `--help` documents it (`LABELS_<KEY>` for the labels).
    documented: &'static str,
    variable: &'static str,
    value: &'static str,
    /// The flag's value, when it differs from the variable's; `None` for boolean flags.
    flag_value: Option<&'static str>,
    setup: Setup,
}

const CREDENTIALS: &[(&str, &str)] = &[("DT_TENANT", "{server}"), ("DT_API_TOKEN", TOKEN)];
const METRIC: &[&str] = &["-m", "x_metric=1", "--retries", "0", "--output", "json"];
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
        Case {
            documented: "LABELS_<KEY>",
            variable: "LABELS_BUILDID",
            value: "1.2.3",
            flag_value: Some("buildid=1.2.3"),
            setup: Setup::DryRun(&[]),
        },
        case("DT_METADATA_ENRICHMENT", "false", None, Setup::DryRun(&[])),
        dry("DT_METADATA_DIR", "other-metadata"),
    ]
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum How {
    Variable,
    Flag,
    Neither,
}

/// Everything a user could see of a run, with the server's address and the scratch directory
/// written as placeholders.
#[derive(Debug, PartialEq)]
struct Observed {
    code: i32,
    stdout: String,
    stderr: String,
    requests: Vec<String>,
    max_in_flight: usize,
}

fn observe(case: &Case, flag: &str, how: How) -> Observed {
    let dir = Workdir::new("options");
    dir.write("samples.txt", "1\n2\n3\n");
    dir.write("refused.txt", "a.b gauge,x\nc.d gauge,y\ne.f gauge,z\n");
    let many: String = (0..2500).map(|i| format!("many.metric {i}\n")).collect();
    dir.write("many.txt", &many);
    // Metadata in the default directory of the runs, and other metadata in another one.
    dir.write("dt_metadata.properties", "k8s.pod.name=job-1\n");
    std::fs::create_dir(dir.path().join("other-metadata")).unwrap();
    dir.write(
        "other-metadata/dt_metadata.properties",
        "host.name=node-7\n",
    );
    let (cert, key) = self_signed();
    dir.write("cert.pem", &cert);
    let fake = match &case.setup {
        Setup::Send { answer, .. } => Some(start(*answer)),
        _ => None,
    };
    let tls = matches!(case.setup, Setup::Tls(_)).then(|| TlsServer::start(&cert, &key));
    let server = match (&fake, &tls) {
        (Some(fake), _) => fake.url().to_owned(),
        (_, Some(tls)) => format!("https://localhost:{}", tls.port),
        _ => "http://127.0.0.1:9".to_owned(),
    };
    let with_server = |s: &str| s.replace("{server}", &server);

    let mut cli = dir.cli();
    let (env, args): (&[(&str, &str)], Vec<&str>) = match &case.setup {
        Setup::DryRun(args) => (
            &[],
            [&["--dry-run", "-m", "x_metric=1", "-o", "json"], *args].concat(),
        ),
        Setup::Send { env, args, .. } => (env, args.to_vec()),
        Setup::Tls(env) => (env, METRIC.to_vec()),
    };
    if let Setup::Tls(_) = case.setup {
        cli = cli.env("DT_TENANT", &server).env("DT_API_TOKEN", TOKEN);
    }
    for (name, value) in env {
        cli = cli.env(name, &with_server(value));
    }
    cli = cli.args(args);
    match how {
        How::Variable => cli = cli.env(case.variable, &with_server(case.value)),
        How::Flag => {
            cli = cli.args([flag]);
            if let Some(value) = case.flag_value {
                cli = cli.args([with_server(value)]);
            }
        }
        How::Neither => {}
    }
    let out = cli.run();
    let placeholders = |text: &str| {
        without_times(
            &text
                .replace(&server, "{server}")
                .replace(dir.path().to_str().unwrap(), "{dir}"),
        )
    };
    let max_in_flight = fake.as_ref().map_or(0, |f| f.max_in_flight());
    let mut requests: Vec<String> = fake
        .map(|f| f.requests())
        .or_else(|| tls.map(|t| t.requests()))
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let mut summary = format!("{} {}", r.method, r.path);
            for header in ["authorization", "content-encoding", "content-type"] {
                summary.push_str(&format!(" {header}={:?}", r.header(header)));
            }
            if r.path != OTLP_PATH && !r.path.contains("otlp") {
                summary.push_str(&format!(" {:?}", r.body));
            }
            summary
        })
        .collect();
    // Requests in flight at once arrive in any order.
    requests.sort();
    Observed {
        code: out.code,
        stdout: placeholders(&out.stdout),
        stderr: placeholders(&out.stderr),
        requests,
        max_in_flight,
    }
}

/// The DELTA window's times in a dry run's OTLP JSON, which differ from run to run, as `T`.
fn without_times(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("UnixNano\": \"") {
        let (before, after) = rest.split_at(at + "UnixNano\": \"".len());
        out.push_str(before);
        out.push('T');
        rest = after.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

fn start(answer: Answer) -> FakeDynatrace {
    FakeDynatrace::start(move |request, _| match answer {
        Answer::Accept if request.path.contains("otlp") => Reply::otlp_ok(),
        Answer::Accept => Reply::accepted(request.lines().len()),
        Answer::Slowly => {
            std::thread::sleep(std::time::Duration::from_millis(1500));
            Reply::accepted(request.lines().len())
        }
        Answer::Unavailable => Reply::json(503, "{}").with_header("Retry-After", "0"),
        Answer::UnavailableForASecond => Reply::json(503, "{}").with_header("Retry-After", "1"),
        Answer::Leisurely => {
            std::thread::sleep(std::time::Duration::from_millis(300));
            Reply::accepted(request.lines().len())
        }
    })
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
