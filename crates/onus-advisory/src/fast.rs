//! A fast reader for the YAML subset that advisory tooling writes (block mappings and
//! sequences, plain / single- / double-quoted one-line scalars, `|` block scalars, one-line
//! flow sequences of plain scalars).
//!
//! It builds a small borrowed tree that stands for exactly the tree `serde_yaml_ng` would build, or
//! gives `None` as soon as the input leaves the subset or anything is ambiguous (a plain scalar
//! YAML would read as a number or boolean, a comment, an anchor, a multi-line plain scalar, a
//! duplicate key, …); the caller then falls back to `serde_yaml_ng`, which also reports every
//! error. `document` turns the tree into a [`Document`] for the usual shapes only and declines
//! anything else, so the fallback decides every unusual or erroneous case. Differential tests
//! check both steps against serde_yaml_ng on every real Wolfi document.

use std::borrow::Cow;

use crate::model::{
    Advisory, Detection, Document, Event, EventKind, FalsePositiveType, NvdApiDetection, Package,
    ScanV1Detection,
};

/// A YAML node of the subset: strings, nulls, sequences and mappings (keys in file order).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    Null,
    Str(Cow<'a, str>),
    Seq(Vec<Node<'a>>),
    Map(Vec<(&'a str, Node<'a>)>),
}

/// Parse `text` if it is inside the subset; `None` means "use serde_yaml_ng".
pub(crate) fn parse(text: &str) -> Option<Node<'_>> {
    if text.contains(['\t', '\r', '\u{feff}']) || text.is_empty() {
        return None;
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let mut p = Parser {
        lines,
        pos: 0,
        item: None,
        depth: 0,
    };
    p.skip_blank();
    let (ind, content) = p.current()?;
    if ind != 0 || content.starts_with("- ") || content == "-" || content.starts_with("---") {
        return None;
    }
    let value = p.map(0);
    #[cfg(test)]
    LAST_POS.with(|c| c.set(p.pos));
    let value = value?;
    p.skip_blank();
    if p.pos != p.lines.len() {
        return None;
    }
    Some(value)
}

#[cfg(test)]
thread_local! {
    /// Where the last parse stopped (a debugging aid for declined documents).
    pub(crate) static LAST_POS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

struct Parser<'a> {
    lines: Vec<&'a str>,
    pos: usize,
    /// The current line seen from inside a sequence item: (indent, content after `- `).
    item: Option<(usize, &'a str)>,
    /// Nesting depth of mappings and sequences (bounded: hostile input must not overflow the stack).
    depth: usize,
}

/// Deeper nesting, or more keys in one mapping, is left to serde_yaml_ng (and its limits).
const MAX_DEPTH: usize = 32;
const MAX_KEYS: usize = 64;

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

impl<'a> Parser<'a> {
    /// The current line as (indent, content), the sequence-item view first.
    fn current(&self) -> Option<(usize, &'a str)> {
        if let Some(item) = self.item {
            return Some(item);
        }
        let line = *self.lines.get(self.pos)?;
        let ind = indent_of(line);
        Some((ind, &line[ind..]))
    }

    fn advance(&mut self) {
        self.item = None;
        self.pos += 1;
    }

    /// Skip empty lines. Comments are outside the subset (they are rare and have edge cases).
    fn skip_blank(&mut self) {
        if self.item.is_some() {
            return;
        }
        while let Some(line) = self.lines.get(self.pos) {
            if line.trim_start_matches(' ').is_empty() {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// The indent of the next non-blank line, if any (does not move).
    fn next_indent(&self) -> Option<usize> {
        let mut i = self.pos;
        while let Some(line) = self.lines.get(i) {
            if !line.trim_start_matches(' ').is_empty() {
                return Some(indent_of(line));
            }
            i += 1;
        }
        None
    }

    /// A block mapping whose keys sit at column `ind`.
    fn map(&mut self, ind: usize) -> Option<Node<'a>> {
        self.depth += 1;
        let node = if self.depth > MAX_DEPTH {
            None
        } else {
            self.map_inner(ind)
        };
        self.depth -= 1;
        node
    }

    fn map_inner(&mut self, ind: usize) -> Option<Node<'a>> {
        let mut map: Vec<(&'a str, Node<'a>)> = Vec::new();
        loop {
            self.skip_blank();
            let Some((i, content)) = self.current() else {
                break;
            };
            if i < ind {
                break;
            }
            if i > ind || content.starts_with("- ") || content == "-" {
                if i == ind {
                    break;
                }
                return None;
            }
            let (key, rest) = split_key(content)?;
            self.advance();
            let value = self.value(rest, ind)?;
            if map.len() >= MAX_KEYS || map.iter().any(|(k, _)| *k == key) {
                return None;
            }
            map.push((key, value));
        }
        Some(Node::Map(map))
    }

    /// A block sequence whose dashes sit at column `ind`.
    fn seq(&mut self, ind: usize) -> Option<Node<'a>> {
        self.depth += 1;
        let node = if self.depth > MAX_DEPTH {
            None
        } else {
            self.seq_inner(ind)
        };
        self.depth -= 1;
        node
    }

    fn seq_inner(&mut self, ind: usize) -> Option<Node<'a>> {
        let mut seq = Vec::new();
        loop {
            self.skip_blank();
            let Some((i, content)) = self.current() else {
                break;
            };
            if i != ind || !(content.starts_with("- ") || content == "-") {
                if i > ind {
                    return None;
                }
                break;
            }
            let after = &content[1..];
            let text = after.trim_start_matches(' ');
            if text.is_empty() {
                self.advance();
                match self.next_indent() {
                    Some(n) if n > ind => {
                        self.skip_blank();
                        seq.push(self.node(n)?);
                    }
                    _ => seq.push(Node::Null),
                }
                continue;
            }
            let col = ind + 1 + (after.len() - text.len());
            if text.starts_with("- ") || text == "-" {
                return None;
            }
            if split_key(text).is_some() {
                self.item = Some((col, text));
                seq.push(self.map(col)?);
            } else {
                self.advance();
                seq.push(self.inline(text, ind)?);
            }
        }
        Some(Node::Seq(seq))
    }

    /// A block node starting at the current line, which has indent `ind`.
    fn node(&mut self, ind: usize) -> Option<Node<'a>> {
        let (_, content) = self.current()?;
        if content.starts_with("- ") || content == "-" {
            self.seq(ind)
        } else if split_key(content).is_some() {
            self.map(ind)
        } else {
            None
        }
    }

    /// The value after `key:` on a line of a mapping at column `ind` (already advanced past it).
    fn value(&mut self, rest: &'a str, ind: usize) -> Option<Node<'a>> {
        if rest.is_empty() {
            return match self.next_indent() {
                Some(n) if n > ind => {
                    self.skip_blank();
                    self.node(n)
                }
                Some(n) if n == ind => {
                    // An indentless sequence as the value of this key.
                    self.skip_blank();
                    match self.current() {
                        Some((_, c)) if c.starts_with("- ") || c == "-" => self.seq(ind),
                        _ => Some(Node::Null),
                    }
                }
                _ => Some(Node::Null),
            };
        }
        if let Some(header) = rest.strip_prefix('|') {
            return self.literal(header, ind);
        }
        self.inline(rest, ind)
    }

    /// A one-line scalar or flow sequence; a following more-indented line (a continuation) is
    /// outside the subset.
    fn inline(&mut self, text: &'a str, ind: usize) -> Option<Node<'a>> {
        let value = if text.starts_with('[') {
            flow_seq(text)?
        } else if text.starts_with('\'') {
            let (s, tail) = single_quoted(text)?;
            if !tail.trim_start_matches(' ').is_empty() {
                return None;
            }
            Node::Str(s)
        } else if text.starts_with('"') {
            let (s, tail) = double_quoted(text)?;
            if !tail.trim_start_matches(' ').is_empty() {
                return None;
            }
            Node::Str(s)
        } else {
            plain(text)?
        };
        if self.next_indent().is_some_and(|n| n > ind) {
            return None;
        }
        Some(value)
    }

    /// A literal block scalar (`|` or `|-`) under a key at column `ind`.
    fn literal(&mut self, header: &str, ind: usize) -> Option<Node<'a>> {
        let strip = match header {
            "" => false,
            "-" => true,
            _ => return None,
        };
        let start = self.pos;
        let mut end = start;
        let mut content_indent: Option<usize> = None;
        while let Some(line) = self.lines.get(end) {
            let blank = line.trim_start_matches(' ').is_empty();
            if blank {
                end += 1;
                continue;
            }
            let i = indent_of(line);
            if i <= ind {
                break;
            }
            match content_indent {
                None => content_indent = Some(i),
                Some(c) if i < c => return None,
                Some(_) => {}
            }
            end += 1;
        }
        // Trailing blank lines belong to the block only up to its last content line.
        let mut last = end;
        while last > start && self.lines[last - 1].trim_start_matches(' ').is_empty() {
            last -= 1;
        }
        let Some(c) = content_indent else {
            // No content: an empty string (clip or strip alike).
            self.pos = last;
            return Some(Node::Str(Cow::Borrowed("")));
        };
        let mut out = String::new();
        for (k, line) in self.lines[start..last].iter().enumerate() {
            if line.trim_start_matches(' ').is_empty() {
                if line.len() > c {
                    // Whitespace beyond the indentation is content; keep it out of the subset.
                    return None;
                }
            } else {
                out.push_str(&line[c..]);
            }
            if k + 1 < last - start {
                out.push('\n');
            }
        }
        // Blank lines after the content that are more indented than the key are still part of
        // the block (they only affect keep-chomping, which is outside the subset).
        for line in &self.lines[last..end] {
            if line.len() > c {
                return None;
            }
        }
        if !strip {
            out.push('\n');
        }
        self.pos = last;
        Some(Node::Str(Cow::Owned(out)))
    }
}

/// `key: rest` or `key:` with a simple plain key; `None` when the line is not such a pair.
fn split_key(content: &str) -> Option<(&str, &str)> {
    let (key, rest) = match content.find(": ") {
        Some(i) => (&content[..i], content[i + 2..].trim_start_matches(' ')),
        None => (content.strip_suffix(':')?, ""),
    };
    let simple = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        && !key.starts_with(['-', '.']);
    if !simple || !matches!(plain(key), Some(Node::Str(_))) {
        return None;
    }
    Some((key, rest))
}

/// A plain one-line scalar: a string, or null for the null words. Anything YAML would read as
/// a number or boolean, or that carries indicators, comments or `: `, is outside the subset.
fn plain(text: &str) -> Option<Node<'_>> {
    let t = text.trim_end_matches(' ');
    if matches!(t, "~" | "null" | "Null" | "NULL") {
        return Some(Node::Null);
    }
    if t.is_empty()
        || t.contains(": ")
        || t.contains(" #")
        || t.ends_with(':')
        || t.starts_with([
            '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '?', ':',
            ',',
        ])
        || t.starts_with("- ")
        || t == "-"
    {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    if matches!(lower.as_str(), "true" | "false")
        || t.parse::<f64>().is_ok_and(f64::is_finite)
        || t.parse::<i128>().is_ok()
        || lower.trim_start_matches(['+', '-']).starts_with(".inf")
        || lower.starts_with(".nan")
        || radix_int(&lower)
    {
        return None;
    }
    Some(Node::Str(Cow::Borrowed(t)))
}

/// `0x…`, `0o…` or `0b…` with only digits of that radix (YAML reads it as an integer; a
/// string such as `0bf9ee4e` is not one).
fn radix_int(lower: &str) -> bool {
    let unsigned = lower.trim_start_matches(['+', '-']);
    [("0x", 16), ("0o", 8), ("0b", 2)]
        .iter()
        .any(|(prefix, radix)| {
            unsigned
                .strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_digit(*radix)))
        })
}

/// `'…'` on one line (`''` is a quote); returns the string and what follows the closing quote.
fn single_quoted(text: &str) -> Option<(Cow<'_, str>, &str)> {
    let body = text.strip_prefix('\'')?;
    let mut out = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if chars.peek().map(|(_, n)| *n) == Some('\'') {
                chars.next();
                out.push('\'');
            } else {
                return Some((Cow::Owned(out), &body[i + 1..]));
            }
        } else {
            out.push(c);
        }
    }
    None
}

/// `"…"` on one line with the common escapes; returns the string and the rest of the line.
fn double_quoted(text: &str) -> Option<(Cow<'_, str>, &str)> {
    let body = text.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((Cow::Owned(out), &body[i + 1..])),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    '/' => out.push('/'),
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '0' => out.push('\0'),
                    'u' => {
                        let mut code = 0u32;
                        for _ in 0..4 {
                            let (_, h) = chars.next()?;
                            code = code * 16 + h.to_digit(16)?;
                        }
                        out.push(char::from_u32(code)?);
                    }
                    _ => return None,
                }
            }
            _ => out.push(c),
        }
    }
    None
}

/// `[a, b, c]` of plain scalars on one line.
fn flow_seq(text: &str) -> Option<Node<'_>> {
    let body = text.strip_prefix('[')?;
    let close = body.find(']')?;
    if !body[close + 1..].trim_start_matches(' ').is_empty() {
        return None;
    }
    let inner = &body[..close];
    if inner.contains(['[', '{', '\'', '"', '#', ':']) {
        return None;
    }
    if inner.trim().is_empty() {
        return Some(Node::Seq(Vec::new()));
    }
    let mut items = Vec::new();
    for part in inner.split(',') {
        let part = part.trim_matches(' ');
        match plain(part)? {
            Node::Str(s) => items.push(Node::Str(s)),
            _ => return None,
        }
    }
    Some(Node::Seq(items))
}

/// The document, if it parses in the subset and has the usual shapes; `None` leaves the
/// decision (and any error) to the serde path. Mirrors `parse::parse_document` exactly for the
/// inputs it accepts.
pub(crate) fn document(bytes: &[u8]) -> Option<Document> {
    let text = std::str::from_utf8(bytes).ok()?;
    let Node::Map(top) = parse(text)? else {
        return None;
    };
    let (mut schema_version, mut package, mut advisories) = (None, None, None);
    for (k, v) in top {
        match k {
            "schema-version" => schema_version = Some(v),
            "package" => package = Some(v),
            "advisories" => advisories = Some(v),
            _ => return None,
        }
    }
    let Some(Node::Str(schema_version)) = schema_version else {
        return None;
    };
    let name = match package {
        None | Some(Node::Null) => String::new(),
        Some(Node::Map(entries)) => {
            let mut name = String::new();
            for (k, v) in entries {
                if k != "name" {
                    return None;
                }
                name = opt_string(v)?.unwrap_or_default();
            }
            name
        }
        Some(_) => return None,
    };
    let advisories = match advisories {
        None | Some(Node::Null) => Vec::new(),
        Some(Node::Seq(items)) => items
            .into_iter()
            .map(advisory)
            .collect::<Option<Vec<_>>>()?,
        Some(_) => return None,
    };
    Some(Document {
        schema_version: schema_version.into_owned(),
        package: Package { name },
        advisories,
    })
}

/// A string or null (as `None`); sequences and mappings decline.
fn opt_string(node: Node<'_>) -> Option<Option<String>> {
    match node {
        Node::Str(s) => Some(Some(s.into_owned())),
        Node::Null => Some(None),
        _ => None,
    }
}

/// Like `parse::text`: a string, else empty (also for sequences and mappings).
fn lenient_text(node: Option<Node<'_>>) -> String {
    match node {
        Some(Node::Str(s)) => s.into_owned(),
        _ => String::new(),
    }
}

fn advisory(node: Node<'_>) -> Option<Advisory> {
    let Node::Map(entries) = node else {
        return None;
    };
    let (mut id, mut aliases, mut events) = (String::new(), Vec::new(), Vec::new());
    for (k, v) in entries {
        match k {
            "id" => id = opt_string(v)?.unwrap_or_default(),
            "aliases" => match v {
                Node::Null => {}
                Node::Seq(items) => {
                    for item in items {
                        if let Some(s) = opt_string(item)? {
                            aliases.push(s);
                        }
                    }
                }
                _ => return None,
            },
            "events" => match v {
                Node::Null => {}
                Node::Seq(items) => {
                    for item in items {
                        events.push(event(item)?);
                    }
                }
                _ => return None,
            },
            _ => return None,
        }
    }
    Some(Advisory {
        id,
        aliases,
        events,
    })
}

fn event(node: Node<'_>) -> Option<Event> {
    let Node::Map(entries) = node else {
        return None;
    };
    let (mut timestamp, mut event_type, mut data) = (None, String::new(), None);
    for (k, v) in entries {
        match k {
            "timestamp" => timestamp = opt_string(v)?,
            "type" => event_type = opt_string(v)?.unwrap_or_default(),
            "data" => data = Some(v).filter(|d| *d != Node::Null),
            _ => return None,
        }
    }
    let timestamp = crate::parse::parse_timestamp(&timestamp?)?;
    let kind = match event_type.as_str() {
        "detection" => EventKind::Detection(detection(data)?),
        "true-positive-determination" => EventKind::TruePositiveDetermination { note: note(data)? },
        "fixed" => {
            let mut fixed_version = None;
            for (k, v) in fields(data)? {
                match k {
                    "fixed-version" => fixed_version = opt_string(v)?,
                    _ => return None,
                }
            }
            EventKind::Fixed { fixed_version }
        }
        "false-positive-determination" => {
            let (mut fp_type, mut note) = (String::new(), None);
            for (k, v) in fields(data)? {
                match k {
                    "type" => fp_type = opt_string(v)?.unwrap_or_default(),
                    "note" => note = opt_string(v)?,
                    _ => return None,
                }
            }
            EventKind::FalsePositiveDetermination {
                fp_type: FalsePositiveType::parse(&fp_type),
                note,
            }
        }
        "fix-not-planned" => EventKind::FixNotPlanned { note: note(data)? },
        "pending-upstream-fix" => EventKind::PendingUpstreamFix { note: note(data)? },
        "analysis-not-planned" => EventKind::AnalysisNotPlanned { note: note(data)? },
        _ => EventKind::Other(event_type),
    };
    Some(Event { timestamp, kind })
}

/// The entries of a data mapping (none when absent); other shapes decline.
fn fields(data: Option<Node<'_>>) -> Option<Vec<(&str, Node<'_>)>> {
    match data {
        None => Some(Vec::new()),
        Some(Node::Map(entries)) => Some(entries),
        Some(_) => None,
    }
}

fn note(data: Option<Node<'_>>) -> Option<Option<String>> {
    let mut note = None;
    for (k, v) in fields(data)? {
        match k {
            "note" => note = opt_string(v)?,
            _ => return None,
        }
    }
    Some(note)
}

fn detection(data: Option<Node<'_>>) -> Option<Detection> {
    let (mut detection_type, mut inner) = (String::new(), None);
    for (k, v) in fields(data)? {
        match k {
            "type" => detection_type = opt_string(v)?.unwrap_or_default(),
            "data" => inner = Some(v).filter(|d| *d != Node::Null),
            _ => return None,
        }
    }
    Some(match detection_type.as_str() {
        "manual" => Detection::Manual,
        "nvdapi" => {
            let (mut searched, mut found) = (None, None);
            // Detection payloads are lenient: unknown keys are ignored.
            for (k, v) in fields(inner)? {
                match k {
                    "cpeSearched" => searched = Some(v),
                    "cpeFound" => found = Some(v),
                    _ => {}
                }
            }
            Detection::Nvdapi(NvdApiDetection {
                cpe_searched: lenient_text(searched),
                cpe_found: lenient_text(found),
            })
        }
        "scan/v1" => {
            let mut scan = ScanV1Detection::default();
            for (k, v) in fields(inner)? {
                let slot = match k {
                    "subpackageName" => &mut scan.subpackage_name,
                    "componentID" => &mut scan.component_id,
                    "componentName" => &mut scan.component_name,
                    "componentVersion" => &mut scan.component_version,
                    "componentType" => &mut scan.component_type,
                    "componentLocation" => &mut scan.component_location,
                    "scanner" => &mut scan.scanner,
                    _ => continue,
                };
                *slot = lenient_text(Some(v));
            }
            Detection::ScanV1(scan)
        }
        _ => Detection::Other(detection_type),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    use serde_yaml_ng::Value;

    /// The serde_yaml_ng value the node stands for.
    pub(crate) fn to_value(node: &Node<'_>) -> Value {
        match node {
            Node::Null => Value::Null,
            Node::Str(s) => Value::String(s.to_string()),
            Node::Seq(items) => Value::Sequence(items.iter().map(to_value).collect()),
            Node::Map(entries) => Value::Mapping(
                entries
                    .iter()
                    .map(|(k, v)| (Value::String((*k).to_string()), to_value(v)))
                    .collect(),
            ),
        }
    }

    /// The fast path either declines or agrees with serde_yaml_ng; it never accepts what
    /// serde_yaml_ng rejects.
    pub(crate) fn agrees(text: &str) -> bool {
        let slow = serde_yaml_ng::from_str::<Value>(text);
        match (parse(text), slow) {
            (Some(fast), Ok(slow)) => to_value(&fast) == slow,
            (Some(_), Err(_)) => false,
            (None, _) => true,
        }
    }

    fn accepts(text: &str) {
        let fast = parse(text);
        assert!(fast.is_some(), "declined:\n{text}");
        assert!(agrees(text), "disagrees:\n{text}");
    }

    #[test]
    fn accepts_the_advisory_layout() {
        // The schema fixtures are read in place from the shared data set when it is present.
        let shared = std::env::var_os("ONUS_SHARED_DATA")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data").into());
        for name in ["full.advisories.yaml", "future.advisories.yaml"] {
            if let Ok(text) =
                std::fs::read_to_string(shared.join("advisory-schema-fixtures").join(name))
            {
                accepts(&text);
            }
        }
        accepts("a: 1.2.3-r4\nb:\n  - x\n  - y\nc: [CVE-2024-1, GHSA-aaaa-bbbb-cccc]\nd: []\n");
        accepts("a:\n- x\n- y\nb: z\n");
        accepts("a: 'it''s'\nb: \"q \\\"x\\\" \\u00e9\"\nc: ~\nd:\n");
        accepts("n:\n  note: |\n    line one\n\n    line two\n  other: x\n");
        accepts("n:\n  note: |-\n    line one\n      indented\n    end\n\n\nx: y\n");
        accepts("s:\n  - a: 1-r0\n    b: c\n  - a: 2-r0\n");
        accepts("t: 2024-07-31T07:29:00Z\nu: https://example.com/x#L29\n");
    }

    #[test]
    fn declines_what_it_does_not_model() {
        for text in [
            "a: 1\n",
            "a: 2.0\n",
            "a: true\n",
            "a: FALSE\n",
            "a: 0b101\n",
            "a: .inf\n",
            "a: &x b\nc: *x\n",
            "a: b # comment\n",
            "# comment\na: b\n",
            "a: >\n  folded\n",
            "a: |+\n  keep\n",
            "a: long\n  continued\n",
            "a: b\na: c\n",
            "a: {b: c}\n",
            "a: 'open\n  close'\n",
            "---\na: b\n",
            "- a\n",
            "a:\tb\n",
            "a: !tag b\n",
            "a: \"\\x41\"\n",
            "a: [x, 'y']\n",
            "",
        ] {
            assert!(parse(text).is_none(), "accepted:\n{text}");
        }
    }

    /// Every real Wolfi document: the fast path agrees with serde_yaml_ng, and declines few.
    #[test]
    fn agrees_with_serde_yaml_on_every_wolfi_document() {
        let dir = std::env::var_os("ONUS_SHARED_DATA")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../../shared/data"
                ))
            });
        let archive = dir.join("wolfi-advisories/wolfi-advisories-3d461f6.tar.zst");
        if !archive.is_file() {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("skipping: shared data not found at {}", dir.display());
            }
            return;
        }
        let (mut total, mut declined) = (0usize, Vec::new());
        for item in crate::read_files(&archive) {
            let (name, bytes) = item.unwrap();
            total += 1;
            let slow: Value = serde_yaml_ng::from_slice(&bytes).unwrap();
            let text = std::str::from_utf8(&bytes).unwrap();
            match parse(text) {
                Some(fast) => assert!(to_value(&fast) == slow, "fast path disagrees on {name}"),
                None => {
                    let pos = LAST_POS.with(|c| c.get());
                    let line = text.split('\n').nth(pos).unwrap_or_default();
                    declined.push(format!(
                        "{name}:{pos}: {}",
                        line.chars().take(80).collect::<String>()
                    ));
                }
            }
            // The document conversion agrees with the serde path whenever it accepts.
            let full = crate::parse::parse_document_slow(&bytes, &name).unwrap();
            if let Some(doc) = document(&bytes) {
                assert!(doc == full, "document conversion disagrees on {name}");
            }
        }
        assert_eq!(total, 1616);
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "fast path declined {} of {total}: {:?}",
                declined.len(),
                &declined[..declined.len().min(10)]
            );
        }
        assert!(
            declined.len() * 100 <= total,
            "fast path declined {} of {total}: {declined:?}",
            declined.len()
        );
    }

    #[test]
    fn hostile_shapes_are_declined_not_overflowed() {
        let mut deep = String::new();
        for i in 0..100_000 {
            deep.push_str(&" ".repeat(i % 200));
            deep.push_str("k:\n");
        }
        assert!(parse(&deep).is_none());
        let mut nested = String::new();
        for i in 0..5_000 {
            nested.push_str(&" ".repeat(i));
            nested.push_str("k:\n");
        }
        assert!(parse(&nested).is_none());
        let wide: String = (0..10_000).map(|i| format!("k{i}: v\n")).collect();
        assert!(parse(&wide).is_none());
        let items: String = (0..10_000).map(|i| format!("- v{i}\n")).collect();
        assert!(agrees(&format!("a:\n{items}")));
    }

    #[test]
    fn never_disagrees_on_odd_inputs() {
        for text in [
            "a:\n  - b\n - c\n",
            "a:\n    b: c\n  d: e\n",
            "a: |\n  x\n y\n",
            "a: |\n   x\n  y\n",
            "a: |\n\n  x\n",
            "a: |\n  x\n   \n",
            "a: |\n",
            "a: |-\n\nb: c\n",
            "a:\n  -\n  - b\n",
            "a:\n  -\n    b: c\n",
            "a:\n  - b: c\n   d: e\n",
            "a:\n  - - b\n",
            "a: x:y\n",
            "a: -x\n",
            "a: [ ]\n",
            "a: [x,,y]\n",
            "a: [x, y] z\n",
            "k.e/y_1: v\n",
            "a: yes\nb: n\nc: on\n",
            "a: 1_000\nb: 0x1F\nc: 007\nd: +1\ne: -.5\n",
            "a: 0bf9ee4e78506381\nb: 0b101\nc: 0x\nd: 0o9\n",
            "a: 03622160e6925503\nb: 1e5\nc: nan\nd: inf\ne: .NaN\n",
            "a: b\n  \n",
            "a:\n\n  b: c\n",
        ] {
            assert!(agrees(text), "disagrees:\n{text}");
        }
    }
}
