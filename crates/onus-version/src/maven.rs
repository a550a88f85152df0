//! Maven versions, ordered as Maven's `ComparableVersion` (3.8 algorithm, the one the POM
//! reference's "version order specification" describes).
//!
//! The string is lowercased and split into items at `.`, `-` and digit/letter transitions; `-`
//! and transitions open a nested list. Trailing "null" items (`0`, `""`, `final`, `ga`,
//! `release`) are trimmed per list. Qualifiers order as
//! `alpha < beta < milestone < rc = cr < snapshot < "" = final = ga = release < sp`, then any other
//! qualifier alphabetically; `a1`/`b1`/`m1` mean `alpha-1`/`beta-1`/`milestone-1`. Numbers sort
//! after qualifiers and lists, and a list after a qualifier:
//! `1-alpha < 1-beta < 1-milestone < 1-rc < 1-snapshot < 1 < 1-sp < 1.1`.

use std::cmp::Ordering;
use std::fmt;

use crate::num::{cmp_digit_str, is_zero};
use crate::{Scheme, VersionError};

/// Deeper nesting than this is refused, so comparison and drop cannot exhaust the stack.
const MAX_DEPTH: usize = 256;

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE: u8 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Qual {
    Known(u8),
    Other(Box<str>),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Item {
    /// Digits without leading zeros (empty is 0).
    Int(Box<str>),
    Str(Qual),
    List(Vec<Item>),
}

fn string_item(value: &str, followed_by_digit: bool) -> Item {
    let value = match (followed_by_digit, value) {
        (true, "a") => "alpha",
        (true, "b") => "beta",
        (true, "m") => "milestone",
        (_, "ga" | "final" | "release") => "",
        (_, "cr") => "rc",
        (_, v) => v,
    };
    match QUALIFIERS.iter().position(|q| *q == value) {
        Some(i) => Item::Str(Qual::Known(i as u8)),
        None => Item::Str(Qual::Other(value.into())),
    }
}

fn parse_item(is_digit: bool, buf: &str) -> Item {
    if is_digit {
        Item::Int(buf.trim_start_matches('0').into())
    } else {
        string_item(buf, false)
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(v) => is_zero(v.as_bytes()),
            Item::Str(q) => *q == Qual::Known(RELEASE),
            Item::List(l) => l.is_empty(),
        }
    }
}

fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

fn parse_items(s: &str) -> Result<Vec<Item>, VersionError> {
    let err = |reason| VersionError::invalid(Scheme::Maven, s, reason);
    if s.is_empty() {
        return Err(err("version string is empty"));
    }
    let lower = s.to_lowercase();
    // Each nested list is the last element of its parent, so the lists form a chain: keep one
    // Vec per level and assemble them at the end.
    let mut levels: Vec<Vec<Item>> = vec![Vec::new()];
    let nest = |levels: &mut Vec<Vec<Item>>| -> Result<(), VersionError> {
        if levels.len() >= MAX_DEPTH {
            return Err(err("version has too many parts"));
        }
        levels.push(Vec::new());
        Ok(())
    };
    let mut is_digit = false;
    let mut start = 0usize;
    for (i, c) in lower.char_indices() {
        match c {
            '.' | '-' => {
                let item = if i == start {
                    Item::Int("".into())
                } else {
                    parse_item(is_digit, &lower[start..i])
                };
                if let Some(list) = levels.last_mut() {
                    list.push(item);
                }
                start = i + 1;
                if c == '-' {
                    nest(&mut levels)?;
                }
            }
            '0'..='9' => {
                if !is_digit && i > start {
                    // 1.0.0.X1 < 1.0.0-X2: a qualifier followed by digits opens its own list.
                    if levels.last().is_some_and(|l| !l.is_empty()) {
                        nest(&mut levels)?;
                    }
                    if let Some(list) = levels.last_mut() {
                        list.push(string_item(&lower[start..i], true));
                    }
                    start = i;
                    nest(&mut levels)?;
                }
                is_digit = true;
            }
            _ => {
                if is_digit && i > start {
                    if let Some(list) = levels.last_mut() {
                        list.push(parse_item(true, &lower[start..i]));
                    }
                    start = i;
                    nest(&mut levels)?;
                }
                is_digit = false;
            }
        }
    }
    if lower.len() > start {
        // Treat a trailing `.X` as `-X` for any qualifier X.
        if !is_digit && levels.last().is_some_and(|l| !l.is_empty()) {
            nest(&mut levels)?;
        }
        if let Some(list) = levels.last_mut() {
            list.push(parse_item(is_digit, &lower[start..]));
        }
    }
    let mut child: Option<Vec<Item>> = None;
    while let Some(mut list) = levels.pop() {
        if let Some(c) = child.take() {
            list.push(Item::List(c));
        }
        normalize(&mut list);
        child = Some(list);
    }
    Ok(child.unwrap_or_default())
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

/// `a.compareTo(b)` where `None` is Java's `null` (a missing item).
fn cmp_item(a: &Item, b: Option<&Item>) -> Ordering {
    match (a, b) {
        (Item::Int(x), None) => {
            if is_zero(x.as_bytes()) {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        (Item::Int(x), Some(Item::Int(y))) => cmp_digit_str(x, y),
        (Item::Int(_), Some(_)) => Ordering::Greater,
        (Item::Str(q), None) => cmp_qual(q, &Qual::Known(RELEASE)),
        (Item::Str(_), Some(Item::Int(_))) => Ordering::Less,
        (Item::Str(x), Some(Item::Str(y))) => cmp_qual(x, y),
        (Item::Str(_), Some(Item::List(_))) => Ordering::Less,
        (Item::List(l), None) => l
            .first()
            .map_or(Ordering::Equal, |first| cmp_item(first, None)),
        (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
        (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
        (Item::List(l), Some(Item::List(r))) => cmp_lists(l, r),
    }
}

fn cmp_lists(l: &[Item], r: &[Item]) -> Ordering {
    for i in 0..l.len().max(r.len()) {
        let result = match (l.get(i), r.get(i)) {
            (None, None) => Ordering::Equal,
            (None, Some(y)) => cmp_item(y, None).reverse(),
            (Some(x), y) => cmp_item(x, y),
        };
        if result != Ordering::Equal {
            return result;
        }
    }
    Ordering::Equal
}

/// Compare two Maven version strings.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let ia = parse_items(a)?;
    let ib = parse_items(b)?;
    Ok(cmp_lists(&ia, &ib))
}

/// A parsed Maven version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MavenVersion {
    raw: Box<str>,
    items: Vec<Item>,
}

impl MavenVersion {
    /// Parse `s` (any non-empty string is a Maven version).
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        let items = parse_items(s)?;
        Ok(MavenVersion {
            raw: s.into(),
            items,
        })
    }

    /// The version as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// True when the version carries a qualifier that sorts before the release
    /// (alpha, beta, milestone, rc, snapshot).
    pub fn is_prerelease(&self) -> bool {
        fn walk(items: &[Item]) -> bool {
            items.iter().any(|i| match i {
                Item::Str(Qual::Known(k)) => *k < RELEASE,
                Item::List(l) => walk(l),
                _ => false,
            })
        }
        walk(&self.items)
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items)
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
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = "a1".repeat(10_000);
        assert!(MavenVersion::parse(&s).is_err());
        assert!(MavenVersion::parse("").is_err());
        assert!(MavenVersion::parse("1-alpha").unwrap().is_prerelease());
        assert!(!MavenVersion::parse("1-sp").unwrap().is_prerelease());
    }
}
