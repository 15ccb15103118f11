//! Entry ids and times. An id is the entry's UTC time to the microsecond in a fixed
//! width (`20250301-142233-123456`), so sorting ids as strings sorts entries in the
//! order they were recorded, and a person can read when a write happened from its id.
//! No date crate: the civil-calendar conversion below is a dozen lines.

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch, now.
pub fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The id of an entry recorded at `micros`.
pub fn format_id(micros: u64) -> String {
    let (y, mo, d, h, mi, s, us) = civil(micros);
    format!("{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}-{us:06}")
}

/// The time an id names, in microseconds; `None` if it is not an id.
pub fn parse_id(id: &str) -> Option<u64> {
    let b = id.as_bytes();
    if b.len() != 22 || b[8] != b'-' || b[15] != b'-' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u64> {
        let part = id.get(range)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
    let (h, mi, s, us) = (
        digits(9..11)?,
        digits(11..13)?,
        digits(13..15)?,
        digits(16..22)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let days = days_from_civil(y as i64, mo as u32, d as u32);
    let seconds = u64::try_from(days).ok()? * 86_400 + h * 3600 + mi * 60 + s;
    let micros = seconds * 1_000_000 + us;
    (format_id(micros) == id).then_some(micros)
}

/// `2025-03-01T14:22:33Z`: the time of an entry as RFC 3339, to the second.
pub fn rfc3339(micros: u64) -> String {
    let (y, mo, d, h, mi, s, _) = civil(micros);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

fn civil(micros: u64) -> (i64, u32, u32, u64, u64, u64, u64) {
    let us = micros % 1_000_000;
    let seconds = micros / 1_000_000;
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (y, mo, d) = civil_from_days(days as i64);
    (y, mo, d, rest / 3600, rest % 3600 / 60, rest % 60, us)
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The inverse of [`civil_from_days`].
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_times() {
        assert_eq!(format_id(0), "19700101-000000-000000");
        // 2024-02-29T23:59:59.999999Z, a leap day.
        let micros = 1_709_251_199_999_999;
        assert_eq!(format_id(micros), "20240229-235959-999999");
        assert_eq!(rfc3339(micros), "2024-02-29T23:59:59Z");
        assert_eq!(format_id(micros + 1), "20240301-000000-000000");
    }

    #[test]
    fn ids_round_trip_and_sort_in_time_order() {
        let mut previous = String::new();
        for micros in (0..4_000_000_000_000_000u64).step_by(97_000_000_013_171) {
            let id = format_id(micros);
            assert_eq!(parse_id(&id), Some(micros), "{id}");
            assert!(id > previous, "{id} after {previous}");
            previous = id;
        }
    }

    #[test]
    fn not_ids() {
        for text in [
            "",
            "latest",
            "20240229-235959",
            "20241329-235959-000000",
            "20240231-000000-000000",
            "2024022a-235959-000000",
            "20240229_235959_000000",
        ] {
            assert_eq!(parse_id(text), None, "{text}");
        }
    }
}
