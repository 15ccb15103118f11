//! When and how long to wait before sending a failed request again.
//!
//! Retrying is only safe before any content reached the caller: once text or a tool
//! call was emitted, a second attempt would replay what the user already saw (and
//! tool calls an agent may already be executing). The stream therefore retries
//! failures of the HTTP exchange (429, 5xx, 529 overloaded, connection errors) and
//! failures of the event stream that come before its first content event (an
//! `overloaded_error` right after `message_start`, a body that ends empty); after
//! that, a failure is a typed `error` event and the caller decides.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::error::LlmError;

/// Backoff parameters. Tests use millisecond values so they finish fast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// First backoff; doubled on every further retry.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// A server asking for a longer wait than this is not retried: the caller gets
    /// the typed error (with its `retry_after`) and can decide.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The wait before retry number `attempt` (0 for the first retry) after `err`,
    /// or `None` if the request should not be retried.
    pub fn delay(&self, attempt: u32, err: &LlmError) -> Option<Duration> {
        if attempt >= self.max_retries || !err.is_transient() {
            return None;
        }
        if let Some(after) = err.retry_after() {
            return (after <= self.max_retry_after).then_some(after);
        }
        let exp = self
            .initial_backoff
            .saturating_mul(1u32.checked_shl(attempt).unwrap_or(u32::MAX));
        let capped = exp.min(self.max_backoff);
        // Up to 10 % jitter so that clients that failed together do not retry together.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let jitter = capped.mul_f64(f64::from(nanos % 1000) / 10_000.0);
        Some(capped + jitter)
    }
}

/// Parses a `Retry-After` value: delay-seconds (fractions tolerated) or an
/// IMF-fixdate HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`), relative to `now`.
/// A date in the past means "now" (zero).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = parse_http_date(v)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn parse_http_date(s: &str) -> Option<SystemTime> {
    // "Wed, 21 Oct 2015 07:28:00 GMT"
    let mut it = s.split_ascii_whitespace();
    let _weekday = it.next()?.strip_suffix(',')?;
    let day: u32 = it.next()?.parse().ok()?;
    let month = match it.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if it.next()? != "GMT" || day == 0 || day > 31 || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + m * 60 + sec;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate_limited(after: Option<u64>) -> LlmError {
        LlmError::RateLimited {
            status: 429,
            message: String::new(),
            retry_after: after.map(Duration::from_secs),
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(1_445_412_480); // 2015-10-21 07:28:00
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("0.5", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn policy_honours_server_wait_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(0, &rate_limited(Some(5))),
            Some(Duration::from_secs(5))
        );
        assert_eq!(p.delay(0, &rate_limited(Some(600))), None, "above the cap");
        assert_eq!(p.delay(3, &rate_limited(None)), None, "attempts exhausted");
        let d = p.delay(2, &rate_limited(None)).unwrap();
        assert!(d >= Duration::from_secs(4) && d <= Duration::from_millis(4400));
        let auth = LlmError::Auth {
            status: 401,
            message: String::new(),
        };
        assert_eq!(p.delay(0, &auth), None, "not transient");
        assert_eq!(RetryPolicy::none().delay(0, &rate_limited(None)), None);
    }
}
