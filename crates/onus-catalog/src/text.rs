//! Small text helpers shared by the line-oriented parsers (apk db, dpkg status, RFC 822 headers).

/// Keeps at most [`MAX_ERRORS`] messages and counts the rest, so hostile input cannot make a
/// parser allocate one message per byte.
#[derive(Debug, Default)]
pub(crate) struct Errors {
    messages: Vec<String>,
    dropped: usize,
}

/// Messages kept per parsed file.
pub(crate) const MAX_ERRORS: usize = 20;

impl Errors {
    pub fn push(&mut self, message: String) {
        if self.messages.len() < MAX_ERRORS {
            self.messages.push(message);
        } else {
            self.dropped += 1;
        }
    }

    pub fn into_vec(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.messages.push(format!(
                "{} more malformed records or lines not listed",
                self.dropped
            ));
        }
        self.messages
    }
}

/// Split text into lines (1-based numbers), without `\r`.
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.strip_suffix('\r').unwrap_or(line)))
}

/// Strip a UTF-8 byte-order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)
}

/// Shorten untrusted text for an error message.
pub(crate) fn clip(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(MAX).collect();
        short.push('…');
        short
    }
}

/// Parse the header block of an RFC 822-style file (Python `METADATA`/`PKG-INFO`): `Key: value`
/// lines up to the first blank line; continuation lines (leading whitespace) are skipped.
/// Returns the first value of each key, keys compared ASCII case-insensitively by the caller.
pub(crate) fn rfc822_headers(text: &str) -> Vec<(&str, &str)> {
    let mut headers = Vec::new();
    for (_, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            headers.push((key.trim(), value.trim()));
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_capped_and_counted() {
        let mut errors = Errors::default();
        for i in 0..25 {
            errors.push(format!("e{i}"));
        }
        let list = errors.into_vec();
        assert_eq!(list.len(), MAX_ERRORS + 1);
        assert_eq!(
            list.last().map(String::as_str),
            Some("5 more malformed records or lines not listed")
        );
    }

    #[test]
    fn clips_long_text_on_char_boundaries() {
        let long = "é".repeat(100);
        assert_eq!(clip(&long).chars().count(), 81);
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn headers_stop_at_blank_line() {
        let text = "Name: a\nDescription: x\n  more\nVersion: 1\n\nName: body";
        assert_eq!(
            rfc822_headers(text),
            vec![("Name", "a"), ("Description", "x"), ("Version", "1")]
        );
    }
}
