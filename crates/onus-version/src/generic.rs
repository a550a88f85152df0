//! Fallback ordering for ecosystems without a known scheme: dotted numeric comparison.
//!
//! The string is read as runs of digits and runs of letters; every other character separates.
//! Runs compare pairwise: numbers numerically, words by ASCII (case-insensitive), and a word
//! sorts before a number. A missing run counts as `0`, so `1 = 1.0`, `1.0rc1 < 1.0 < 1.0.1`.

use std::cmp::Ordering;
use std::fmt;

use crate::num::cmp_digits;
use crate::{Scheme, VersionError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run<'a> {
    Num(&'a [u8]),
    Word(&'a [u8]),
}

struct Runs<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Runs<'a> {
    type Item = Run<'a>;

    fn next(&mut self) -> Option<Run<'a>> {
        let skip = self
            .rest
            .iter()
            .take_while(|c| !c.is_ascii_alphanumeric())
            .count();
        self.rest = &self.rest[skip..];
        let first = *self.rest.first()?;
        let n = if first.is_ascii_digit() {
            self.rest.iter().take_while(|c| c.is_ascii_digit()).count()
        } else {
            self.rest
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .count()
        };
        let (run, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(if first.is_ascii_digit() {
            Run::Num(run)
        } else {
            Run::Word(run)
        })
    }
}

fn cmp_run(a: Run<'_>, b: Run<'_>) -> Ordering {
    match (a, b) {
        (Run::Num(x), Run::Num(y)) => cmp_digits(x, y),
        (Run::Num(_), Run::Word(_)) => Ordering::Greater,
        (Run::Word(_), Run::Num(_)) => Ordering::Less,
        (Run::Word(x), Run::Word(y)) => x
            .iter()
            .map(u8::to_ascii_lowercase)
            .cmp(y.iter().map(u8::to_ascii_lowercase)),
    }
}

fn cmp_valid(a: &str, b: &str) -> Ordering {
    let mut ia = Runs { rest: a.as_bytes() };
    let mut ib = Runs { rest: b.as_bytes() };
    loop {
        let r = match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (x, y) => cmp_run(x.unwrap_or(Run::Num(b"0")), y.unwrap_or(Run::Num(b"0"))),
        };
        if r != Ordering::Equal {
            return r;
        }
    }
}

fn check(s: &str) -> Result<(), VersionError> {
    if s.bytes().any(|c| c.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(VersionError::invalid(
            Scheme::Generic,
            s,
            "no digits or letters",
        ))
    }
}

/// Compare two version strings of an unknown scheme.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    check(a)?;
    check(b)?;
    Ok(cmp_valid(a, b))
}

/// A version of an unknown scheme.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GenericVersion {
    raw: Box<str>,
}

impl GenericVersion {
    /// Accept any string with at least one digit or letter.
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        check(s)?;
        Ok(GenericVersion { raw: s.into() })
    }

    /// The version as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl Ord for GenericVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_valid(&self.raw, &other.raw)
    }
}

impl PartialOrd for GenericVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for GenericVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_ladder, assert_same};

    #[test]
    fn ladder() {
        assert_ladder(
            Scheme::Generic,
            &[
                "0.1", "0.9", "1.0alpha", "1.0beta2", "1.0rc1", "1.0", "1.0.1", "1.1", "1.2",
                "1.10", "2", "2.0.0.1", "10",
            ],
        );
    }

    #[test]
    fn equalities_and_errors() {
        assert_same(Scheme::Generic, "1", "1.0.0");
        assert_same(Scheme::Generic, "1_2", "1.2");
        assert_same(Scheme::Generic, "1.0RC1", "1.0rc1");
        assert!(compare("", "1").is_err());
        assert!(compare("...", "1").is_err());
    }
}
