//! Redirects, followed by dash itself rather than by reqwest.
//!
//! reqwest removes only `Authorization` (and cookies) when a redirect leaves the
//! origin; Anthropic's `x-api-key`, Gemini's `x-goog-api-key`, a key in the query
//! string (`?key=`) or in the URL's user info, and credentials a user configured as
//! model headers would all be forwarded to whatever host the `Location` names. A
//! custom reqwest policy can only follow or stop, not edit the next request, so the
//! client is built with redirects off and [`crate::llm::stream`] follows them here.
//!
//! * Credentials cross no origin. The comparison is the origin (scheme, host and
//!   port), as the Fetch standard does for `Authorization`: another port is another
//!   server process (a different service, possibly another tenant on a shared host),
//!   and a scheme change may send the key in clear text. After the first cross-origin
//!   hop the request stays without credentials for the rest of the chain, even if a
//!   later hop comes back.
//! * What crosses is an allow-list of headers that describe the request body
//!   ([`may_cross`]); everything else, known credential or not, stays behind.
//! * 301, 302, 307 and 308 repeat the POST with its body: an LLM endpoint only
//!   answers a POST, and rewriting it to a body-less GET (what browsers do for
//!   301/302) can only fail. 303 ("see other", a GET elsewhere) and the other 3xx are
//!   not followed: the caller gets a typed error naming the new address.
//! * At most [`MAX_REDIRECTS`] hops, like reqwest's default.

use reqwest::Url;

use super::error::LlmError;

pub const MAX_REDIRECTS: usize = 10;

/// Headers sent on after a cross-origin redirect: they describe the body, and none
/// can carry a credential.
const CROSSING_HEADERS: &[&str] = &[
    "accept",
    "anthropic-beta",
    "anthropic-version",
    "content-type",
    "user-agent",
];

/// Query parameters that hold keys by convention (Gemini's `key`, and the names other
/// APIs and proxies use); removed, with any parameter holding the key itself, from a
/// URL that leaves the origin.
const CREDENTIAL_PARAMS: &[&str] = &["access_token", "api-key", "api_key", "apikey", "key"];

/// Whether `status` is a redirect that dash follows.
pub fn is_followed(status: u16) -> bool {
    matches!(status, 301 | 302 | 307 | 308)
}

/// The URL a redirect response points to, or the error that ends the request.
pub fn next_url(current: &Url, status: u16, location: Option<&str>) -> Result<Url, LlmError> {
    let bad = |message: String| LlmError::BadRequest { status, message };
    if !is_followed(status) {
        return Err(bad(format!(
            "the server redirected the request to {} (HTTP {status}), which dash does not follow for a POST; use that address as the base URL",
            location.unwrap_or("(no Location header)")
        )));
    }
    let location = location.ok_or_else(|| {
        bad(format!(
            "the server answered HTTP {status} without a Location"
        ))
    })?;
    let next = current.join(location).map_err(|e| {
        bad(format!(
            "the redirect to {location:?} is not a valid URL: {e}"
        ))
    })?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(bad(format!(
            "the server redirected the request to {next}, which is not an HTTP URL"
        )));
    }
    Ok(next)
}

/// Whether both URLs have the same origin (scheme, host, port).
pub fn same_origin(a: &Url, b: &Url) -> bool {
    let (a, b) = (a.origin(), b.origin());
    a.is_tuple() && a == b
}

/// Whether a header of the original request may follow it to another origin.
pub fn may_cross(name: &str) -> bool {
    CROSSING_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// Removes the credentials a URL can hold: user info, key parameters by name, and
/// any parameter whose name or value contains `secret`.
pub fn strip_credentials(url: &mut Url, secret: Option<&str>) {
    let _ = url.set_username("");
    let _ = url.set_password(None);
    if url.query().is_none() {
        return;
    }
    let secret = secret.filter(|k| k.len() >= super::redact::MIN_SECRET_LEN);
    let holds_secret = |s: &str| secret.is_some_and(|k| s.contains(k));
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, v)| {
            !CREDENTIAL_PARAMS.iter().any(|c| c.eq_ignore_ascii_case(k))
                && !holds_secret(k)
                && !holds_secret(v)
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn origins_differ_by_scheme_host_or_port() {
        let a = u("https://api.example.com/v1/messages");
        assert!(same_origin(&a, &u("https://api.example.com:443/other")));
        assert!(!same_origin(&a, &u("https://evil.example.com/v1/messages")));
        assert!(!same_origin(&a, &u("https://api.example.com:8443/v1")));
        assert!(!same_origin(&a, &u("http://api.example.com/v1")));
        assert!(!same_origin(
            &u("http://127.0.0.1:1/"),
            &u("http://127.0.0.1:2/")
        ));
    }

    #[test]
    fn locations_resolve_against_the_current_url() {
        let a = u("http://h:1/v1/chat/completions");
        assert_eq!(
            next_url(&a, 307, Some("/v2/chat")).unwrap().as_str(),
            "http://h:1/v2/chat"
        );
        assert_eq!(
            next_url(&a, 308, Some("http://other:2/x?alt=sse"))
                .unwrap()
                .as_str(),
            "http://other:2/x?alt=sse"
        );
        for (status, loc) in [
            (303, Some("/x")),
            (300, Some("/x")),
            (307, None),
            (307, Some("file:///etc/passwd")),
            (307, Some("http://[::1")),
        ] {
            let e = next_url(&a, status, loc).unwrap_err();
            assert_eq!(e.kind(), crate::llm::ErrorKind::BadRequest, "{e}");
        }
    }

    #[test]
    fn only_body_headers_cross() {
        for h in ["content-type", "Anthropic-Version", "accept"] {
            assert!(may_cross(h), "{h}");
        }
        for h in [
            "authorization",
            "x-api-key",
            "x-goog-api-key",
            "api-key",
            "cookie",
            "x-custom-token",
        ] {
            assert!(!may_cross(h), "{h}");
        }
    }

    #[test]
    fn url_credentials_are_stripped() {
        let mut url =
            u("https://user:pw@h/x?alt=sse&key=K1&API_KEY=K2&q=abc-SECRET-42-def&SECRET-42=1");
        strip_credentials(&mut url, Some("SECRET-42"));
        assert_eq!(url.as_str(), "https://h/x?alt=sse");
        let mut url = u("https://h/x?key=K");
        strip_credentials(&mut url, None);
        assert_eq!(url.as_str(), "https://h/x");
        let mut url = u("https://h/x?alt=sse&q=short");
        // A placeholder too short to be a key removes nothing by value.
        strip_credentials(&mut url, Some("short"));
        assert_eq!(url.as_str(), "https://h/x?alt=sse&q=short");
        let mut url = u("https://h/x?alt=sse");
        strip_credentials(&mut url, Some("SECRET-42"));
        assert_eq!(url.as_str(), "https://h/x?alt=sse");
    }
}
