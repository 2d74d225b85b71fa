//! Where the data goes and how to get there: the tenant URL (in any of the forms users write,
//! [`crate::tenant`]), the explicit endpoint URLs, the OneAgent's local endpoint, the API token
//! (checked once, here, to fit an HTTP header), the proxy that carries each endpoint's requests
//! ([`crate::proxy`]), and the TLS and timeout settings of the connection.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use reqwest::header::HeaderValue;
use reqwest::Url;

use crate::proxy::{self, ProxyVars, Route};
use crate::secret::Secret;

pub const METRICS_INGEST_PATH: &str = "/api/v2/metrics/ingest";
pub const OTLP_METRICS_PATH: &str = "/api/v2/otlp/v1/metrics";
pub const EVENTS_INGEST_PATH: &str = "/api/v2/events/ingest";
pub const SDLC_EVENTS_PATH: &str = "/platform/ingest/v1/events.sdlc";
pub const ONEAGENT_METRICS_URL: &str = "http://localhost:14499/metrics/ingest";
pub const ONEAGENT_OTLP_URL: &str = "http://localhost:14499/otlp/v1/metrics";

#[derive(Debug, Clone)]
pub struct Destination {
    /// `None` when neither a tenant nor DT_METRICS_URL says where lines go.
    pub metrics_url: Option<Url>,
    pub otlp_url: Option<Url>,
    /// `{tenant}/api/v2/events/ingest`; `None` without a tenant.
    pub events_url: Option<Url>,
    /// `{tenant}/platform/ingest/v1/events.sdlc`, or why there is none (OpenPipeline is SaaS
    /// only, and needs a tenant).
    pub sdlc_url: Result<Url, String>,
    pub gzip: bool,
    pub token: Option<Token>,
    pub timeout: Duration,
    pub retries: u32,
    pub retry_budget: Duration,
    pub insecure_tls: bool,
    pub ca_bundle: Option<PathBuf>,
    /// What was changed in the tenant URL given, to say so.
    pub notes: Vec<String>,
    /// The proxies that carry requests to the endpoints; an endpoint not here is reached
    /// directly.
    pub proxies: Vec<Route>,
}

/// The API token, checked to fit an HTTP header: a `Token` cannot exist otherwise.
#[derive(Clone)]
pub struct Token {
    secret: Secret,
    header: HeaderValue,
}

impl Token {
    pub fn new(secret: Secret) -> Result<Token> {
        let Ok(mut header) = HeaderValue::from_str(&format!("Api-Token {}", secret.expose()))
        else {
            bail!(
                "DT_API_TOKEN contains characters that cannot go into an HTTP header (the value \
                 is not shown)"
            );
        };
        header.set_sensitive(true);
        Ok(Token { secret, header })
    }

    /// `Api-Token <token>`, marked sensitive.
    pub fn authorization(&self) -> &HeaderValue {
        &self.header
    }

    /// For redacting server texts that echo the token.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// What the user said about the destination, before it is resolved.
#[derive(Debug, Default)]
pub struct Request {
    pub tenant: Option<String>,
    pub token: Option<Secret>,
    pub metrics_url: Option<String>,
    pub otlp_url: Option<String>,
    pub gzip: bool,
    pub oneagent: bool,
    pub timeout: Duration,
    pub retries: u32,
    pub retry_budget: Duration,
    pub insecure_tls: bool,
    pub ca_bundle: Option<PathBuf>,
    /// Send the token over plain HTTP to a host that is not this machine.
    pub allow_plain_http: bool,
    pub proxy: ProxyVars,
}

impl Destination {
    pub fn resolve(request: Request) -> Result<Destination> {
        if let Some(token) = &request.token {
            crate::secret::remember(token);
        }
        let parse = |url: &Option<String>, name: &str| {
            url.as_deref().map(|u| parse_url(u, name)).transpose()
        };
        let metrics_override = parse(&request.metrics_url, "DT_METRICS_URL (--metrics-url)")?;
        let otlp_override = parse(&request.otlp_url, "DT_OTLP_URL (--otlp-url)")?;
        let mut notes = Vec::new();
        let mut events_url = None;
        let sdlc_url;
        let (metrics_url, otlp_url, token) = if request.oneagent {
            let url = |u: &str| Some(Url::parse(u).expect("constant URL"));
            sdlc_url = Err(
                "the OneAgent's local endpoint (DT_ONEAGENT, --oneagent) takes \
                            metrics only"
                    .to_owned(),
            );
            (url(ONEAGENT_METRICS_URL), url(ONEAGENT_OTLP_URL), None)
        } else if request.tenant.is_none()
            && (metrics_override.is_some() || otlp_override.is_some())
        {
            sdlc_url = Err("only DT_METRICS_URL or DT_OTLP_URL is set, no DT_TENANT".to_owned());
            (metrics_override, otlp_override, request.token)
        } else {
            let tenant = request.tenant.context(
                "DT_TENANT is not set: set it to your environment's URL \
                 (https://{env-id}.live.dynatrace.com), e.g. from the Kubernetes secret with \
                 `valueFrom: secret`, or pass --tenant; or try --dry-run",
            )?;
            let token = request.token.context(
                "DT_API_TOKEN is not set: create a token with scope metrics.ingest and provide \
                 it in the Kubernetes secret (`valueFrom: secret`) or the environment; or try \
                 --dry-run",
            )?;
            refuse_token_as_tenant(&tenant, &token)?;
            let tenant = crate::tenant::Tenant::parse(&tenant)?;
            notes = tenant.notes;
            let base = tenant.base;
            let url =
                |path: &str| Url::parse(&format!("{base}{path}")).expect("base URL plus a path");
            events_url = Some(url(EVENTS_INGEST_PATH));
            sdlc_url = match tenant.managed {
                true => Err(format!(
                    "DT_TENANT is a Managed or ActiveGate environment ({}), and OpenPipeline is \
                     SaaS only",
                    crate::secret::shown_raw(&base)
                )),
                false => Ok(url(SDLC_EVENTS_PATH)),
            };
            (
                Some(metrics_override.unwrap_or_else(|| url(METRICS_INGEST_PATH))),
                Some(otlp_override.unwrap_or_else(|| url(OTLP_METRICS_PATH))),
                Some(token),
            )
        };
        let token = token.map(Token::new).transpose()?;
        let endpoints = || {
            let sdlc = sdlc_url.as_ref().ok();
            metrics_url
                .iter()
                .chain(&otlp_url)
                .chain(&events_url)
                .chain(sdlc)
        };
        if token.is_some() && !request.allow_plain_http {
            for url in endpoints() {
                refuse_plain_http(url)?;
            }
        }
        let mut proxies: Vec<Route> = Vec::new();
        for url in endpoints() {
            if let Some(route) = proxy::route(url, &request.proxy)? {
                if !proxies.iter().any(|r| r.origin == route.origin) {
                    proxies.push(route);
                }
            }
        }
        Ok(Destination {
            metrics_url,
            otlp_url,
            events_url,
            sdlc_url,
            gzip: request.gzip,
            token,
            timeout: request.timeout,
            retries: request.retries,
            retry_budget: request.retry_budget,
            insecure_tls: request.insecure_tls,
            ca_bundle: request.ca_bundle,
            notes,
            proxies,
        })
    }

    pub fn secret(&self) -> Option<&Secret> {
        self.token.as_ref().map(Token::secret)
    }
}

/// A token pasted where the tenant goes would be printed and looked up in DNS.
fn refuse_token_as_tenant(tenant: &str, token: &Secret) -> Result<()> {
    let lower = tenant.to_ascii_lowercase();
    let looks_like_token = lower.as_bytes().windows(7).any(|w| {
        w.starts_with(b"dt0")
            && w[3].is_ascii_lowercase()
            && w[4].is_ascii_digit()
            && w[5].is_ascii_digit()
            && w[6] == b'.'
    });
    if looks_like_token || tenant.trim() == token.expose() {
        bail!(
            "DT_TENANT looks like an API token (dt0c01.…), not an environment URL: are DT_TENANT \
             and DT_API_TOKEN swapped? (the value is not shown)"
        );
    }
    Ok(())
}

/// The token must not cross a network in clear text: plain HTTP only to this machine, which is
/// never reached through a proxy ([`proxy::route`]).
fn refuse_plain_http(url: &Url) -> Result<()> {
    if url.scheme() == "http" && !proxy::is_this_machine(url) {
        bail!(
            "refusing to send the API token in clear text to {}: use https://, or, on a network \
             you trust, set DT_ALLOW_PLAIN_HTTP=true (--allow-plain-http)",
            crate::secret::shown(url)
        );
    }
    Ok(())
}

pub(crate) fn parse_url(raw: &str, name: &str) -> Result<Url> {
    let url = Url::parse(raw.trim()).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
    });
    url.with_context(|| {
        format!(
            "{name} `{}` is not an http(s) URL: expected e.g. \
             https://abc12345.live.dynatrace.com or https://dynatrace.example.com/e/<environment-id>",
            crate::secret::shown_raw(raw)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(tenant: Option<&str>, token: Option<&str>) -> Request {
        Request {
            tenant: tenant.map(str::to_owned),
            token: token.map(|t| Secret::new(t.to_owned())),
            ..Request::default()
        }
    }

    #[test]
    fn an_apps_tenant_sends_to_the_live_host_with_a_note() {
        let destination = Destination::resolve(request(
            Some("abc12345.apps.dynatrace.com"),
            Some("dt0c01.X"),
        ))
        .unwrap();
        assert_eq!(
            destination.metrics_url.unwrap().as_str(),
            "https://abc12345.live.dynatrace.com/api/v2/metrics/ingest"
        );
        assert_eq!(destination.notes.len(), 1);
    }

    #[test]
    fn events_go_to_the_tenant_and_the_sdlc_event_only_to_a_saas_one() {
        let saas =
            Destination::resolve(request(Some("abc12345.apps.dynatrace.com"), Some("t"))).unwrap();
        assert_eq!(
            saas.events_url.unwrap().as_str(),
            "https://abc12345.live.dynatrace.com/api/v2/events/ingest"
        );
        assert_eq!(
            saas.sdlc_url.unwrap().as_str(),
            "https://abc12345.live.dynatrace.com/platform/ingest/v1/events.sdlc"
        );
        let managed =
            Destination::resolve(request(Some("https://dt.example.com/e/env-1"), Some("t")))
                .unwrap();
        assert_eq!(
            managed.events_url.unwrap().as_str(),
            "https://dt.example.com/e/env-1/api/v2/events/ingest"
        );
        assert!(managed.sdlc_url.unwrap_err().contains("SaaS only"));
    }

    #[test]
    fn missing_credentials_name_the_variable() {
        let err = Destination::resolve(request(None, None)).unwrap_err();
        assert!(format!("{err:#}").contains("DT_TENANT is not set"));
        let err = Destination::resolve(request(Some("abc.live.dynatrace.com"), None)).unwrap_err();
        assert!(format!("{err:#}").contains("DT_API_TOKEN is not set"));
    }

    #[test]
    fn the_token_is_checked_once_to_fit_a_header_and_never_shown() {
        let err = Token::new(Secret::new("dt0c01.SENTINEL\u{7}x".into())).unwrap_err();
        assert!(!format!("{err:#}").contains("SENTINEL"));
        let token = Token::new(Secret::new("dt0c01.SENTINEL".into())).unwrap();
        assert!(token.authorization().is_sensitive());
        assert_eq!(token.authorization(), "Api-Token dt0c01.SENTINEL");
        assert_eq!(format!("{token:?}"), "Token(***)");
    }

    #[test]
    fn a_token_goes_over_plain_http_only_to_this_machine_unless_allowed() {
        let with = |tenant: &str, allow| {
            let mut plain = request(Some(tenant), Some("dt0c01.SENTINEL"));
            plain.allow_plain_http = allow;
            Destination::resolve(plain)
        };
        let refused = format!("{:#}", with("http://dt.example.com", false).unwrap_err());
        assert!(
            refused.contains("refusing to send the API token in clear text"),
            "{refused}"
        );
        assert!(!refused.contains("SENTINEL"));
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost:9",
            "http://[::1]:9",
        ] {
            assert!(with(local, false).is_ok(), "{local}");
        }
        assert!(with("http://dt.example.com", true).is_ok());
        assert!(with("https://dt.example.com", false).is_ok());
    }

    #[test]
    fn a_token_given_as_tenant_is_refused_without_showing_it() {
        for tenant in ["dt0c01.SENTINEL.SECRET", "https://DT0C01.sentinel.secret/"] {
            let err =
                Destination::resolve(request(Some(tenant), Some("dt0c01.OTHER"))).unwrap_err();
            let text = format!("{err:#}");
            assert!(text.contains("looks like an API token"), "{text}");
            assert!(!text.to_lowercase().contains("sentinel"), "{text}");
        }
    }

    #[test]
    fn oneagent_needs_no_token_and_sends_none() {
        let mut oneagent = request(None, Some("dt0c01.x"));
        oneagent.oneagent = true;
        let destination = Destination::resolve(oneagent).unwrap();
        assert!(destination.token.is_none());
        assert_eq!(
            destination.metrics_url.unwrap().as_str(),
            ONEAGENT_METRICS_URL
        );
    }
}
