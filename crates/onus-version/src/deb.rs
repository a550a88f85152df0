//! Debian versions (`[epoch:]upstream[-revision]`), ordered exactly as dpkg's `verrevcmp`.
//!
//! Within upstream and revision, non-digit runs compare character by character with `~` before
//! everything (even the end), then the end, then letters, then other characters; digit runs
//! compare numerically. So `1.0~rc1 < 1.0 < 1.0+b1 < 1:0.1`.

use std::cmp::Ordering;
use std::fmt;

use crate::{Scheme, VersionError};

/// dpkg's character weight for the non-digit part: `~` < end < letters < everything else.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp` on one part (upstream or revision).
pub fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let is_digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !is_digit(a, i)) || (j < b.len() && !is_digit(b, j)) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while is_digit(a, i) && is_digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if is_digit(a, i) {
            return Ordering::Greater;
        }
        if is_digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// The parts of a Debian version, borrowed from the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parts<'a> {
    epoch: u32,
    upstream: &'a str,
    revision: &'a str,
}

fn parse_parts(s: &str) -> Result<Parts<'_>, VersionError> {
    let err = |reason| VersionError::invalid(Scheme::Deb, s, reason);
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    if t.is_empty() {
        return Err(err("version string is empty"));
    }
    if t.bytes().any(|c| c.is_ascii_whitespace()) {
        return Err(err("version string has embedded spaces"));
    }
    let (epoch, rest) = match t.split_once(':') {
        Some((e, rest)) => {
            if e.is_empty() {
                return Err(err("epoch in version is empty"));
            }
            if !e.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err("epoch in version is not number"));
            }
            let epoch = e.parse::<u32>().ok().filter(|&n| n <= i32::MAX as u32);
            let Some(epoch) = epoch else {
                return Err(err("epoch in version is too big"));
            };
            if rest.is_empty() {
                return Err(err("nothing after colon in version number"));
            }
            (epoch, rest)
        }
        None => (0, t),
    };
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((_, "")) => return Err(err("revision number is empty")),
        Some((up, rev)) => (up, rev),
        None => (rest, ""),
    };
    if upstream.is_empty() {
        return Err(err("version number is empty"));
    }
    // dpkg only warns about these; we reject them so a string of another scheme is not
    // silently ordered as a Debian version.
    if !upstream
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || b".-+~:".contains(&c))
    {
        return Err(err("invalid character in version number"));
    }
    if !revision
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || b".+~".contains(&c))
    {
        return Err(err("invalid character in revision number"));
    }
    Ok(Parts {
        epoch,
        upstream,
        revision,
    })
}

fn cmp_parts(a: &Parts<'_>, b: &Parts<'_>) -> Ordering {
    a.epoch
        .cmp(&b.epoch)
        .then_with(|| verrevcmp(a.upstream, b.upstream))
        .then_with(|| verrevcmp(a.revision, b.revision))
}

/// Compare two Debian version strings (`dpkg --compare-versions`).
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let pa = parse_parts(a)?;
    let pb = parse_parts(b)?;
    Ok(cmp_parts(&pa, &pb))
}

/// A parsed Debian version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DebVersion {
    raw: Box<str>,
    epoch: u32,
    upstream: (usize, usize),
    revision: (usize, usize),
}

impl DebVersion {
    /// Parse `s` as dpkg's `parseversion` does (surrounding whitespace is ignored).
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        let p = parse_parts(s)?;
        let base = s.as_ptr() as usize;
        let span = |part: &str| {
            let start = part.as_ptr() as usize - base;
            (start, start + part.len())
        };
        // An absent revision is an empty span at the end.
        let revision = if p.revision.is_empty() {
            (s.len(), s.len())
        } else {
            span(p.revision)
        };
        Ok(DebVersion {
            raw: s.into(),
            epoch: p.epoch,
            upstream: span(p.upstream),
            revision,
        })
    }

    /// The version as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The epoch (0 when absent).
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The upstream version.
    pub fn upstream(&self) -> &str {
        self.raw.get(self.upstream.0..self.upstream.1).unwrap_or("")
    }

    /// The Debian revision (empty when absent).
    pub fn revision(&self) -> &str {
        self.raw.get(self.revision.0..self.revision.1).unwrap_or("")
    }

    fn parts(&self) -> Parts<'_> {
        Parts {
            epoch: self.epoch,
            upstream: self.upstream(),
            revision: self.revision(),
        }
    }
}

impl Ord for DebVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_parts(&self.parts(), &other.parts())
    }
}

impl PartialOrd for DebVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for DebVersion {
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
            Scheme::Deb,
            &[
                "0~~",
                "0~",
                "0",
                "0.1",
                "1.0~~",
                "1.0~~a",
                "1.0~alpha",
                "1.0~beta",
                "1.0~rc1",
                "1.0~rc2",
                "1.0",
                "1.0-0.1",
                "1.0-1",
                "1.0-1+deb12u1",
                "1.0-1.1",
                "1.0-2",
                "1.0-10",
                "1.0a",
                "1.0+b1",
                "1.0+dfsg-1",
                "1.0.1",
                "1.2",
                "1.10",
                "2.0",
                "2.0a",
                "10",
                "1:0.1",
                "1:1.0",
                "2:0",
            ],
        );
    }

    #[test]
    fn equal_spellings() {
        assert_same(Scheme::Deb, "1.0", "0:1.0");
        assert_same(Scheme::Deb, "1.0", "1.0-0");
        assert_same(Scheme::Deb, "1.01", "1.1");
        assert_same(Scheme::Deb, "1.0", " 1.0 ");
    }

    #[test]
    fn parts_and_hyphens_in_upstream() {
        let v = DebVersion::parse("2:1.2-3-4ubuntu1").unwrap();
        assert_eq!(
            (v.epoch(), v.upstream(), v.revision()),
            (2, "1.2-3", "4ubuntu1")
        );
        let v = DebVersion::parse("3.0.11").unwrap();
        assert_eq!((v.epoch(), v.upstream(), v.revision()), (0, "3.0.11", ""));
    }

    #[test]
    fn invalid_versions_are_rejected() {
        for bad in [
            "",
            " ",
            "1.0-",
            ":1.0",
            "a:1.0",
            "1:",
            "1 0",
            "1.0_1",
            "1.0-1_2",
            "99999999999:1",
            "-1",
        ] {
            assert!(compare(bad, "1.0").is_err(), "{bad:?} should be invalid");
        }
    }
}
