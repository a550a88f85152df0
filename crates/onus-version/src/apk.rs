//! apk (Alpine, Wolfi, Chainguard) versions, ordered exactly as apk-tools' `version.c` does.
//!
//! Grammar: `digit{.digit}...{letter}{_suffix{number}}...{~hash}{-rN}`. Tokens are compared
//! pairwise; when one version runs out first, the longer one is greater unless its next token is
//! a pre-release suffix (`_alpha`, `_beta`, `_pre`, `_rc`). So `1.0_rc1 < 1.0 < 1.0-r1 < 1.0_p1`:
//! the `-rN` package release is compared after every suffix.

use std::cmp::Ordering;
use std::fmt;

use crate::num::{cmp_digits, digit_run};
use crate::{Scheme, VersionError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tok {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix ranks; `NONE` (no suffix) is the pivot between pre- and post-release suffixes.
const SUFFIX_NONE: u8 = 5;

fn suffix_value(s: &[u8]) -> Option<u8> {
    Some(match s {
        b"alpha" => 1,
        b"beta" => 2,
        b"pre" => 3,
        b"rc" => 4,
        b"cvs" => 6,
        b"svn" => 7,
        b"git" => 8,
        b"hg" => 9,
        b"p" => 10,
        _ => return None,
    })
}

/// A streaming tokenizer over one version string.
struct Lexer<'a> {
    rest: &'a [u8],
    tok: Tok,
    suffix: u8,
    value: &'a [u8],
}

impl<'a> Lexer<'a> {
    fn first(s: &'a str) -> Self {
        let mut lx = Lexer {
            rest: s.as_bytes(),
            tok: Tok::InitialDigit,
            suffix: 0,
            value: &[],
        };
        lx.digits();
        lx
    }

    fn digits(&mut self) {
        let n = digit_run(self.rest);
        self.value = &self.rest[..n];
        self.rest = &self.rest[n..];
        if n == 0 {
            self.tok = Tok::Invalid;
        }
    }

    fn next(&mut self) {
        let Some(&c) = self.rest.first() else {
            self.tok = Tok::End;
            return;
        };
        match c {
            b'a'..=b'z' => {
                if self.tok > Tok::Digit {
                    return self.invalid();
                }
                self.value = &self.rest[..1];
                self.rest = &self.rest[1..];
                self.tok = Tok::Letter;
            }
            b'.' | b'0'..=b'9' => {
                if c == b'.' {
                    if self.tok > Tok::Digit {
                        return self.invalid();
                    }
                    self.rest = &self.rest[1..];
                }
                self.tok = match self.tok {
                    Tok::InitialDigit | Tok::Digit => Tok::Digit,
                    Tok::Suffix => Tok::SuffixNo,
                    _ => return self.invalid(),
                };
                self.digits();
            }
            b'_' => {
                if self.tok > Tok::SuffixNo {
                    return self.invalid();
                }
                let rest = &self.rest[1..];
                let n = rest.iter().take_while(|c| c.is_ascii_lowercase()).count();
                self.value = &rest[..n];
                self.rest = &rest[n..];
                match suffix_value(self.value) {
                    Some(v) => {
                        self.suffix = v;
                        self.tok = Tok::Suffix;
                    }
                    None => self.invalid(),
                }
            }
            b'~' => {
                if self.tok >= Tok::CommitHash {
                    return self.invalid();
                }
                let rest = &self.rest[1..];
                let n = rest.iter().take_while(|c| c.is_ascii_hexdigit()).count();
                if n == 0 {
                    return self.invalid();
                }
                self.value = &rest[..n];
                self.rest = &rest[n..];
                self.tok = Tok::CommitHash;
            }
            b'-' => {
                if self.tok >= Tok::RevisionNo || !self.rest.starts_with(b"-r") {
                    return self.invalid();
                }
                self.rest = &self.rest[2..];
                self.tok = Tok::RevisionNo;
                self.digits();
            }
            _ => self.invalid(),
        }
    }

    fn invalid(&mut self) {
        self.tok = Tok::Invalid;
    }
}

fn token_cmp(a: &Lexer<'_>, b: &Lexer<'_>) -> Ordering {
    match a.tok {
        // A leading zero switches to plain string order, as in Gentoo's spec.
        Tok::Digit if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => {
            a.value.cmp(b.value)
        }
        Tok::Digit | Tok::InitialDigit | Tok::SuffixNo | Tok::RevisionNo => {
            cmp_digits(a.value, b.value)
        }
        Tok::Letter => a.value.cmp(b.value),
        Tok::Suffix => a.suffix.cmp(&b.suffix),
        _ => a.value.cmp(b.value),
    }
}

/// Check that `s` is a valid apk version (what `apk version -c` accepts).
pub fn validate(s: &str) -> Result<(), VersionError> {
    let mut lx = Lexer::first(s);
    while lx.tok < Tok::End {
        lx.next();
    }
    if lx.tok == Tok::End {
        Ok(())
    } else if s.is_empty() {
        Err(VersionError::invalid(Scheme::Apk, s, "empty version"))
    } else {
        Err(VersionError::invalid(
            Scheme::Apk,
            s,
            "expected digit{.digit}...{letter}{_suffix{N}}...{~hash}{-rN}",
        ))
    }
}

/// Compare two validated versions (apk-tools `apk_version_compare`).
fn cmp_valid(a: &str, b: &str) -> Ordering {
    let mut ta = Lexer::first(a);
    let mut tb = Lexer::first(b);
    while ta.tok == tb.tok && ta.tok < Tok::End {
        let r = token_cmp(&ta, &tb);
        if r != Ordering::Equal {
            return r;
        }
        ta.next();
        tb.next();
    }
    if ta.tok == tb.tok {
        return Ordering::Equal;
    }
    // Equal so far: the longer version is greater unless it continues with a pre-release suffix.
    if ta.tok == Tok::Suffix && ta.suffix < SUFFIX_NONE {
        return Ordering::Less;
    }
    if tb.tok == Tok::Suffix && tb.suffix < SUFFIX_NONE {
        return Ordering::Greater;
    }
    tb.tok.cmp(&ta.tok)
}

/// Compare two apk version strings.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    validate(a)?;
    validate(b)?;
    Ok(cmp_valid(a, b))
}

/// A validated apk version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApkVersion {
    raw: Box<str>,
}

impl ApkVersion {
    /// Validate and keep `s`.
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        validate(s)?;
        Ok(ApkVersion { raw: s.into() })
    }

    /// The version as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The `-rN` package release, if any.
    pub fn release(&self) -> Option<&str> {
        let (_, rel) = self.raw.rsplit_once("-r")?;
        Some(rel)
    }

    /// The version without its `-rN` package release.
    pub fn upstream(&self) -> &str {
        match self.raw.rsplit_once("-r") {
            Some((up, _)) => up,
            None => &self.raw,
        }
    }
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_valid(&self.raw, &other.raw)
    }
}

impl PartialOrd for ApkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ApkVersion {
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
            Scheme::Apk,
            &[
                "0.1",
                "0.9",
                "1",
                "1.0_alpha",
                "1.0_alpha1",
                "1.0_alpha2",
                "1.0_beta1",
                "1.0_pre1",
                "1.0_rc1",
                "1.0_rc1-r3",
                "1.0_rc2",
                "1.0",
                "1.0-r1",
                "1.0-r2",
                "1.0-r10",
                "1.0_cvs1",
                "1.0_svn1",
                "1.0_git20240101",
                "1.0_hg1",
                "1.0_p1",
                "1.0_p1-r1",
                "1.0_p2",
                "1.0a",
                "1.0b",
                "1.0b_p1",
                "1.0.0",
                "1.0.1",
                "1.01",
                "1.02",
                "1.1",
                "1.1.0_rc1",
                "1.2",
                "1.9",
                "1.10",
                "2.0",
                "10.0",
                "20240101",
            ],
        );
    }

    #[test]
    fn release_sorts_after_suffixes() {
        // apk-tools: `-rN` is compared after every suffix, so a post-release suffix wins over it.
        assert_eq!(compare("1.0_p1", "1.0-r1").unwrap(), Ordering::Greater);
        assert_eq!(compare("1.0-r1", "1.0").unwrap(), Ordering::Greater);
        assert_eq!(compare("1.0_rc1", "1.0").unwrap(), Ordering::Less);
        assert_eq!(compare("1.0_rc1-r9", "1.0-r0").unwrap(), Ordering::Less);
    }

    #[test]
    fn leading_zero_is_string_order() {
        // Gentoo rule: `8.2.0015 < 8.2.002` (string order), but `1.10 > 1.9` (numeric).
        assert_eq!(compare("8.2.0015", "8.2.002").unwrap(), Ordering::Less);
        assert_eq!(compare("1.10", "1.9").unwrap(), Ordering::Greater);
        assert_eq!(compare("1.0", "1.00").unwrap(), Ordering::Less);
    }

    #[test]
    fn commit_hash_and_equalities() {
        assert_same(Scheme::Apk, "1.0-r0", "1.0-r00");
        assert_eq!(compare("1.0~abc1", "1.0~abc2").unwrap(), Ordering::Less);
        assert_eq!(
            compare("1.0~abc1-r1", "1.0~abc1").unwrap(),
            Ordering::Greater
        );
    }

    #[test]
    fn invalid_versions_are_rejected() {
        for bad in [
            "",
            "a",
            "1.",
            "1..2",
            "1.0-1",
            "1.0-r",
            "1.0_foo",
            "1.0_",
            "1.0a1",
            "1.0A",
            "1.0-r1-r2",
            "1.0-r1_p1",
            " 1.0",
            "1.0 ",
            "v1.0",
            "1.0~",
            "1.0~xyz",
            "1.0~ab~cd",
        ] {
            assert!(compare(bad, "1.0").is_err(), "{bad:?} should be invalid");
            assert!(ApkVersion::parse(bad).is_err(), "{bad:?} should be invalid");
        }
        for good in [
            "0",
            "1.2.3a_rc1_p2-r3",
            "1_p",
            "2.36.1_git20220305-r0",
            "1.0~0a1b-r2",
        ] {
            assert!(validate(good).is_ok(), "{good:?} should be valid");
        }
    }

    #[test]
    fn accessors() {
        let v = ApkVersion::parse("3.0.15-r1").unwrap();
        assert_eq!(v.release(), Some("1"));
        assert_eq!(v.upstream(), "3.0.15");
        assert_eq!(v.to_string(), "3.0.15-r1");
    }
}
