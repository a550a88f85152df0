//! PEP 440 versions (Python packages), parsed and ordered as `packaging.version` does.
//!
//! Accepts the permissive spellings PEP 440 normalises (`v` prefix, case, `alpha`/`c`/`pre`/
//! `preview`/`rev`/`r`, `-`/`_`/`.` separators, implicit numbers, `1.0-1` post releases, surrounding
//! whitespace). Order: epoch, release (trailing zeros ignored), then
//! `dev < a < b < rc < final < post`, dev releases of each, and local versions last.

use std::cmp::Ordering;
use std::fmt;

use crate::num::{cmp_digit_str, digit_run};
use crate::{Scheme, VersionError};

/// Pre-release kind, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PreKind {
    Alpha,
    Beta,
    Rc,
}

impl PreKind {
    fn as_str(self) -> &'static str {
        match self {
            PreKind::Alpha => "a",
            PreKind::Beta => "b",
            PreKind::Rc => "rc",
        }
    }
}

type Span = (u32, u32);

/// Parsed fields as spans into the original string (digits only, or the local label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Fields {
    epoch: Option<Span>,
    release: Span,
    pre: Option<(PreKind, Option<Span>)>,
    post: Option<Option<Span>>,
    dev: Option<Option<Span>>,
    local: Option<Span>,
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat_sep(&mut self) {
        if matches!(self.peek(), Some(b'-' | b'_' | b'.')) {
            self.pos += 1;
        }
    }

    /// Consume `word` case-insensitively.
    fn eat_word(&mut self, word: &str) -> bool {
        let end = self.pos + word.len();
        match self.s.get(self.pos..end) {
            Some(got) if got.eq_ignore_ascii_case(word.as_bytes()) => {
                self.pos = end;
                true
            }
            _ => false,
        }
    }

    fn digits(&mut self) -> Option<Span> {
        let n = digit_run(self.s.get(self.pos..).unwrap_or(&[]));
        if n == 0 {
            return None;
        }
        let span = (self.pos as u32, (self.pos + n) as u32);
        self.pos += n;
        Some(span)
    }
}

fn parse_fields(s: &str) -> Result<Fields, VersionError> {
    let err = |reason| VersionError::invalid(Scheme::Pep440, s, reason);
    if s.len() > u32::MAX as usize / 2 {
        return Err(err("version string is too long"));
    }
    let mut c = Cursor {
        s: s.as_bytes(),
        pos: 0,
    };
    while c.peek().is_some_and(|b| b.is_ascii_whitespace()) {
        c.pos += 1;
    }
    if matches!(c.peek(), Some(b'v' | b'V')) {
        c.pos += 1;
    }
    // Epoch: digits followed by `!`.
    let mut epoch = None;
    let save = c.pos;
    if let Some(span) = c.digits() {
        if c.peek() == Some(b'!') {
            c.pos += 1;
            epoch = Some(span);
        } else {
            c.pos = save;
        }
    }
    let Some(first) = c.digits() else {
        return Err(err("expected a release number"));
    };
    let mut release = first;
    while c.peek() == Some(b'.') && c.s.get(c.pos + 1).is_some_and(u8::is_ascii_digit) {
        c.pos += 1;
        if let Some(span) = c.digits() {
            release.1 = span.1;
        }
    }
    // Pre-release: [-_.]? (alpha|a|beta|b|preview|pre|c|rc) [-_.]? N?
    let save = c.pos;
    c.eat_sep();
    let mut pre = None;
    for (word, kind) in [
        ("alpha", PreKind::Alpha),
        ("a", PreKind::Alpha),
        ("beta", PreKind::Beta),
        ("b", PreKind::Beta),
        ("preview", PreKind::Rc),
        ("pre", PreKind::Rc),
        ("c", PreKind::Rc),
        ("rc", PreKind::Rc),
    ] {
        if c.eat_word(word) {
            c.eat_sep();
            pre = Some((kind, c.digits()));
            break;
        }
    }
    if pre.is_none() {
        c.pos = save;
    }
    // Post-release: -N | [-_.]? (post|rev|r) [-_.]? N?
    let save = c.pos;
    let mut post = None;
    if c.peek() == Some(b'-') && c.s.get(c.pos + 1).is_some_and(u8::is_ascii_digit) {
        c.pos += 1;
        post = Some(c.digits());
    } else {
        c.eat_sep();
        if ["post", "rev", "r"].iter().any(|w| c.eat_word(w)) {
            c.eat_sep();
            post = Some(c.digits());
        } else {
            c.pos = save;
        }
    }
    // Dev release: [-_.]? dev [-_.]? N?
    let save = c.pos;
    let mut dev = None;
    c.eat_sep();
    if c.eat_word("dev") {
        c.eat_sep();
        dev = Some(c.digits());
    } else {
        c.pos = save;
    }
    // Local version: +[a-z0-9]+([-_.][a-z0-9]+)*
    let mut local = None;
    if c.peek() == Some(b'+') {
        c.pos += 1;
        let start = c.pos;
        loop {
            let n =
                c.s.get(c.pos..)
                    .unwrap_or(&[])
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric())
                    .count();
            if n == 0 {
                return Err(err("local version label has an empty segment"));
            }
            c.pos += n;
            if matches!(c.peek(), Some(b'-' | b'_' | b'.')) {
                c.pos += 1;
            } else {
                break;
            }
        }
        local = Some((start as u32, c.pos as u32));
    }
    while c.peek().is_some_and(|b| b.is_ascii_whitespace()) {
        c.pos += 1;
    }
    if c.pos != c.s.len() {
        return Err(err("unexpected characters after the version"));
    }
    Ok(Fields {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

fn text(s: &str, span: Span) -> &str {
    s.get(span.0 as usize..span.1 as usize).unwrap_or("")
}

fn opt_text(s: &str, span: Option<Span>) -> &str {
    span.map_or("", |sp| text(s, sp))
}

/// Release segments compared with the shorter padded with zeros.
fn cmp_release(a: &str, b: &str) -> Ordering {
    let mut ia = a.split('.');
    let mut ib = b.split('.');
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (x, y) => {
                let r = cmp_digit_str(x.unwrap_or("0"), y.unwrap_or("0"));
                if r != Ordering::Equal {
                    return r;
                }
            }
        }
    }
}

fn cmp_local(a: &str, b: &str) -> Ordering {
    let mut ia = a.split(['-', '_', '.']);
    let mut ib = b.split(['-', '_', '.']);
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let xn = x.bytes().all(|c| c.is_ascii_digit());
                let yn = y.bytes().all(|c| c.is_ascii_digit());
                // Numeric segments sort after alphanumeric ones; letters compare lowercased.
                let r = match (xn, yn) {
                    (true, true) => cmp_digit_str(x, y),
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    (false, false) => x
                        .bytes()
                        .map(|c| c.to_ascii_lowercase())
                        .cmp(y.bytes().map(|c| c.to_ascii_lowercase())),
                };
                if r != Ordering::Equal {
                    return r;
                }
            }
        }
    }
}

/// packaging's `_cmpkey` pre-release rank: a bare dev release sorts before every pre-release,
/// no pre-release after every pre-release.
fn pre_rank(f: &Fields) -> u8 {
    match f.pre {
        None if f.post.is_none() && f.dev.is_some() => 0,
        Some(_) => 1,
        None => 2,
    }
}

fn cmp_fields(sa: &str, a: &Fields, sb: &str, b: &Fields) -> Ordering {
    let pre_num = |s, f: &Fields| f.pre.and_then(|(_, n)| n).map_or("", |n| text(s, n));
    cmp_digit_str(opt_text(sa, a.epoch), opt_text(sb, b.epoch))
        .then_with(|| cmp_release(text(sa, a.release), text(sb, b.release)))
        .then_with(|| pre_rank(a).cmp(&pre_rank(b)))
        .then_with(|| a.pre.map(|p| p.0).cmp(&b.pre.map(|p| p.0)))
        .then_with(|| cmp_digit_str(pre_num(sa, a), pre_num(sb, b)))
        // Post: absent is -inf.
        .then_with(|| match (a.post, b.post) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => cmp_digit_str(opt_text(sa, x), opt_text(sb, y)),
        })
        // Dev: absent is +inf.
        .then_with(|| match (a.dev, b.dev) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => cmp_digit_str(opt_text(sa, x), opt_text(sb, y)),
        })
        // Local: absent is -inf.
        .then_with(|| match (a.local, b.local) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => cmp_local(text(sa, x), text(sb, y)),
        })
}

/// Compare two PEP 440 version strings.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let fa = parse_fields(a)?;
    let fb = parse_fields(b)?;
    Ok(cmp_fields(a, &fa, b, &fb))
}

/// A parsed PEP 440 version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pep440Version {
    raw: Box<str>,
    fields: Fields,
}

impl Pep440Version {
    /// Parse `s` (any spelling PEP 440 normalises).
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        let fields = parse_fields(s)?;
        Ok(Pep440Version {
            raw: s.into(),
            fields,
        })
    }

    /// The version as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// True for pre-releases and dev releases.
    pub fn is_prerelease(&self) -> bool {
        self.fields.pre.is_some() || self.fields.dev.is_some()
    }

    /// The release segment as written (`1.0.2`).
    pub fn release(&self) -> &str {
        text(&self.raw, self.fields.release)
    }

    /// The normalised form: `1.0RC1` → `1.0rc1`, `v1.0-post-2` → `1.0.post2`, `1!2.0.DEV` → `1!2.0.dev0`.
    pub fn normalized(&self) -> String {
        let s = &*self.raw;
        let f = &self.fields;
        let num = |sp: Option<Span>| {
            let t = opt_text(s, sp).trim_start_matches('0');
            if t.is_empty() {
                "0".to_string()
            } else {
                t.to_string()
            }
        };
        let mut out = String::new();
        if let Some(e) = f.epoch {
            let e = num(Some(e));
            if e != "0" {
                out.push_str(&e);
                out.push('!');
            }
        }
        let release: Vec<&str> = text(s, f.release)
            .split('.')
            .map(|p| {
                let t = p.trim_start_matches('0');
                if t.is_empty() {
                    "0"
                } else {
                    t
                }
            })
            .collect();
        out.push_str(&release.join("."));
        if let Some((k, n)) = f.pre {
            out.push_str(k.as_str());
            out.push_str(&num(n));
        }
        if let Some(n) = f.post {
            out.push_str(".post");
            out.push_str(&num(n));
        }
        if let Some(n) = f.dev {
            out.push_str(".dev");
            out.push_str(&num(n));
        }
        if let Some(l) = f.local {
            out.push('+');
            out.extend(text(s, l).chars().map(|c| match c {
                '-' | '_' => '.',
                c => c.to_ascii_lowercase(),
            }));
        }
        out
    }
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_fields(&self.raw, &self.fields, &other.raw, &other.fields)
    }
}

impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Pep440Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::test_support::{assert_ladder, assert_same};

    #[test]
    fn ladder() {
        assert_ladder(
            Scheme::Pep440,
            &[
                "0.9",
                "1.0.dev0",
                "1.0.dev1",
                "1.0a1.dev1",
                "1.0a1",
                "1.0a1.post1.dev1",
                "1.0a1.post1",
                "1.0a2",
                "1.0b1",
                "1.0rc1",
                "1.0rc2",
                "1.0",
                "1.0+abc",
                "1.0+abc.5",
                "1.0+1",
                "1.0+5",
                "1.0+5.abc",
                "1.0.post1.dev0",
                "1.0.post1",
                "1.0.post2",
                "1.0.1",
                "1.1.dev1",
                "1.1",
                "1.10",
                "2.0",
                "2013.10",
                "1!0.1",
                "1!1.0",
                "2!0",
            ],
        );
    }

    #[test]
    fn normalisation_equalities() {
        for (a, b) in [
            ("1.0RC1", "1.0rc1"),
            ("1.0c1", "1.0rc1"),
            ("1.0pre1", "1.0rc1"),
            ("1.0-preview-1", "1.0rc1"),
            ("1.0alpha1", "1.0a1"),
            ("1.0.beta.2", "1.0b2"),
            ("1.0a", "1.0a0"),
            ("v1.0", "1.0"),
            ("V1.0", "1.0"),
            ("1.0", "1.0.0.0"),
            ("1.0-1", "1.0.post1"),
            ("1.0rev1", "1.0.post1"),
            ("1.0-r1", "1.0.post1"),
            ("1.0.post", "1.0.post0"),
            ("1.0-dev", "1.0.dev0"),
            ("0!1.0", "1.0"),
            ("01.02", "1.2"),
            (" 1.0\n", "1.0"),
            ("1.0+ABC-1", "1.0+abc.1"),
        ] {
            assert_same(Scheme::Pep440, a, b);
        }
    }

    #[test]
    fn normalized_form() {
        for (raw, norm) in [
            ("1.0RC1", "1.0rc1"),
            ("v1.0-post-2", "1.0.post2"),
            ("1!2.0.DEV", "1!2.0.dev0"),
            ("0!01.002a", "1.2a0"),
            ("1.0+Ubuntu-1_x", "1.0+ubuntu.1.x"),
            ("1.0-1", "1.0.post1"),
        ] {
            assert_eq!(
                Pep440Version::parse(raw).unwrap().normalized(),
                norm,
                "{raw}"
            );
        }
    }

    #[test]
    fn invalid_versions_are_rejected() {
        for bad in [
            "",
            "v",
            "a1",
            "1.0+",
            "1.0+a..b",
            "1.0.x",
            "1.0-foo",
            "1,0",
            "1.0 1",
            "1.0dev1a1",
            "!1.0",
        ] {
            assert!(
                Pep440Version::parse(bad).is_err(),
                "{bad:?} should be invalid"
            );
        }
    }
}
