//! Kubernetes' rules for the names the deployment files and the README give objects.

/// A Kubernetes object name that is an RFC 1123 subdomain (what secret names must be).
pub fn is_rfc1123_subdomain(name: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !name.is_empty()
        && name.len() <= 253
        && name.chars().all(|c| alnum(c) || c == '-' || c == '.')
        && name.starts_with(alnum)
        && name.ends_with(alnum)
}
