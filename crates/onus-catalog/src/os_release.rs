//! `/etc/os-release` (falling back to `/usr/lib/os-release`): which distribution the image is.

use onus_fs::FileView;
use onus_inventory::{OsInfo, Unknown};

use crate::text::numbered_lines;

/// The os-release files, in the order the freedesktop spec says to read them.
pub(crate) const OS_RELEASE_PATHS: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];

/// Parse os-release text (`KEY=value`, values optionally quoted). `None` when there is no `ID`.
pub fn parse_os_release(bytes: &[u8]) -> Option<OsInfo> {
    let text = String::from_utf8_lossy(bytes);
    let mut info = OsInfo::default();
    for (_, line) in numbered_lines(&text) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let value = unquote(raw.trim());
        let value = Some(value).filter(|v| !v.is_empty());
        match key.trim() {
            "ID" => info.id = value.unwrap_or_default(),
            "VERSION_ID" => info.version_id = value,
            "VERSION_CODENAME" => info.version_codename = value,
            "PRETTY_NAME" => info.pretty_name = value,
            _ => {}
        }
    }
    (!info.id.is_empty()).then_some(info)
}

/// Shell-style unquoting as the os-release spec allows: `"…"` with `\` escapes, or `'…'`.
fn unquote(raw: &str) -> String {
    if let Some(inner) = raw.strip_prefix('"') {
        let inner = inner.strip_suffix('"').unwrap_or(inner);
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            } else {
                out.push(c);
            }
        }
        out
    } else if let Some(inner) = raw.strip_prefix('\'') {
        inner.strip_suffix('\'').unwrap_or(inner).to_string()
    } else {
        raw.to_string()
    }
}

/// Read the OS from the view: the first os-release file that exists (following symlinks, e.g.
/// Debian's `/etc/os-release -> ../usr/lib/os-release`).
pub(crate) fn detect(view: &dyn FileView) -> (Option<OsInfo>, Vec<Unknown>) {
    let mut unknowns = Vec::new();
    for path in OS_RELEASE_PATHS {
        if view.resolve(path).is_err() {
            continue;
        }
        match view.content(path) {
            Some(content) => match parse_os_release(&content.bytes) {
                Some(info) => return (Some(info), unknowns),
                None => unknowns.push(crate::unknown(path, "os-release has no `ID` field")),
            },
            None => unknowns.push(crate::unknown(
                path,
                "file content was not captured by the image reader",
            )),
        }
        // The spec falls back to the next file only when the first is missing; an unreadable
        // one is reported and the fallback is still tried, which is the more useful answer.
    }
    (None, unknowns)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testutil::ViewBuilder;

    #[test]
    fn parses_quoted_values() {
        let text = b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n# c\nX='y'\n";
        let info = parse_os_release(text).unwrap();
        assert_eq!(info.id, "debian");
        assert_eq!(info.version_id.as_deref(), Some("12"));
        assert_eq!(info.version_codename.as_deref(), Some("bookworm"));
        assert_eq!(
            info.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(unquote(r#""a \"b\" \\c""#), r#"a "b" \c"#);
        assert_eq!(unquote("'single'"), "single");
    }

    #[test]
    fn malformed_input_gives_none_not_panic() {
        assert_eq!(parse_os_release(b""), None);
        assert_eq!(parse_os_release(b"\xff\xfe=\n=\n\"\nID=\"\n"), None);
        assert_eq!(
            parse_os_release(b"ID=\"unterminated").map(|i| i.id),
            Some("unterminated".to_string())
        );
    }

    #[test]
    fn follows_symlink_and_falls_back() {
        let view = ViewBuilder::new()
            .layer()
            .symlink("/etc/os-release", "../usr/lib/os-release")
            .file("/usr/lib/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")
            .build();
        let (os, unknowns) = detect(&view);
        assert_eq!(os.unwrap().id, "debian");
        assert!(unknowns.is_empty());

        let view = ViewBuilder::new()
            .layer()
            .file("/etc/os-release", b"NAME=x\n")
            .file("/usr/lib/os-release", b"ID=wolfi\n")
            .build();
        let (os, unknowns) = detect(&view);
        assert_eq!(os.unwrap().id, "wolfi");
        assert_eq!(unknowns.len(), 1);
    }
}
