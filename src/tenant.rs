//! Tenant URLs as people write or paste them, made the environment's API base URL: a missing
//! scheme added, an API path dropped, the new UI's `apps` hosts (which serve OAuth and platform
//! tokens, not the token APIs) turned into the same environment's classic host, a browser path
//! (`/ui/...`) dropped, each change with a note. Managed (`/e/<env>`) and ActiveGate URLs stay.

use anyhow::Result;

use crate::destination::parse_url;

/// A tenant URL as the API is reached: what users paste, made the environment's base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// Without trailing slash.
    pub base: String,
    /// What was changed, and why.
    pub notes: Vec<String>,
    /// A Managed cluster's or an ActiveGate's environment (`/e/<env>`), not SaaS.
    pub managed: bool,
}

/// The hosts of the new Dynatrace UI (the platform's, served for OAuth and platform tokens),
/// and the classic hosts that serve the token APIs of the same environment.
const PLATFORM_HOSTS: [(&str, &str); 3] = [
    (".apps.dynatrace.com", ".live.dynatrace.com"),
    (
        ".sprint.apps.dynatracelabs.com",
        ".sprint.dynatracelabs.com",
    ),
    (".dev.apps.dynatracelabs.com", ".dev.dynatracelabs.com"),
];

impl Tenant {
    /// The base URL: scheme added when missing; an API path pasted along dropped; the new UI's
    /// `apps` host turned into the environment's classic host and a browser path (`/ui/...`)
    /// dropped, each with a note; Managed `/e/<env>` kept.
    pub fn parse(tenant: &str) -> Result<Tenant> {
        let trimmed = tenant.trim();
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_owned()
        } else {
            format!("https://{trimmed}")
        };
        let url = parse_url(&with_scheme, "DT_TENANT (--tenant)")?;
        let mut notes = Vec::new();
        let mut path = url.path().trim_end_matches('/').to_owned();
        if let Some(api) = path.find("/api/") {
            path.truncate(api);
        }
        if let Some(ui) = path
            .find("/ui/")
            .or(path.ends_with("/ui").then(|| path.len() - 3))
        {
            notes.push(format!(
                "DT_TENANT is a browser URL: its path `{}` was left out, the API is at the \
                 environment's root",
                &path[ui..]
            ));
            path.truncate(ui);
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let classic = PLATFORM_HOSTS.iter().find_map(|(platform, classic)| {
            let environment = host.strip_suffix(platform)?;
            Some(format!("{environment}{classic}"))
        });
        let host = match classic {
            Some(classic) => {
                notes.push(format!(
                    "DT_TENANT names {host}, the new Dynatrace UI's host, which does not serve \
                     the token APIs: {classic} is used instead, the same environment's API host"
                ));
                classic
            }
            None => host,
        };
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let base = format!("{}://{host}{port}{path}", url.scheme());
        let managed = path.split('/').any(|segment| segment == "e");
        Ok(Tenant {
            base,
            notes,
            managed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_forms() {
        let cases = [
            (
                "abc12345.live.dynatrace.com",
                "https://abc12345.live.dynatrace.com",
            ),
            (
                "https://abc12345.live.dynatrace.com/",
                "https://abc12345.live.dynatrace.com",
            ),
            (
                "https://dt.example.com/e/env-1//",
                "https://dt.example.com/e/env-1",
            ),
            (
                "ag.example.com:9999/e/env-1",
                "https://ag.example.com:9999/e/env-1",
            ),
            (
                "https://abc.live.dynatrace.com/api/v2/metrics/ingest",
                "https://abc.live.dynatrace.com",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ];
        for (input, expected) in cases {
            let tenant = Tenant::parse(input).unwrap();
            assert_eq!(tenant.base, expected, "{input}");
            assert!(tenant.notes.is_empty(), "{input}");
        }
        assert!(Tenant::parse("https://").is_err());
        assert!(Tenant::parse("ftp://x.example.com").is_err());
    }

    #[test]
    fn the_new_uis_hosts_and_browser_paths_become_the_api_url_with_a_note() {
        let cases = [
            (
                "https://abc12345.apps.dynatrace.com",
                "https://abc12345.live.dynatrace.com",
                1,
            ),
            (
                "abc12345.apps.dynatrace.com/",
                "https://abc12345.live.dynatrace.com",
                1,
            ),
            (
                "https://abc12345.apps.dynatrace.com/ui/apps/dynatrace.classic.metrics/ui",
                "https://abc12345.live.dynatrace.com",
                2,
            ),
            (
                "https://abc12345.sprint.apps.dynatracelabs.com",
                "https://abc12345.sprint.dynatracelabs.com",
                1,
            ),
            (
                "https://abc12345.dev.apps.dynatracelabs.com",
                "https://abc12345.dev.dynatracelabs.com",
                1,
            ),
            (
                "https://abc12345.live.dynatrace.com/ui/dashboards",
                "https://abc12345.live.dynatrace.com",
                1,
            ),
            (
                "https://dt.example.com/e/env-1/ui/apps/x",
                "https://dt.example.com/e/env-1",
                1,
            ),
            (
                "https://dt.example.com/e/env-1",
                "https://dt.example.com/e/env-1",
                0,
            ),
            (
                "https://myapps.dynatrace.com.example.org",
                "https://myapps.dynatrace.com.example.org",
                0,
            ),
        ];
        for (input, expected, notes) in cases {
            let tenant = Tenant::parse(input).unwrap();
            assert_eq!(tenant.base, expected, "{input}");
            assert_eq!(tenant.notes.len(), notes, "{input}: {:?}", tenant.notes);
        }
        let apps = Tenant::parse("https://abc12345.apps.dynatrace.com").unwrap();
        assert!(
            apps.notes[0].contains("abc12345.live.dynatrace.com"),
            "{:?}",
            apps.notes
        );
    }
}
