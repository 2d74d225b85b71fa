use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use clap::Parser;
use reqwest::blocking::Client;

use keptn_dt_metrics::config::{Cli, Config, Env, OutputFormat};
use keptn_dt_metrics::encode::Encoder;
use keptn_dt_metrics::otlp::{OtlpEncoder, Window};
use keptn_dt_metrics::report::{Outcome, Report, EXIT_USAGE};
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
    let started_ns = now_ns();
    let config = Config::resolve(cli, Env::from_process()?)?;
    let client = config.destination.as_ref().map(send::client).transpose()?;
    match config.loop_interval {
        None => {
            let window = Window {
                start_ns: started_ns,
                end_ns: now_ns().max(started_ns + 1),
            };
            let report = once(&config, client.as_ref(), window)?;
            write_report(&config, &report)?;
            Ok(report.exit_code)
        }
        Some(interval) => {
            let (report, stopped_by) = run_loop(&config, client.as_ref(), started_ns, interval)?;
            write_report(&config, &report)?;
            match stopped_by {
                None => Ok(report.exit_code),
                Some(error) => {
                    eprintln!(
                        "keptn-dt-metrics: error: {error:#}; the report shows the rounds before"
                    );
                    Ok(EXIT_USAGE)
                }
            }
        }
    }
}

/// Reads, encodes and sends once.
fn once(config: &Config, client: Option<&Client>, window: Window) -> Result<Report> {
    let mut inputs = input::read_inputs(&config.sources, &mut std::io::stdin().lock())?;
    let otlp = OtlpEncoder::new(&config.encoding, config.histogram_summaries).encode(
        &inputs.histograms,
        &inputs.histogram_refusals,
        window,
    );
    inputs.metrics.extend(otlp.summaries.iter().cloned());
    let lines = Encoder::new(&config.encoding, now_ms()).encode(&inputs);

    let mut outcome = Outcome {
        dry_run: config.destination.is_none(),
        lines,
        lines_delivery: None,
        lines_endpoint: None,
        otlp,
        otlp_delivery: None,
        otlp_endpoint: None,
    };
    if let (Some(destination), Some(client)) = (&config.destination, client) {
        let metrics_url = match &destination.metrics_url {
            None if !outcome.lines.lines.is_empty() => {
                bail!(
                    "there are lines to send but no URL for them: set DT_TENANT or DT_METRICS_URL"
                )
            }
            url => url.as_ref(),
        };
        let otlp_url = match &destination.otlp_url {
            None if !outcome.otlp.requests.is_empty() => {
                bail!("there are histograms to send but no URL for them: set DT_TENANT or DT_OTLP_URL")
            }
            url => url.as_ref(),
        };
        if let Some(url) = metrics_url {
            outcome.lines_delivery = Some(send::send_lines(
                client,
                destination,
                url,
                &outcome.lines.lines,
            ));
            outcome.lines_endpoint = Some(url.to_string());
        }
        if let Some(url) = otlp_url {
            outcome.otlp_delivery = Some(send::send_otlp(
                client,
                destination,
                url,
                &outcome.otlp.requests,
            ));
            outcome.otlp_endpoint = Some(url.to_string());
        }
    }
    Ok(Report::new(outcome))
}

/// `--loop`: a round every `interval` until SIGTERM or SIGINT; each round's DELTA window starts
/// where the previous one ended. Returns the totals of all rounds, and the error that ended the
/// loop early, if one did after the first round (an error in the first is returned as such).
fn run_loop(
    config: &Config,
    client: Option<&Client>,
    started_ns: u64,
    interval: Duration,
) -> Result<(Report, Option<anyhow::Error>)> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("installing the SIGTERM/SIGINT handler")?;
    }
    let mut totals: Option<Report> = None;
    let mut window_start = started_ns;
    for round in 1.. {
        let round_started = Instant::now();
        let window_end = now_ns().max(window_start + 1);
        let window = Window {
            start_ns: window_start,
            end_ns: window_end,
        };
        let report = match once(config, client, window) {
            Ok(report) => report,
            Err(error) => {
                return match totals {
                    None => Err(error),
                    Some(totals) => Ok((totals, Some(error))),
                }
            }
        };
        window_start = window_end;
        eprintln!(
            "round {round}: {} line(s) and {} histogram point(s) sent, outcome {}",
            report.lines.sent, report.otlp.points_sent, report.outcome
        );
        match &mut totals {
            Some(totals) => totals.absorb(report),
            None => totals = Some(report),
        }
        while !stop.load(Ordering::Relaxed) && round_started.elapsed() < interval {
            std::thread::sleep(Duration::from_millis(50));
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    Ok((totals.expect("at least one round ran"), None))
}

fn write_report(config: &Config, report: &Report) -> Result<()> {
    let written = match config.output {
        OutputFormat::Json => report.write_json(&mut std::io::stdout().lock()),
        OutputFormat::Text => {
            report.write_text(&mut std::io::stdout().lock(), &mut std::io::stderr().lock())
        }
    };
    match written.and_then(|()| std::io::stdout().flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(error).context("writing the report")
        }
        _ => Ok(()),
    }
}

fn now_ms() -> i64 {
    (now_ns() / 1_000_000) as i64
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}
