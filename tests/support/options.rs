//! The runs behind `options.rs`: one case run by its variable, by its flag or by neither (as a dry
//! run, against a fake Dynatrace, or against an HTTPS server), and everything a user could see
//! of the run.

use super::tls::{self_signed, TlsServer};
use super::{FakeDynatrace, Reply, Workdir, OTLP_PATH};

pub const TOKEN: &str = "dt0c01.OPTIONSSECRET";
pub const METRIC: &[&str] = &["-m", "x_metric=1", "--retries", "0", "--output", "json"];

/// How a case sets up the run; `{server}` in values stands for the server's base URL.
pub enum Setup {
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
pub enum Answer {
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

pub struct Case {
    /// As `--help` documents it (`LABELS_<KEY>` for the labels).
    pub documented: &'static str,
    pub variable: &'static str,
    pub value: &'static str,
    /// The flag's value, when it differs from the variable's; `None` for boolean flags.
    pub flag_value: Option<&'static str>,
    pub setup: Setup,
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum How {
    Variable,
    Flag,
    Neither,
}

/// Everything a user could see of a run, with the server's address and the scratch directory
/// written as placeholders.
#[derive(Debug, PartialEq)]
pub struct Observed {
    code: i32,
    stdout: String,
    stderr: String,
    requests: Vec<String>,
    max_in_flight: usize,
}

pub fn observe(case: &Case, flag: &str, how: How) -> Observed {
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

/// The times in a dry run's JSON, which differ from run to run, as `T`: the OTLP DELTA
/// window's, and an event's window and duration.
fn without_times(text: &str) -> String {
    const MARKERS: [&str; 4] = [
        "UnixNano\": \"",
        "Time\": ",
        "_time\": \"",
        "\"duration\": ",
    ];
    let mut out = String::new();
    let mut rest = text;
    while let Some((at, marker)) = MARKERS
        .iter()
        .filter_map(|m| Some((rest.find(m)?, m)))
        .min_by_key(|(at, _)| *at)
    {
        let (before, after) = rest.split_at(at + marker.len());
        out.push_str(before);
        out.push('T');
        rest = after.trim_start_matches(|c: char| c.is_ascii_digit() || "-:.TZ".contains(c));
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
