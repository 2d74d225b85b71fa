//! What a k6 run measures beyond its requests, as [`Figure`]s, the same from its summary or its
//! raw output: checks (the pass rate, overall and per check), thresholds (passed or crossed, per
//! expression), the script's own metrics (under `k6.<name>.`, where none can collide with
//! ours), iterations, dropped iterations and the most VUs.

use super::figures::Figure;

/// The `check` value of the checks over all.
pub const ALL_CHECKS: &str = "_all";

/// How often one check (or all of them, `name` [`ALL_CHECKS`]) passed and failed; `group` is
/// k6's group path (`::checkout`), empty at the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub group: String,
    pub passes: u64,
    pub fails: u64,
}

/// `checks.pass_rate` (k6's `checks` rate, 0 to 1), `checks.passed` and `checks.failed` for each
/// check, sorted by group and name, the checks over all last.
pub fn checks(mut checks: Vec<Check>, all: Option<Check>) -> Vec<Figure> {
    checks.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
    let mut figures = Vec::new();
    for check in checks.iter().chain(all.as_ref()) {
        let dimensions = |figure: Figure| {
            let figure = figure.with("check", check.name.as_str());
            match check.group.trim_start_matches("::") {
                "" => figure,
                group => figure.with("group", group),
            }
        };
        let total = check.passes + check.fails;
        if total > 0 {
            let rate = check.passes as f64 / total as f64;
            figures.push(dimensions(
                Figure::gauge("checks.pass_rate", None, rate)
                    .described("Checks that passed per check run, 0 to 1"),
            ));
        }
        figures.push(dimensions(
            Figure::count("checks.passed", Some("Count"), check.passes as f64)
                .described("Check runs that passed"),
        ));
        figures.push(dimensions(
            Figure::count("checks.failed", Some("Count"), check.fails as f64)
                .described("Check runs that failed"),
        ));
    }
    figures
}

/// `thresholds.passed`: 1 when the threshold `expression` on `metric` (a metric or submetric
/// as k6 names it) passed, 0 when it was crossed.
pub fn threshold(metric: &str, expression: &str, passed: bool) -> Figure {
    Figure::gauge("thresholds.passed", None, if passed { 1.0 } else { 0.0 })
        .described("k6 threshold: 1 passed, 0 crossed")
        .with("metric", metric)
        .with("threshold", expression)
}

/// A k6 metric's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Trend,
    Counter,
    Rate,
    Gauge,
}

impl Kind {
    /// k6's name of it (`trend`, `counter`, `rate`, `gauge`).
    pub fn parse(name: &str) -> Option<Kind> {
        match name {
            "trend" => Some(Kind::Trend),
            "counter" => Some(Kind::Counter),
            "rate" => Some(Kind::Rate),
            "gauge" => Some(Kind::Gauge),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Trend => "trend",
            Kind::Counter => "counter",
            Kind::Rate => "rate",
            Kind::Gauge => "gauge",
        }
    }
}

/// The unit of a metric's values from what k6 says it contains (`time`, `data`, `default`).
pub fn unit(contains: Option<&str>) -> Option<&'static str> {
    match contains {
        Some("time") => Some("MilliSecond"),
        Some("data") => Some("Byte"),
        _ => None,
    }
}

/// The key suffix of one of k6's stats (`avg`, `med` as `p50`, `p(99.9)` as `p99_9`), `None`
/// for one not sent.
fn stat_key(kind: Kind, stat: &str) -> Option<String> {
    let known: &[&str] = match kind {
        Kind::Trend => &["avg", "min", "max", "count"],
        Kind::Counter => &["count", "rate"],
        Kind::Rate => &["rate", "value"],
        Kind::Gauge => &["value", "min", "max"],
    };
    if known.contains(&stat) {
        // A legacy export names a rate's `rate` `value`.
        let stat = if kind == Kind::Rate { "rate" } else { stat };
        return Some(stat.to_owned());
    }
    if kind != Kind::Trend {
        return None;
    }
    if stat == "med" {
        return Some("p50".to_owned());
    }
    let number = stat.strip_prefix("p(")?.strip_suffix(')')?;
    let valid = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    valid.then(|| format!("p{}", number.replace('.', "_")))
}

/// The script's own metric `name` (or its submetric, `selector` its tags as k6 writes them,
/// `method:GET`) under `k6.<name>.<stat>`: a Trend's `avg`, `min`, `max`, `p50` (k6's
/// `med`), `p90`, ... and `count` when k6 gave them; a Counter's `count` and `rate` (per
/// second); a Rate's `rate` (0 to 1); a Gauge's `value`, `min` and `max`.
pub fn custom(
    name: &str,
    selector: Option<&str>,
    kind: Kind,
    unit: Option<&'static str>,
    stats: &[(&str, f64)],
) -> Vec<Figure> {
    let mut figures = Vec::new();
    for &(stat, value) in stats {
        let Some(key) = stat_key(kind, stat) else {
            continue;
        };
        let description = format!("k6 {} `{name}`: {stat}", kind.name());
        let figure = match (kind, key.as_str()) {
            (Kind::Trend | Kind::Counter, "count") => Figure::count("", Some("Count"), value),
            (Kind::Counter, "rate") => Figure::gauge("", Some("PerSecond"), value),
            (Kind::Rate, _) => Figure::gauge("", None, value),
            (Kind::Counter, _) => Figure::count("", unit, value),
            _ => Figure::gauge("", unit, value),
        };
        let mut figure = Figure {
            name: format!("k6.{name}.{key}"),
            ..figure.described(description)
        };
        if let Some(selector) = selector {
            figure = figure.with("submetric", selector);
        }
        figures.push(figure);
    }
    // The same order from every file: k6 writes a summary's stats in no order.
    figures.sort_by(|a, b| a.name.cmp(&b.name));
    figures
}

/// Iterations k6 ran (`iterations`) or dropped (`dropped_iterations`), and per second.
pub fn iterations(metric: &str, count: f64, rate: Option<f64>) -> Vec<Figure> {
    let mut figures = vec![
        Figure::count(metric, Some("Count"), count).described(match metric {
            "iterations" => "Iterations of the k6 script that ran",
            _ => "Iterations k6 could not start (dropped_iterations)",
        }),
    ];
    if let Some(rate) = rate {
        figures.push(
            Figure::gauge(format!("{metric}_per_second"), Some("PerSecond"), rate)
                .described(format!("k6 {metric} per second of the test")),
        );
    }
    figures
}

/// The most VUs k6 made ready (`vus_max`).
pub fn vus_max(max: f64) -> Figure {
    Figure::gauge("vus_max", Some("Count"), max).described("Most virtual users k6 allocated")
}

/// Whether `name` is one of k6's own metrics (not the script's).
pub fn is_builtin(name: &str) -> bool {
    const BUILTIN: [&str; 8] = [
        "vus",
        "vus_max",
        "iterations",
        "iteration_duration",
        "dropped_iterations",
        "data_received",
        "data_sent",
        "checks",
    ];
    const FAMILIES: [&str; 5] = ["http_req", "group_duration", "ws_", "grpc_", "browser_"];
    BUILTIN.contains(&name) || FAMILIES.iter().any(|family| name.starts_with(family))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;

    fn shown(figures: &[Figure]) -> Vec<String> {
        figures
            .iter()
            .map(|f| {
                let dimensions: String = f
                    .dimensions
                    .iter()
                    .map(|(k, v)| format!(",{k}={v}"))
                    .collect();
                format!("{}{dimensions} {:?} {:?}", f.name, f.value, f.unit)
            })
            .collect()
    }

    #[test]
    fn checks_per_check_sorted_then_all() {
        let check = |name: &str, group: &str, passes, fails| Check {
            name: name.into(),
            group: group.into(),
            passes,
            fails,
        };
        let figures = checks(
            vec![check("b", "::g", 3, 1), check("a", "", 0, 0)],
            Some(check(ALL_CHECKS, "", 3, 1)),
        );
        assert_eq!(
            shown(&figures),
            vec![
                "checks.passed,check=a Count(0.0) Some(\"Count\")",
                "checks.failed,check=a Count(0.0) Some(\"Count\")",
                "checks.pass_rate,check=b,group=g Gauge(0.75) None",
                "checks.passed,check=b,group=g Count(3.0) Some(\"Count\")",
                "checks.failed,check=b,group=g Count(1.0) Some(\"Count\")",
                "checks.pass_rate,check=_all Gauge(0.75) None",
                "checks.passed,check=_all Count(3.0) Some(\"Count\")",
                "checks.failed,check=_all Count(1.0) Some(\"Count\")",
            ]
        );
    }

    #[test]
    fn custom_metrics_by_kind() {
        let trend = custom(
            "cart",
            None,
            Kind::Trend,
            Some("MilliSecond"),
            &[
                ("med", 2.0),
                ("p(99.9)", 9.0),
                ("avg", 3.0),
                ("thresholds", 1.0),
            ],
        );
        assert_eq!(
            shown(&trend),
            vec![
                "k6.cart.avg Gauge(3.0) Some(\"MilliSecond\")",
                "k6.cart.p50 Gauge(2.0) Some(\"MilliSecond\")",
                "k6.cart.p99_9 Gauge(9.0) Some(\"MilliSecond\")",
            ]
        );
        let counter = custom(
            "n",
            Some("a:b"),
            Kind::Counter,
            None,
            &[("count", 4.0), ("rate", 2.0)],
        );
        assert_eq!(
            shown(&counter),
            vec![
                "k6.n.count,submetric=a:b Count(4.0) Some(\"Count\")",
                "k6.n.rate,submetric=a:b Gauge(2.0) Some(\"PerSecond\")",
            ]
        );
        let rate = custom(
            "ok",
            None,
            Kind::Rate,
            None,
            &[("value", 0.5), ("passes", 1.0)],
        );
        assert_eq!(shown(&rate), vec!["k6.ok.rate Gauge(0.5) None"]);
        let gauge = custom(
            "g",
            None,
            Kind::Gauge,
            None,
            &[("value", 1.0), ("min", 0.0)],
        );
        assert_eq!(gauge.len(), 2);
        assert_eq!(gauge[1].value, Value::Gauge(1.0));
    }

    #[test]
    fn builtin_or_the_scripts() {
        assert!(is_builtin("http_req_duration") && is_builtin("vus_max"));
        assert!(!is_builtin("cart_latency") && !is_builtin("orders"));
    }
}
