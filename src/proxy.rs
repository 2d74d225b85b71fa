//! Proxies: which one, if any, carries the requests to an endpoint. The standard variables are
//! read as curl and reqwest read them (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, each
//! also lower-case), with two rules on top:
//!
//! - this machine (`localhost`, `127.0.0.0/8`, `::1`, so the OneAgent's endpoint too) is never
//!   reached through a proxy: its traffic, which may carry the token over plain `http://`, stays
//!   on the machine;
//! - only `http://` and `https://` proxies are spoken to (a `socks5://` one is a usage error,
//!   not a request sent to it as if it were an HTTP proxy).
//!
//! What a proxy sees: for an `https://` endpoint, only the `CONNECT host:port` that opens a
//! tunnel; the request, the token with it, is encrypted end to end. For an `http://` endpoint,
//! the whole request, token included: that endpoint is not this machine (which is never
//! proxied), so it already needs `DT_ALLOW_PLAIN_HTTP`, and the proxy is one more hop of the
//! network that setting trusts.

use anyhow::{bail, Result};
use hyper_util::client::proxy::matcher::Matcher;
use reqwest::Url;

/// The proxy variables as set (empty counts as unset).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ProxyVars {
    pub all: Option<String>,
    pub http: Option<String>,
    pub https: Option<String>,
    pub no: Option<String>,
}

/// The variables read, upper-case first, as curl and reqwest read them.
pub const NAMES: [[&str; 2]; 4] = [
    ["ALL_PROXY", "all_proxy"],
    ["HTTP_PROXY", "http_proxy"],
    ["HTTPS_PROXY", "https_proxy"],
    ["NO_PROXY", "no_proxy"],
];

impl ProxyVars {
    /// The variables from `set` (name, value; already checked to be UTF-8 and not empty), the
    /// upper-case name first.
    pub fn from_set(set: &[(String, String)]) -> ProxyVars {
        let read = |names: [&str; 2]| {
            names.iter().find_map(|name| {
                set.iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.trim().to_owned())
            })
        };
        let [all, http, https, no] = NAMES.map(read);
        ProxyVars {
            all,
            http,
            https,
            no,
        }
    }
}

/// A proxy that carries the requests to one origin (scheme, host and port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub origin: url::Origin,
    pub proxy: Url,
}

/// True for a URL whose host is this machine: `localhost`, `127.0.0.0/8` or `::1`.
pub fn is_this_machine(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The proxy for requests to `url`, if one is to carry them.
pub fn route(url: &Url, vars: &ProxyVars) -> Result<Option<Route>> {
    if is_this_machine(url) {
        return Ok(None);
    }
    let (value, name) = match (url.scheme(), &vars.http, &vars.https, &vars.all) {
        ("http", Some(value), _, _) => (value, "HTTP_PROXY"),
        ("https", _, Some(value), _) => (value, "HTTPS_PROXY"),
        (_, _, _, Some(value)) => (value, "ALL_PROXY"),
        _ => return Ok(None),
    };
    if exempt(url, vars.no.as_deref().unwrap_or_default()) {
        return Ok(None);
    }
    let with_scheme = if value.contains("://") {
        value.clone()
    } else {
        format!("http://{value}")
    };
    let shown = crate::secret::shown_raw(&with_scheme);
    let proxy = match Url::parse(&with_scheme) {
        Ok(proxy) if proxy.host_str().is_some_and(|h| !h.is_empty()) => proxy,
        _ => bail!(
            "{name} `{shown}` is not a proxy URL: expected e.g. http://proxy.example.com:3128; \
             fix it, unset it, or name {} in NO_PROXY",
            url.host_str().unwrap_or_default()
        ),
    };
    if !matches!(proxy.scheme(), "http" | "https") {
        bail!(
            "{name} names a {}:// proxy ({shown}), and keptn-dt-metrics speaks only to http:// \
             and https:// proxies: set one of those in HTTPS_PROXY, or name {} in NO_PROXY",
            proxy.scheme(),
            url.host_str().unwrap_or_default()
        );
    }
    Ok(Some(Route {
        origin: url.origin(),
        proxy,
    }))
}

/// Whether `NO_PROXY` exempts `url`, by the rules reqwest applies to it (domains and their
/// subdomains, IP addresses and networks, `*`).
fn exempt(url: &Url, no_proxy: &str) -> bool {
    let Ok(uri) = url.as_str().parse::<http::Uri>() else {
        return false;
    };
    let matcher = Matcher::builder()
        .all("http://proxy.invalid")
        .no(no_proxy)
        .build();
    matcher.intercept(&uri).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(all: &str, http: &str, https: &str, no: &str) -> ProxyVars {
        let set = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        ProxyVars {
            all: set(all),
            http: set(http),
            https: set(https),
            no: set(no),
        }
    }

    fn proxy_of(url: &str, vars: &ProxyVars) -> Option<String> {
        route(&Url::parse(url).unwrap(), vars)
            .unwrap()
            .map(|r| r.proxy.to_string())
    }

    #[test]
    fn this_machine_is_never_proxied() {
        let everything = vars("http://p:1", "http://p:2", "http://p:3", "");
        for url in [
            "http://localhost:14499/metrics/ingest",
            "http://127.0.0.1:9/x",
            "http://127.1.2.3/x",
            "https://[::1]:9/x",
            "https://LOCALHOST/x",
        ] {
            assert_eq!(proxy_of(url, &everything), None, "{url}");
        }
    }

    #[test]
    fn the_variable_for_the_scheme_wins_over_all_proxy() {
        let set = vars("http://all:1", "http://plain:2", "https://tls:3", "");
        assert_eq!(
            proxy_of("https://abc.live.dynatrace.com/api", &set).as_deref(),
            Some("https://tls:3/")
        );
        assert_eq!(
            proxy_of("http://dt.example.com/api", &set).as_deref(),
            Some("http://plain:2/")
        );
        let only_all = vars("proxy.example.com:3128", "", "", "");
        assert_eq!(
            proxy_of("https://abc.live.dynatrace.com/api", &only_all).as_deref(),
            Some("http://proxy.example.com:3128/")
        );
        assert_eq!(
            proxy_of("https://x.example.com", &ProxyVars::default()),
            None
        );
    }

    #[test]
    fn no_proxy_exempts_domains_subdomains_addresses_and_everything() {
        let with = |no: &str| vars("", "", "http://p:1", no);
        let url = "https://abc.live.dynatrace.com/api";
        assert_eq!(proxy_of(url, &with("dynatrace.com")), None);
        assert_eq!(proxy_of(url, &with(".live.dynatrace.com, other")), None);
        assert_eq!(proxy_of(url, &with("*")), None);
        assert!(proxy_of(url, &with("notdynatrace.com")).is_some());
        assert_eq!(proxy_of("https://10.1.2.3/x", &with("10.0.0.0/8")), None);
    }

    #[test]
    fn only_http_proxies_are_spoken_to() {
        let socks = vars("socks5://user:pw@p:1080", "", "", "");
        let error = route(&Url::parse("https://x.example.com").unwrap(), &socks)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("ALL_PROXY names a socks5:// proxy"),
            "{error}"
        );
        assert!(!error.contains("pw"), "{error}");
        let garbage = vars("", "", "http://", "");
        let error = route(&Url::parse("https://x.example.com").unwrap(), &garbage)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("HTTPS_PROXY `http://` is not a proxy URL"),
            "{error}"
        );
    }
}
