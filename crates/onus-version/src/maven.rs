//! Maven versions, ordered as Maven's `ComparableVersion` (the POM reference's "version order
//! specification"), made into a total order.
//!
//! Maven's own comparator is not transitive on some inputs (MNG-5568, MNG-6568: for example
//! `1 < 1.sp-0`, `1.sp-0 < 1-alpha`, yet `1-alpha < 1`), and onus sorts versions and tests range
//! membership with them, so it needs a total order. Each version is therefore reduced to a
//! canonical token sequence and sequences are compared lexicographically, the shorter one padded
//! with the release qualifier. Any such order is transitive by construction, and on the forms
//! real artifacts use it gives Maven's answers:
//!
//! * The string is lowercased and split at `.`, `-` and digit/letter transitions. A `-`, a
//!   transition, or a qualifier after a `.` starts a new *segment* (Maven nests a list there;
//!   Maven 3.9 already treats a trailing `.X` as `-X`, onus does so everywhere).
//! * Null items (`0`, `""`, `final`, `ga`, `release`) at the end of each segment are dropped; a
//!   segment left empty in the middle becomes one release token.
//! * Tokens order as: qualifiers
//!   (`alpha < beta < milestone < rc = cr < snapshot < "" = final = ga = release < sp`, then any
//!   other qualifier alphabetically; `a1`/`b1`/`m1` mean `alpha-1`/`beta-1`/`milestone-1`)
//!   < numbers that start a segment < numbers after a `.`. Hence
//!   `1-alpha < 1-beta < 1-milestone < 1-rc < 1-snapshot < 1 < 1-sp < 1-1 < 1.1`.
//!
//! Where Maven itself contradicts the order (the cycles above, `1-0-alpha` against `1-sp`),
//! onus's answer differs from Maven's; nothing in real advisory ranges relies on those.

use std::cmp::Ordering;
use std::fmt;

use crate::num::{cmp_digit_str, is_zero};
use crate::{Scheme, VersionError};

/// More tokens than this is refused: no real version comes close, and it bounds the work
/// a hostile string can cause.
const MAX_TOKENS: usize = 256;

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE: u8 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Qual {
    Known(u8),
    Other(Box<str>),
}

/// One item of the canonical sequence, ordered by [`cmp_token`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Token {
    /// A qualifier; always the first item of its segment.
    Str(Qual),
    /// A number that starts a segment (after `-`, a letter, or at the start).
    SegmentInt(Box<str>),
    /// A number after a `.` inside a segment.
    DotInt(Box<str>),
}

/// What the end of the shorter sequence compares as.
const PADDING: Token = Token::Str(Qual::Known(RELEASE));

fn qualifier(value: &str, followed_by_digit: bool) -> Qual {
    let value = match (followed_by_digit, value) {
        (true, "a") => "alpha",
        (true, "b") => "beta",
        (true, "m") => "milestone",
        (_, "ga" | "final" | "release") => "",
        (_, "cr") => "rc",
        (_, v) => v,
    };
    match QUALIFIERS.iter().position(|q| *q == value) {
        Some(i) => Qual::Known(i as u8),
        None => Qual::Other(value.into()),
    }
}

#[derive(Debug)]
enum Item {
    Int(Box<str>),
    Str(Qual),
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(v) => is_zero(v.as_bytes()),
            Item::Str(q) => *q == Qual::Known(RELEASE),
        }
    }
}

/// Split into segments of items (see the module docs).
fn segments(lower: &str) -> Vec<Vec<Item>> {
    let mut segs: Vec<Vec<Item>> = vec![Vec::new()];
    let bytes = lower.as_bytes();
    let mut i = 0usize;
    let mut new_segment = false;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'.' || c == b'-' {
            // An empty item between separators (or at either end) is 0.
            if i == 0 || matches!(bytes[i - 1], b'.' | b'-') {
                push(&mut segs, Item::Int("".into()), new_segment);
            }
            new_segment = c == b'-';
            if i + 1 == bytes.len() {
                push(&mut segs, Item::Int("".into()), new_segment);
            }
            i += 1;
            continue;
        }
        let digit = c.is_ascii_digit();
        let run = bytes[i..]
            .iter()
            .take_while(|b| !matches!(b, b'.' | b'-') && b.is_ascii_digit() == digit)
            .count();
        // Runs split at ASCII boundaries, so slicing is on char boundaries.
        let text = &lower[i..i + run];
        let next = bytes.get(i + run).copied();
        let item = if digit {
            Item::Int(text.trim_start_matches('0').into())
        } else {
            Item::Str(qualifier(text, next.is_some_and(|b| b.is_ascii_digit())))
        };
        // A qualifier always starts a segment; so does a number right after a qualifier.
        let starts = new_segment
            || matches!(item, Item::Str(_))
            || (i > 0 && !matches!(bytes[i - 1], b'.' | b'-'));
        push(&mut segs, item, starts);
        new_segment = false;
        i += run;
    }
    segs
}

fn push(segs: &mut Vec<Vec<Item>>, item: Item, new_segment: bool) {
    // A qualifier at the very start goes into the first segment rather than after an empty one.
    let at_start = segs.len() == 1 && segs[0].is_empty();
    match segs.last_mut() {
        Some(last) if !new_segment || at_start => last.push(item),
        _ => segs.push(vec![item]),
    }
}

fn parse_tokens(s: &str) -> Result<Vec<Token>, VersionError> {
    let err = |reason| VersionError::invalid(Scheme::Maven, s, reason);
    if s.is_empty() {
        return Err(err("version string is empty"));
    }
    let lower = s.to_lowercase();
    let mut tokens = Vec::new();
    for mut seg in segments(&lower) {
        while seg.last().is_some_and(Item::is_null) {
            seg.pop();
        }
        if seg.is_empty() {
            tokens.push(PADDING);
        }
        for (k, item) in seg.into_iter().enumerate() {
            tokens.push(match item {
                Item::Str(q) => Token::Str(q),
                Item::Int(n) if k == 0 => Token::SegmentInt(n),
                Item::Int(n) => Token::DotInt(n),
            });
        }
        if tokens.len() > MAX_TOKENS {
            return Err(err("version has too many parts"));
        }
    }
    while tokens.last() == Some(&PADDING) {
        tokens.pop();
    }
    Ok(tokens)
}

fn cmp_qual(a: &Qual, b: &Qual) -> Ordering {
    match (a, b) {
        (Qual::Known(x), Qual::Known(y)) => x.cmp(y),
        (Qual::Known(_), Qual::Other(_)) => Ordering::Less,
        (Qual::Other(_), Qual::Known(_)) => Ordering::Greater,
        // Java's String.compareTo: UTF-16 code units.
        (Qual::Other(x), Qual::Other(y)) => x.encode_utf16().cmp(y.encode_utf16()),
    }
}

/// The total order on tokens: qualifiers < segment-leading numbers < dotted numbers.
fn cmp_token(a: &Token, b: &Token) -> Ordering {
    fn rank(t: &Token) -> u8 {
        match t {
            Token::Str(_) => 0,
            Token::SegmentInt(_) => 1,
            Token::DotInt(_) => 2,
        }
    }
    match (a, b) {
        (Token::Str(x), Token::Str(y)) => cmp_qual(x, y),
        (Token::SegmentInt(x), Token::SegmentInt(y)) | (Token::DotInt(x), Token::DotInt(y)) => {
            cmp_digit_str(x, y)
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

fn cmp_tokens(a: &[Token], b: &[Token]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).unwrap_or(&PADDING);
        let y = b.get(i).unwrap_or(&PADDING);
        let result = cmp_token(x, y);
        if result != Ordering::Equal {
            return result;
        }
    }
    Ordering::Equal
}

/// Compare two Maven version strings.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(cmp_tokens(&parse_tokens(a)?, &parse_tokens(b)?))
}

/// A parsed Maven version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MavenVersion {
    raw: Box<str>,
    tokens: Vec<Token>,
}

impl MavenVersion {
    /// Parse `s` (any non-empty string is a Maven version).
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        let tokens = parse_tokens(s)?;
        Ok(MavenVersion {
            raw: s.into(),
            tokens,
        })
    }

    /// The version as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// True when the version carries a qualifier that sorts before the release
    /// (alpha, beta, milestone, rc, snapshot).
    pub fn is_prerelease(&self) -> bool {
        self.tokens
            .iter()
            .any(|t| matches!(t, Token::Str(Qual::Known(k)) if *k < RELEASE))
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_tokens(&self.tokens, &other.tokens)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for MavenVersion {
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
    fn qualifier_ladder() {
        assert_ladder(
            Scheme::Maven,
            &[
                "1-alpha",
                "1-beta",
                "1-milestone",
                "1-rc",
                "1-snapshot",
                "1",
                "1-sp",
                "1.1",
            ],
        );
    }

    #[test]
    fn ladder() {
        assert_ladder(
            Scheme::Maven,
            &[
                "0.9",
                "1-alpha-1",
                "1-alpha2snapshot",
                "1-alpha2",
                "1-alpha-10",
                "1-beta-1",
                "1-milestone-1",
                "1-rc-1",
                "1-snapshot",
                "1",
                "1-sp",
                "1-sp-1",
                "1-abc",
                "1-xyz",
                "1-1-snapshot",
                "1-1",
                "1-2",
                "1.0.1",
                "1.1-snapshot",
                "1.1",
                "1.1.1",
                "1.2",
                "1.10",
                "2.0.0-m1",
                "2.0.0",
                "2.0.0.1",
                "10",
                "100000000000000000000",
            ],
        );
    }

    #[test]
    fn equalities() {
        for (a, b) in [
            ("1", "1.0"),
            ("1", "1.0.0"),
            ("1.0", "1-0"),
            ("1-ga", "1"),
            ("1-final", "1"),
            ("1.0.RELEASE", "1"),
            ("1-cr1", "1-rc1"),
            ("1-a1", "1-alpha-1"),
            ("1-b1", "1-beta-1"),
            ("1-m1", "1-milestone-1"),
            ("1.0-RC1", "1.0-rc-1"),
            ("1X", "1-x"),
            ("1.0.0.Final", "1.0.0"),
            ("1.0.01", "1.0.1"),
        ] {
            assert_same(Scheme::Maven, a, b);
        }
    }

    #[test]
    fn dot_qualifier_vs_hyphen() {
        // 1.0.0.X1 < 1.0.0-X2 (MNG-5568).
        assert_eq!(compare("1.0.0.x1", "1.0.0-x2").unwrap(), Ordering::Less);
        assert_eq!(compare("1.0-alpha", "1.0.alpha").unwrap(), Ordering::Equal);
    }

    #[test]
    fn triples_on_which_maven_cycles_get_one_order() {
        // Maven's comparator puts each of these triples in a cycle (MNG-5568, MNG-6568, and
        // two the property tests found); here each is a ladder.
        assert_ladder(Scheme::Maven, &["1-alpha", "1", "1.sp-0"]);
        assert_ladder(Scheme::Maven, &["7-alpha", "7", "7.ga.1"]);
        assert_ladder(Scheme::Maven, &["0-alpha", "0", "x"]);
        // MNG-6964: a nested list compares whole against a missing item.
        assert_ladder(Scheme::Maven, &["1", "1-0.1", "1-1", "1.0.1"]);
        assert_same(Scheme::Maven, "1.sp-0", "1-sp");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = "a1".repeat(10_000);
        assert!(MavenVersion::parse(&s).is_err());
        assert!(MavenVersion::parse("").is_err());
        assert!(MavenVersion::parse("1-alpha").unwrap().is_prerelease());
        assert!(!MavenVersion::parse("1-sp").unwrap().is_prerelease());
    }
}
