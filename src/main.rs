use std::ffi::OsString;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use clap::error::ContextValue;
use keptn_dt_metrics::cli::{Cli, CliError, Environment, OutputFormat};
use keptn_dt_metrics::pipeline::{self, Io, SystemClock};
use keptn_dt_metrics::printable::printable;
use keptn_dt_metrics::report::Outcome;
use keptn_dt_metrics::secret::redact;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let (parsed, secret) = match Environment::read(std::env::vars_os()) {
        Ok(env) => {
            let secret = Cli::known_token(&args, &env);
            (Cli::parse_from(args.iter().cloned(), env), secret)
        }
        Err(error) => (Err(error), None),
    };
    let outcome = match parsed {
        Ok(cli) => run(cli),
        Err(CliError::Clap(error)) if !error.use_stderr() => {
            // --help and --version.
            let _ = error.print();
            Outcome::Accepted
        }
        Err(CliError::Clap(mut error)) => {
            // clap quotes the value it refused, which may be the token or hold control
            // characters (a forged line): each value it quotes is escaped, the whole redacted.
            let quoted: Vec<_> = error
                .context()
                .filter_map(|(kind, value)| match value {
                    ContextValue::String(text) => Some((kind, printable(text).into_owned())),
                    _ => None,
                })
                .collect();
            for (kind, text) in quoted {
                error.insert(kind, ContextValue::String(text));
            }
            let rendered = redact(&error.render().to_string(), secret.as_ref());
            eprint!("{rendered}");
            let first = rendered.lines().next().unwrap_or_default();
            let first = first.strip_prefix("error: ").unwrap_or(first);
            json_only(&args, first)
        }
        Err(CliError::Usage(error)) => {
            let message = redact(&format!("{error:#}"), secret.as_ref());
            eprintln!("keptn-dt-metrics: error: {}", printable(&message));
            json_only(&args, &message)
        }
    };
    ExitCode::from(outcome.exit_code())
}

/// With `--output json`, the usage error as a report on stdout too (stderr has it already).
fn json_only(args: &[OsString], message: &str) -> Outcome {
    if Cli::output_format(args) == OutputFormat::Json {
        let mut stdout = std::io::stdout().lock();
        pipeline::report_usage_error(
            OutputFormat::Json,
            false,
            &mut stdout,
            &mut std::io::sink(),
            message,
        );
    }
    Outcome::UsageError
}

fn run(cli: Cli) -> Outcome {
    let flag = || Arc::new(AtomicBool::new(false));
    let (stop, hurry, signalled) = (flag(), flag(), flag());
    if let Err(error) = on_signals(&stop, &hurry, &signalled) {
        eprintln!("keptn-dt-metrics: error: installing the SIGTERM/SIGINT handler: {error}");
        return Outcome::UsageError;
    }
    let mut stdout = BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let outcome = pipeline::run(
        cli,
        Io {
            stdin: Box::new(std::io::stdin()),
            stdout: &mut stdout,
            stderr: &mut std::io::stderr().lock(),
            clock: &SystemClock,
            stop,
            hurry,
            signalled,
        },
    );
    let _ = stdout.flush();
    outcome
}

/// The first SIGTERM or SIGINT asks the run to stop and report; the second asks for the report
/// at once, without waiting for answers in flight; a third ends the process at once with the
/// exit code of an interrupted run (4) and no report, for a run that cannot even write one.
fn on_signals(
    stop: &Arc<AtomicBool>,
    hurry: &Arc<AtomicBool>,
    signalled: &Arc<AtomicBool>,
) -> std::io::Result<()> {
    let signals = Arc::new(AtomicUsize::new(0));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        let (stop, hurry, signals) = (stop.clone(), hurry.clone(), signals.clone());
        let signalled = signalled.clone();
        let handler = move || match signals.fetch_add(1, Ordering::SeqCst) {
            0 => {
                signalled.store(true, Ordering::SeqCst);
                stop.store(true, Ordering::SeqCst);
            }
            1 => hurry.store(true, Ordering::SeqCst),
            _ => signal_hook::low_level::exit(Outcome::DeliveryFailed.exit_code().into()),
        };
        // SAFETY: the handler only stores to atomics and calls _exit, both async-signal-safe.
        unsafe { signal_hook::low_level::register(signal, handler) }?;
    }
    Ok(())
}
