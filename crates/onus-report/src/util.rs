//! Small shared helpers: content hashes and UUIDs, time normalisation, escaping and labels.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use onus_attribution::{MoveKind, Party, Tier};
use onus_vuln::{AdvisoryStatus, Severity};

use crate::report::ReportFinding;
use sha2::{Digest, Sha256};

/// The time written when the input has no usable creation time (formats that require one).
pub const EPOCH: &str = "1970-01-01T00:00:00Z";

/// The tool name and version written into generated documents.
pub const TOOL_NAME: &str = "onus";
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A UUID derived from content (RFC 9562 version 8, name-based with SHA-256): the same content
/// always gives the same UUID, so documents stay byte-identical across runs.
pub fn content_uuid(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80; // version 8
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// An RFC 3339 time from the input, normalised to UTC with second precision
/// (`2024-05-01T10:00:00Z`); `None` when absent or unparsable.
pub fn normalize_time(value: Option<&str>) -> Option<String> {
    let parsed = DateTime::parse_from_rfc3339(value?.trim()).ok()?;
    Some(
        parsed
            .with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// The image's creation time, normalised, or [`EPOCH`].
pub fn time_or_epoch(value: Option<&str>) -> String {
    normalize_time(value).unwrap_or_else(|| EPOCH.to_string())
}

/// True for characters that must not reach a terminal or a text report verbatim: control
/// characters (escape sequences, carriage returns) and bidirectional overrides.
fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text from the input made safe for a terminal: unsafe characters become `\u{..}` escapes.
pub fn clean(text: &str) -> String {
    if !text.chars().any(is_unsafe_char) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// Text from the input made safe for one Markdown table cell: control characters escaped as
/// [`clean`] does, line breaks flattened, and Markdown's active characters (`|`, `` ` ``, `*`,
/// `_`, `[`, `]`, `<`, `>`, `\\`) backslash-escaped so a package name cannot inject markup.
pub fn markdown_cell(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let cleaned = clean(&flat);
    let mut out = String::with_capacity(cleaned.len());
    for c in cleaned.chars() {
        if matches!(
            c,
            '|' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '\\' | '#' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text escaped for HTML element content and double- or single-quoted attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Percent-encode a path for use as a URI reference: only unreserved characters and `/` stay.
pub fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Shorten `text` to at most `max` characters, marking the cut with `…`.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A digest shortened for display: `sha256:` plus the first 12 hex characters.
pub fn short_digest(digest: &str) -> String {
    match digest.split_once(':') {
        Some((alg, hex)) => format!("{alg}:{}", truncate_plain(hex, 12)),
        None => truncate_plain(digest, 19),
    }
}

fn truncate_plain(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// The hex part of a `sha256:<64 hex>` digest, when it is one.
pub fn sha256_of_digest(digest: &str) -> Option<&str> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then_some(hex)
}

/// The party's name, as serialised.
pub fn party_label(party: Party) -> &'static str {
    party.as_str()
}

/// Short tier name (as serialised).
pub fn tier_label(tier: Tier) -> &'static str {
    tier.as_str()
}

/// The tier's name in the model's pyramids (model.md §2.1).
pub fn tier_title(tier: Tier) -> &'static str {
    match tier {
        Tier::System => "System",
        Tier::Toolchain => "Toolchains",
        Tier::LangLib => "LangLibs",
        Tier::App => "Apps",
        Tier::Custom => "Custom code",
    }
}

/// Tiers from the top of the pyramid down (customer content first).
pub const TIERS_TOP_DOWN: [Tier; 5] = [
    Tier::Custom,
    Tier::App,
    Tier::LangLib,
    Tier::Toolchain,
    Tier::System,
];

/// Parties in the order a reader acts on them: the reader (customer) first.
pub const PARTIES: [Party; 3] = [Party::Customer, Party::Vendor, Party::Upstream];

/// Severities from most to least severe.
pub const SEVERITIES_DESC: [Severity; 6] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Negligible,
    Severity::Unknown,
];

pub fn severity_label(severity: Severity) -> &'static str {
    severity.as_str()
}

/// Status as serialised (kebab-case).
pub fn status_label(status: AdvisoryStatus) -> &'static str {
    status.as_str()
}

/// The customer's kinds of move, in the order the summary lists them (model.md §2.5 notes).
pub const CUSTOMER_MOVES: [(MoveKind, &str); 3] = [
    (
        MoveKind::Update,
        "Update: pull the newer build or rebuild on the newer base",
    ),
    (MoveKind::Upgrade, "Upgrade: move to a supported version"),
    (MoveKind::FixOwnContent, "Fix your own content"),
];

/// One action for every R-MOVE-2 finding of an image: `rebuild on a newer base or pull the
/// newer digest: fixes 12 findings (2 critical) in 3 packages (openssl 3.3.1-r3, …)`.
/// "A newer build of this tag exists" for an image pulled as `name:tag@sha256:…` whose tag moved.
pub fn newer_build_line(image: &onus_inventory::ImageInfo) -> Option<String> {
    let newer = image.newer_build.as_ref()?;
    let created = newer
        .created
        .as_deref()
        .map(|c| format!(", created {c}"))
        .unwrap_or_default();
    Some(format!(
        "a newer build of {} exists: {}{created}; pull it (or `onus pin --update` the references)",
        newer.reference, newer.digest
    ))
}

pub fn update_headline(findings: &[&ReportFinding]) -> String {
    let mut fixes: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for f in findings {
        if let Some(version) = &f.next.fixed_in {
            let package = f
                .finding
                .advisory
                .as_ref()
                .map(|a| a.package.as_str())
                .filter(|p| !p.is_empty())
                .unwrap_or(&f.finding.package);
            // The newest fix of a package is the one that covers every finding on it.
            let purl_type = f
                .finding
                .purl
                .strip_prefix("pkg:")
                .and_then(|p| p.split('/').next())
                .unwrap_or("");
            let scheme = onus_version::Scheme::for_ecosystem(purl_type);
            let slot = fixes.entry(package).or_insert(version.as_str());
            if onus_version::compare(scheme, slot, version).is_ok_and(|o| o.is_lt()) {
                *slot = version.as_str();
            }
        }
    }
    let critical = findings
        .iter()
        .filter(|f| f.finding.severity == Severity::Critical)
        .count();
    let packages: Vec<String> = fixes.iter().map(|(p, v)| format!("{p} {v}")).collect();
    let mut text = format!(
        "rebuild on a newer base or pull the newer digest: fixes {} finding{}",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" }
    );
    if critical > 0 {
        text.push_str(&format!(" ({critical} critical)"));
    }
    if !packages.is_empty() {
        text.push_str(&format!(
            " in {} package{} ({})",
            packages.len(),
            if packages.len() == 1 { "" } else { "s" },
            truncate(&packages.join(", "), 200)
        ));
    }
    text
}

/// A size for a person: `812 B`, `4.2 KiB`, `31.0 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_is_deterministic_and_well_formed() {
        let a = content_uuid(b"abc");
        assert_eq!(a, content_uuid(b"abc"));
        assert_ne!(a, content_uuid(b"abd"));
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'8');
        assert!(matches!(a.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
    }

    #[test]
    fn times_are_normalised_to_utc_seconds() {
        assert_eq!(
            normalize_time(Some("2024-05-01T12:00:00.123456789+02:00")).as_deref(),
            Some("2024-05-01T10:00:00Z")
        );
        assert_eq!(normalize_time(Some("yesterday")), None);
        assert_eq!(time_or_epoch(None), EPOCH);
    }

    #[test]
    fn escaping() {
        assert_eq!(
            html_escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(clean("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\\u{a}");
        assert_eq!(clean("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(
            percent_encode_path("/usr/lib/a b/<x>:é"),
            "/usr/lib/a%20b/%3Cx%3E%3A%C3%A9"
        );
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(
            short_digest(&format!("sha256:{}", "a".repeat(64))),
            "sha256:aaaaaaaaaaaa"
        );
        assert!(sha256_of_digest(&format!("sha256:{}", "a".repeat(64))).is_some());
        assert!(sha256_of_digest("sha256:xyz").is_none());
    }

    #[test]
    fn markdown_cells_cannot_inject_markup_or_break_the_table() {
        assert_eq!(markdown_cell("lodash"), "lodash");
        assert_eq!(markdown_cell("a|b"), "a\\|b");
        assert_eq!(markdown_cell("[x](http://e)"), "\\[x\\](http://e)");
        assert_eq!(markdown_cell("<img src=x>"), "\\<img src=x\\>");
        assert_eq!(markdown_cell("two\nlines"), "two lines");
        assert_eq!(markdown_cell("esc\u{1b}[31m"), "esc\\\\u{1b}\\[31m");
    }
}
