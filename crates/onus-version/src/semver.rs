//! Semantic versions (npm, Cargo) and Go module / toolchain versions.
//!
//! Order per semver 2.0: major, minor, patch numerically; a pre-release sorts before its release;
//! pre-release identifiers compare numerically when both are numeric, numeric before
//! alphanumeric, otherwise by ASCII; a shorter identifier list sorts first. Build metadata
//! (`+build`, Go's `+incompatible`) is ignored.
//!
//! Go: the `v` prefix is optional (OSV's Go ranges omit it), `v1` / `v1.2` are shorthand for
//! `v1.0.0` / `v1.2.0`, pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`) are pre-releases
//! and order as such, and toolchain versions (`go1.21.5`, `go1.21rc1`) read as `1.21.5` and
//! `1.21.0-rc.1`, as the Go vulnerability database does.

use std::cmp::Ordering;
use std::fmt;

use crate::num::{cmp_digit_str, digit_run};
use crate::{Scheme, VersionError};

type Span = (u32, u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Pre {
    None,
    /// `-alpha.1`: dot-separated identifiers.
    Dotted(Span),
    /// Go toolchain `rc1`: the identifiers `rc` and `1` written without a separator.
    Glued {
        word: Span,
        num: Span,
    },
}

/// One pre-release identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ident<'a> {
    Num(&'a str),
    Alpha(&'a str),
}

impl Ident<'_> {
    fn of(s: &str) -> Ident<'_> {
        if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) {
            Ident::Num(s)
        } else {
            Ident::Alpha(s)
        }
    }

    fn cmp(self, other: Ident<'_>) -> Ordering {
        match (self, other) {
            (Ident::Num(a), Ident::Num(b)) => cmp_digit_str(a, b),
            (Ident::Num(_), Ident::Alpha(_)) => Ordering::Less,
            (Ident::Alpha(_), Ident::Num(_)) => Ordering::Greater,
            (Ident::Alpha(a), Ident::Alpha(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

/// Parsed numbers plus spans into the original string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Fields {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Pre,
    build: Option<Span>,
}

fn text(s: &str, span: Span) -> &str {
    s.get(span.0 as usize..span.1 as usize).unwrap_or("")
}

fn cmp_pre(sa: &str, a: Pre, sb: &str, b: Pre) -> Ordering {
    match (a, b) {
        (Pre::None, Pre::None) => Ordering::Equal,
        (Pre::None, _) => Ordering::Greater,
        (_, Pre::None) => Ordering::Less,
        _ => {
            let mut ia = idents(sa, a);
            let mut ib = idents(sb, b);
            loop {
                match (ia.next(), ib.next()) {
                    (None, None) => return Ordering::Equal,
                    (None, Some(_)) => return Ordering::Less,
                    (Some(_), None) => return Ordering::Greater,
                    (Some(x), Some(y)) => {
                        let r = x.cmp(y);
                        if r != Ordering::Equal {
                            return r;
                        }
                    }
                }
            }
        }
    }
}

/// The pre-release identifiers, without allocating.
fn idents(s: &str, pre: Pre) -> impl Iterator<Item = Ident<'_>> {
    let (dotted, glued) = match pre {
        Pre::None => (None, None),
        Pre::Dotted(span) => (Some(text(s, span)), None),
        Pre::Glued { word, num } => (
            None,
            Some([Ident::Alpha(text(s, word)), Ident::Num(text(s, num))]),
        ),
    };
    dotted
        .into_iter()
        .flat_map(|d| d.split('.').map(Ident::of))
        .chain(glued.into_iter().flatten())
}

fn cmp_fields(sa: &str, a: &Fields, sb: &str, b: &Fields) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(|| cmp_pre(sa, a.pre, sb, b.pre))
}

/// A numeric identifier: `0` or digits without a leading zero. Returns (value, length).
fn numeric(s: &[u8], pos: usize) -> Option<(u64, usize)> {
    let rest = s.get(pos..)?;
    let n = digit_run(rest);
    if n == 0 || (n > 1 && rest[0] == b'0') {
        return None;
    }
    let digits = std::str::from_utf8(&rest[..n]).ok()?;
    Some((digits.parse::<u64>().ok()?, n))
}

/// Dot-separated identifiers of `[0-9A-Za-z-]`, none empty; pre-release numerics without
/// leading zeros. Returns the end position.
fn identifiers(s: &[u8], mut pos: usize, prerelease: bool) -> Option<usize> {
    loop {
        let rest = s.get(pos..)?;
        let n = rest
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-')
            .count();
        if n == 0 {
            return None;
        }
        let id = &rest[..n];
        if prerelease && n > 1 && id[0] == b'0' && id.iter().all(u8::is_ascii_digit) {
            return None;
        }
        pos += n;
        if s.get(pos) == Some(&b'.') {
            pos += 1;
        } else {
            return Some(pos);
        }
    }
}

/// Parse `MAJOR.MINOR.PATCH[-pre][+build]` starting at `pos`; `short` allows `MAJOR` and
/// `MAJOR.MINOR` (Go shorthand, nothing may follow).
fn parse_core(s: &[u8], mut pos: usize, short: bool) -> Option<Fields> {
    let (major, n) = numeric(s, pos)?;
    pos += n;
    let mut nums = [major, 0, 0];
    for slot in nums.iter_mut().skip(1) {
        if s.get(pos) != Some(&b'.') {
            return (short && pos == s.len()).then_some(Fields {
                major: nums[0],
                minor: nums[1],
                patch: nums[2],
                pre: Pre::None,
                build: None,
            });
        }
        let (v, n) = numeric(s, pos + 1)?;
        *slot = v;
        pos += 1 + n;
    }
    let mut pre = Pre::None;
    if s.get(pos) == Some(&b'-') {
        let end = identifiers(s, pos + 1, true)?;
        pre = Pre::Dotted(((pos + 1) as u32, end as u32));
        pos = end;
    }
    let mut build = None;
    if s.get(pos) == Some(&b'+') {
        let end = identifiers(s, pos + 1, false)?;
        build = Some(((pos + 1) as u32, end as u32));
        pos = end;
    }
    (pos == s.len()).then_some(Fields {
        major: nums[0],
        minor: nums[1],
        patch: nums[2],
        pre,
        build,
    })
}

fn parse_semver(s: &str) -> Result<Fields, VersionError> {
    let err = |reason| VersionError::invalid(Scheme::Semver, s, reason);
    if s.len() > u32::MAX as usize / 2 {
        return Err(err("version string is too long"));
    }
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let offset = t.as_ptr() as usize - s.as_ptr() as usize;
    let b = s.as_bytes();
    let mut pos = offset;
    if b.get(pos) == Some(&b'=') {
        pos += 1;
    }
    if matches!(b.get(pos), Some(b'v' | b'V')) {
        pos += 1;
    }
    let end = offset + t.len();
    parse_core(&b[..end], pos, false)
        .ok_or_else(|| err("expected MAJOR.MINOR.PATCH[-prerelease][+build]"))
}

fn parse_go(s: &str) -> Result<Fields, VersionError> {
    let err = |reason| VersionError::invalid(Scheme::Go, s, reason);
    if s.len() > u32::MAX as usize / 2 {
        return Err(err("version string is too long"));
    }
    let b = s.as_bytes();
    if let Some(rest) = s.strip_prefix("go") {
        // Toolchain: go1, go1.21, go1.21.5, go1.21rc1, go1.9.2beta1 (build-info experiments
        // after a space are ignored).
        let rest_len = rest.find(' ').unwrap_or(rest.len());
        let end = 2 + rest_len;
        let mut pos = 2;
        let mut nums = [0u64; 3];
        for (i, slot) in nums.iter_mut().enumerate() {
            if i > 0 {
                if b.get(pos) != Some(&b'.') || pos >= end {
                    break;
                }
                pos += 1;
            }
            let (v, n) = numeric(&b[..end], pos)
                .ok_or_else(|| err("expected a Go toolchain version like go1.21.5"))?;
            *slot = v;
            pos += n;
        }
        let mut pre = Pre::None;
        if pos < end {
            let word_len = b[pos..end]
                .iter()
                .take_while(|c| c.is_ascii_lowercase())
                .count();
            let word = &b[pos..pos + word_len];
            if !matches!(word, b"alpha" | b"beta" | b"rc") {
                return Err(err(
                    "expected alpha, beta or rc after a Go toolchain version",
                ));
            }
            let num_start = pos + word_len;
            let num_len = digit_run(&b[num_start..end]);
            if num_len == 0 || num_start + num_len != end {
                return Err(err("expected a number after the Go toolchain pre-release"));
            }
            pre = Pre::Glued {
                word: (pos as u32, num_start as u32),
                num: (num_start as u32, (num_start + num_len) as u32),
            };
        }
        return Ok(Fields {
            major: nums[0],
            minor: nums[1],
            patch: nums[2],
            pre,
            build: None,
        });
    }
    let start = usize::from(b.first() == Some(&b'v'));
    parse_core(b, start, true)
        .ok_or_else(|| err("expected vMAJOR.MINOR.PATCH[-prerelease][+build]"))
}

/// Compare two semver strings (npm / Cargo).
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let fa = parse_semver(a)?;
    let fb = parse_semver(b)?;
    Ok(cmp_fields(a, &fa, b, &fb))
}

/// Compare two Go module or toolchain versions.
pub fn compare_go(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let fa = parse_go(a)?;
    let fb = parse_go(b)?;
    Ok(cmp_fields(a, &fa, b, &fb))
}

/// A parsed semantic version (also used for Go versions).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SemverVersion {
    raw: Box<str>,
    fields: Fields,
}

impl SemverVersion {
    /// Parse a semver string (surrounding whitespace and a leading `v` or `=` allowed).
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        let fields = parse_semver(s)?;
        Ok(SemverVersion {
            raw: s.into(),
            fields,
        })
    }

    /// Parse a Go module version (`v` optional, shorthand allowed) or toolchain version (`go1.21rc1`).
    pub fn parse_go(s: &str) -> Result<Self, VersionError> {
        let fields = parse_go(s)?;
        Ok(SemverVersion {
            raw: s.into(),
            fields,
        })
    }

    /// The version as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn major(&self) -> u64 {
        self.fields.major
    }

    pub fn minor(&self) -> u64 {
        self.fields.minor
    }

    pub fn patch(&self) -> u64 {
        self.fields.patch
    }

    /// True when there is a pre-release part (Go pseudo-versions included).
    pub fn is_prerelease(&self) -> bool {
        self.fields.pre != Pre::None
    }

    /// The pre-release identifiers joined with `.` (`rc.1` for `go1.21rc1`); empty when none.
    pub fn prerelease(&self) -> String {
        idents(&self.raw, self.fields.pre)
            .map(|i| match i {
                Ident::Num(s) | Ident::Alpha(s) => s,
            })
            .collect::<Vec<_>>()
            .join(".")
    }

    /// Build metadata (`incompatible` for Go's `+incompatible`); empty when none.
    pub fn build(&self) -> &str {
        self.fields.build.map_or("", |b| text(&self.raw, b))
    }

    /// The canonical `MAJOR.MINOR.PATCH[-pre]` form (no `v`, no build metadata).
    pub fn canonical(&self) -> String {
        let pre = self.prerelease();
        let core = format!(
            "{}.{}.{}",
            self.fields.major, self.fields.minor, self.fields.patch
        );
        if pre.is_empty() {
            core
        } else {
            format!("{core}-{pre}")
        }
    }
}

impl Ord for SemverVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_fields(&self.raw, &self.fields, &other.raw, &other.fields)
    }
}

impl PartialOrd for SemverVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for SemverVersion {
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
    fn semver_ladder() {
        // The semver.org precedence example, plus numeric and leading-v cases.
        assert_ladder(
            Scheme::Semver,
            &[
                "0.0.0-0",
                "0.0.0",
                "0.9.9",
                "1.0.0-0",
                "1.0.0-0.3",
                "1.0.0-1",
                "1.0.0-2",
                "1.0.0-10",
                "1.0.0-Beta",
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-alpha.beta",
                "1.0.0-beta",
                "1.0.0-beta.2",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0",
                "1.0.1",
                "1.2.0",
                "1.10.0",
                "2.0.0-rc.1",
                "v2.0.0",
                "10.0.0",
                "18446744073709551615.0.0",
            ],
        );
    }

    #[test]
    fn build_metadata_is_ignored() {
        assert_same(Scheme::Semver, "1.0.0+build.1", "1.0.0+other");
        assert_same(Scheme::Semver, "v1.2.3", "1.2.3");
        assert_same(Scheme::Semver, "=1.2.3", " 1.2.3 ");
    }

    #[test]
    fn go_ladder() {
        assert_ladder(
            Scheme::Go,
            &[
                "v0.0.0-20191109021931-daa7c04131f5",
                "v0.0.0-20200101000000-aaaaaaaaaaaa",
                "v0.0.0",
                "v0.1.0",
                "v1.0.0-rc.1",
                "v1.0.0",
                "v1.2.3-pre",
                "v1.2.3-pre.0.20200101000000-abcdefabcdef",
                "v1.2.3",
                "v1.2.4-0.20200101000000-abcdefabcdef",
                "v1.2.4",
                "1.20.0",
                "go1.21rc1",
                "go1.21rc2",
                "go1.21.0",
                "go1.21.5",
                "v2.0.0+incompatible",
                "v2.1.0",
            ],
        );
    }

    #[test]
    fn go_equalities() {
        assert_same(Scheme::Go, "v2.0.0+incompatible", "v2.0.0");
        assert_same(Scheme::Go, "v1", "v1.0.0");
        assert_same(Scheme::Go, "v1.2", "1.2.0");
        assert_same(Scheme::Go, "go1.21", "1.21.0");
        assert_same(Scheme::Go, "go1.21rc1", "v1.21.0-rc.1");
        assert_same(Scheme::Go, "go1.22.1 X:boringcrypto", "1.22.1");
        assert_eq!(
            SemverVersion::parse_go("go1.21rc1").unwrap().canonical(),
            "1.21.0-rc.1"
        );
        assert_eq!(
            SemverVersion::parse_go("v2.0.0+incompatible")
                .unwrap()
                .build(),
            "incompatible"
        );
    }

    #[test]
    fn invalid_versions_are_rejected() {
        for bad in [
            "",
            "1",
            "1.2",
            "01.2.3",
            "1.02.3",
            "1.2.3-",
            "1.2.3-01",
            "1.2.3+",
            "1.2.3-a..b",
            "1.2.3.4",
            "a.b.c",
            "1.2.3 x",
            "99999999999999999999.0.0",
        ] {
            assert!(
                SemverVersion::parse(bad).is_err(),
                "semver {bad:?} should be invalid"
            );
        }
        for bad in [
            "", "v", "v1.2-pre", "v01.0.0", "go", "go1.21x1", "go1.21rc", "vv1.0.0", "1.0.0 ",
        ] {
            assert!(
                SemverVersion::parse_go(bad).is_err(),
                "go {bad:?} should be invalid"
            );
        }
    }
}
