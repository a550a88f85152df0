//! `--now` parsing: every date the tool evaluates comes from the user or the clock here, once.

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};

/// Parse `--now` (RFC 3339 or `YYYY-MM-DD`, taken as midnight UTC); the clock when absent.
pub fn parse_now(now: Option<&str>) -> anyhow::Result<DateTime<Utc>> {
    let Some(text) = now else {
        return Ok(Utc::now());
    };
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("invalid --now `{text}`: expected RFC 3339 or YYYY-MM-DD"))?;
    Ok(date
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_and_timestamps() -> anyhow::Result<()> {
        assert_eq!(
            parse_now(Some("2026-11-29"))?.to_rfc3339(),
            "2026-11-29T00:00:00+00:00"
        );
        assert_eq!(
            parse_now(Some("2026-11-29T10:00:00Z"))?.to_rfc3339(),
            "2026-11-29T10:00:00+00:00"
        );
        assert!(parse_now(Some("yesterday")).is_err());
        Ok(())
    }
}
