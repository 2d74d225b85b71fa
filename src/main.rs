use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use keptn_dt_metrics::cli::{Cli, CliError};
use keptn_dt_metrics::pipeline::{self, Io, SystemClock};
use keptn_dt_metrics::report::Outcome;

fn main() -> ExitCode {
    let outcome = match Cli::parse_from_env(std::env::args_os()) {
        Ok(cli) => run(cli),
        Err(CliError::Clap(error)) => {
            let _ = error.print();
            if error.use_stderr() {
                Outcome::UsageError
            } else {
                Outcome::Accepted
            }
        }
        Err(CliError::Usage(error)) => {
            eprintln!("keptn-dt-metrics: error: {error:#}");
            Outcome::UsageError
        }
    };
    ExitCode::from(outcome.exit_code())
}

fn run(cli: Cli) -> Outcome {
    // The first SIGTERM or SIGINT asks the run to stop and report; a second one ends it at once.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        let installed = signal_hook::flag::register_conditional_shutdown(signal, 1, stop.clone())
            .and_then(|_| signal_hook::flag::register(signal, stop.clone()));
        if let Err(error) = installed {
            eprintln!("keptn-dt-metrics: error: installing the SIGTERM/SIGINT handler: {error}");
            return Outcome::UsageError;
        }
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
        },
    );
    let _ = stdout.flush();
    outcome
}
