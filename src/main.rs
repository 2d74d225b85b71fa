use std::process::ExitCode;

use keptn_dt_metrics::cli::{Cli, CliError};
use keptn_dt_metrics::pipeline::{self, Io, SystemClock};
use keptn_dt_metrics::report::Outcome;

fn main() -> ExitCode {
    let outcome = match Cli::parse_from_env(std::env::args_os()) {
        Ok(cli) => pipeline::run(
            cli,
            Io {
                stdin: &mut std::io::stdin().lock(),
                stdout: &mut std::io::stdout().lock(),
                stderr: &mut std::io::stderr().lock(),
                clock: &SystemClock,
            },
        ),
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
