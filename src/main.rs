use std::io::Write;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use clap::Parser;

use keptn_dt_metrics::config::{Cli, Config, Env, OutputFormat};
use keptn_dt_metrics::encode::Encoder;
use keptn_dt_metrics::report::{Report, EXIT_USAGE};
use keptn_dt_metrics::{input, send};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("keptn-dt-metrics: error: {error:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Errors returned here happen before anything is sent; everything after is in the report.
fn run(cli: Cli) -> Result<u8> {
    let config = Config::resolve(cli, Env::from_process()?)?;
    let inputs = input::read_inputs(&config.sources, &mut std::io::stdin().lock())?;
    let encoded = Encoder::new(&config.encoding, now_ms()).encode(&inputs);
    let (delivery, endpoint) = match &config.destination {
        Some(destination) => {
            let client = send::client(destination)?;
            let delivery = send::send_lines(&client, destination, &encoded.lines);
            (Some(delivery), Some(destination.metrics_url.to_string()))
        }
        None => (None, None),
    };
    let report = Report::new(encoded, delivery, endpoint);
    let written = match config.output {
        OutputFormat::Json => report.write_json(&mut std::io::stdout().lock()),
        OutputFormat::Text => {
            report.write_text(&mut std::io::stdout().lock(), &mut std::io::stderr().lock())
        }
    };
    if let Err(error) = written.and_then(|()| std::io::stdout().flush()) {
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(error).context("writing the report");
        }
    }
    Ok(report.exit_code)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
