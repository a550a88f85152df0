//! npm (node-semver) range expressions: `>=1.2.3 <2.0.0 || 3.x`, `^1.2`, `~1.2.3`, `1.2.3 - 2.3`,
//! `*`, and the Node.js security-wg `vulnerable` / `patched` pairs built from them.
//!
//! Ranges desugar to comparator sets exactly as node-semver's `Range` does (including its
//! `-0` upper bounds). A pre-release version satisfies a set only when some comparator of that
//! set names a pre-release of the same `major.minor.patch` — node-semver's default — unless
//! [`NpmRange::satisfies_with`] is asked to include pre-releases.

use std::cmp::Ordering;
use std::fmt;

use crate::semver::SemverVersion;
use crate::VersionError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Comparator {
    /// Matches every version (`*`, `x`, `""`).
    Any,
    Cmp(Op, SemverVersion),
}

impl Comparator {
    fn test(&self, v: &SemverVersion) -> bool {
        match self {
            Comparator::Any => true,
            Comparator::Cmp(op, bound) => {
                let ord = v.cmp(bound);
                match op {
                    Op::Lt => ord == Ordering::Less,
                    Op::Le => ord != Ordering::Greater,
                    Op::Gt => ord == Ordering::Greater,
                    Op::Ge => ord != Ordering::Less,
                    Op::Eq => ord == Ordering::Equal,
                }
            }
        }
    }
}

/// A parsed node-semver range (`||`-separated comparator sets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpmRange {
    raw: String,
    sets: Vec<Vec<Comparator>>,
}

/// One partial version of a range (`1`, `1.2`, `1.x`, `1.2.3-pre`); `None` is a wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Partial<'a> {
    major: Option<u64>,
    minor: Option<u64>,
    patch: Option<u64>,
    pre: &'a str,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

fn parse_partial(s: &str) -> Option<Partial<'_>> {
    let s = s.strip_prefix('=').unwrap_or(s);
    let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
    if s.is_empty() {
        return Some(Partial {
            major: None,
            minor: None,
            patch: None,
            pre: "",
        });
    }
    // Build metadata is ignored; the pre-release follows the first `-` after the core.
    let s = s.split_once('+').map_or(s, |(core, _)| core);
    let (core, pre) = match s.split_once('-') {
        Some((_, "")) => return None,
        Some(split) => split,
        None => (s, ""),
    };
    let mut parts = core.split('.');
    let mut nums = [None; 3];
    let mut wild = false;
    for slot in &mut nums {
        match parts.next() {
            None => wild = true,
            Some(p) if is_x(p) => wild = true,
            Some(p) => {
                // Once a part is a wildcard, node-semver ignores the numbers after it.
                if wild {
                    continue;
                }
                if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                *slot = Some(p.parse::<u64>().ok()?);
            }
        }
    }
    if parts.next().is_some() {
        return None;
    }
    if !pre.is_empty() && (nums[2].is_none() || wild) {
        return None;
    }
    Some(Partial {
        major: nums[0],
        minor: nums[1],
        patch: nums[2],
        pre,
    })
}

fn version(major: u64, minor: u64, patch: u64, pre: &str) -> Option<SemverVersion> {
    let s = if pre.is_empty() {
        format!("{major}.{minor}.{patch}")
    } else {
        format!("{major}.{minor}.{patch}-{pre}")
    };
    SemverVersion::parse(&s).ok()
}

fn cmp(op: Op, major: u64, minor: u64, patch: u64, pre: &str) -> Option<Comparator> {
    Some(Comparator::Cmp(op, version(major, minor, patch, pre)?))
}

/// `^` ranges: changes that do not modify the left-most non-zero part.
fn caret(p: Partial<'_>, out: &mut Vec<Comparator>) -> Option<()> {
    let Some(ma) = p.major else {
        out.push(Comparator::Any);
        return Some(());
    };
    let Some(mi) = p.minor else {
        out.push(cmp(Op::Ge, ma, 0, 0, "")?);
        out.push(cmp(Op::Lt, ma.checked_add(1)?, 0, 0, "0")?);
        return Some(());
    };
    let Some(pa) = p.patch else {
        out.push(cmp(Op::Ge, ma, mi, 0, "")?);
        out.push(if ma == 0 {
            cmp(Op::Lt, ma, mi.checked_add(1)?, 0, "0")?
        } else {
            cmp(Op::Lt, ma.checked_add(1)?, 0, 0, "0")?
        });
        return Some(());
    };
    out.push(cmp(Op::Ge, ma, mi, pa, p.pre)?);
    out.push(if ma == 0 && mi == 0 {
        cmp(Op::Lt, ma, mi, pa.checked_add(1)?, "0")?
    } else if ma == 0 {
        cmp(Op::Lt, ma, mi.checked_add(1)?, 0, "0")?
    } else {
        cmp(Op::Lt, ma.checked_add(1)?, 0, 0, "0")?
    });
    Some(())
}

/// `~` ranges: patch-level changes when a minor is given, minor-level otherwise.
fn tilde(p: Partial<'_>, out: &mut Vec<Comparator>) -> Option<()> {
    let Some(ma) = p.major else {
        out.push(Comparator::Any);
        return Some(());
    };
    let Some(mi) = p.minor else {
        out.push(cmp(Op::Ge, ma, 0, 0, "")?);
        out.push(cmp(Op::Lt, ma.checked_add(1)?, 0, 0, "0")?);
        return Some(());
    };
    out.push(cmp(Op::Ge, ma, mi, p.patch.unwrap_or(0), p.pre)?);
    out.push(cmp(Op::Lt, ma, mi.checked_add(1)?, 0, "0")?);
    Some(())
}

/// Primitive comparators and X-ranges (`>=1.2`, `<1.x`, `1.2.x`, `1.2.3`).
fn xrange(op: Option<Op>, p: Partial<'_>, out: &mut Vec<Comparator>) -> Option<()> {
    let any_x = p.patch.is_none();
    let op = if op == Some(Op::Eq) && any_x {
        None
    } else {
        op
    };
    let Some(ma) = p.major else {
        // `>*` and `<*` match nothing; everything else matches everything.
        if matches!(op, Some(Op::Gt | Op::Lt)) {
            out.push(cmp(Op::Lt, 0, 0, 0, "0")?);
        } else {
            out.push(Comparator::Any);
        }
        return Some(());
    };
    match (op, p.minor, p.patch) {
        (Some(op), mi, None) => {
            let (mut ma, mut mi, pa) = (ma, mi.unwrap_or(0), 0);
            let mut op = op;
            let mut pre = "";
            match op {
                Op::Gt => {
                    op = Op::Ge;
                    if p.minor.is_none() {
                        ma = ma.checked_add(1)?;
                        mi = 0;
                    } else {
                        mi = mi.checked_add(1)?;
                    }
                }
                Op::Le => {
                    op = Op::Lt;
                    if p.minor.is_none() {
                        ma = ma.checked_add(1)?;
                    } else {
                        mi = mi.checked_add(1)?;
                    }
                }
                _ => {}
            }
            if op == Op::Lt {
                pre = "0";
            }
            out.push(cmp(op, ma, mi, pa, pre)?);
        }
        (None, None, _) => {
            out.push(cmp(Op::Ge, ma, 0, 0, "")?);
            out.push(cmp(Op::Lt, ma.checked_add(1)?, 0, 0, "0")?);
        }
        (None, Some(mi), None) => {
            out.push(cmp(Op::Ge, ma, mi, 0, "")?);
            out.push(cmp(Op::Lt, ma, mi.checked_add(1)?, 0, "0")?);
        }
        (op, mi, Some(pa)) => out.push(cmp(op.unwrap_or(Op::Eq), ma, mi.unwrap_or(0), pa, p.pre)?),
    }
    Some(())
}

/// `A - B` hyphen ranges (inclusive; partial ends widen).
fn hyphen(from: Partial<'_>, to: Partial<'_>, out: &mut Vec<Comparator>) -> Option<()> {
    match (from.major, from.minor, from.patch) {
        (None, _, _) => {}
        (Some(ma), None, _) => out.push(cmp(Op::Ge, ma, 0, 0, "")?),
        (Some(ma), Some(mi), None) => out.push(cmp(Op::Ge, ma, mi, 0, "")?),
        (Some(ma), Some(mi), Some(pa)) => out.push(cmp(Op::Ge, ma, mi, pa, from.pre)?),
    }
    match (to.major, to.minor, to.patch) {
        (None, _, _) => {}
        (Some(ma), None, _) => out.push(cmp(Op::Lt, ma.checked_add(1)?, 0, 0, "0")?),
        (Some(ma), Some(mi), None) => out.push(cmp(Op::Lt, ma, mi.checked_add(1)?, 0, "0")?),
        (Some(ma), Some(mi), Some(pa)) => out.push(cmp(Op::Le, ma, mi, pa, to.pre)?),
    }
    if out.is_empty() {
        out.push(Comparator::Any);
    }
    Some(())
}

fn parse_comparator(token: &str, out: &mut Vec<Comparator>) -> Option<()> {
    let ops: [(&str, Option<Op>, u8); 9] = [
        ("~>", None, b'~'),
        ("~", None, b'~'),
        ("^", None, b'^'),
        (">=", Some(Op::Ge), 0),
        ("<=", Some(Op::Le), 0),
        (">", Some(Op::Gt), 0),
        ("<", Some(Op::Lt), 0),
        ("=", Some(Op::Eq), 0),
        ("", None, 0),
    ];
    for (prefix, op, kind) in ops {
        if let Some(rest) = token.strip_prefix(prefix) {
            let p = parse_partial(rest.trim())?;
            return match kind {
                b'~' => tilde(p, out),
                b'^' => caret(p, out),
                _ => xrange(op, p, out),
            };
        }
    }
    None
}

/// Split one comparator set into tokens, joining an operator written apart from its version
/// (`>= 1.2.3`, `^ 1.2`).
fn tokens(set: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending_op = false;
    for word in set.split_ascii_whitespace() {
        if pending_op {
            if let Some(last) = out.last_mut() {
                last.push_str(word);
            }
        } else {
            out.push(word.to_string());
        }
        pending_op = matches!(word, "<" | "<=" | ">" | ">=" | "=" | "~" | "~>" | "^");
    }
    out
}

impl NpmRange {
    /// Parse a node-semver range expression.
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        let err = |reason: &str| VersionError::InvalidRange {
            range: s.chars().take(200).collect(),
            reason: reason.to_string(),
        };
        let mut sets = Vec::new();
        for set in s.split("||") {
            let words = tokens(set);
            let mut comparators = Vec::new();
            if words.len() == 3 && words[1] == "-" {
                let from = parse_partial(&words[0])
                    .ok_or_else(|| err(&format!("bad version `{}`", words[0])))?;
                let to = parse_partial(&words[2])
                    .ok_or_else(|| err(&format!("bad version `{}`", words[2])))?;
                hyphen(from, to, &mut comparators).ok_or_else(|| err("number out of range"))?;
            } else if words.is_empty() {
                comparators.push(Comparator::Any);
            } else {
                for w in &words {
                    parse_comparator(w, &mut comparators)
                        .ok_or_else(|| err(&format!("bad comparator `{w}`")))?;
                }
            }
            sets.push(comparators);
        }
        Ok(NpmRange {
            raw: s.to_string(),
            sets,
        })
    }

    /// The range as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// node-semver's `satisfies(version, range)` with default options.
    pub fn satisfies(&self, v: &SemverVersion) -> bool {
        self.satisfies_with(v, false)
    }

    /// `satisfies` with node-semver's `includePrerelease` option.
    pub fn satisfies_with(&self, v: &SemverVersion, include_prerelease: bool) -> bool {
        self.sets.iter().any(|set| {
            if !set.iter().all(|c| c.test(v)) {
                return false;
            }
            if !v.is_prerelease() || include_prerelease {
                return true;
            }
            set.iter().any(|c| match c {
                Comparator::Cmp(_, b) => {
                    b.is_prerelease()
                        && (b.major(), b.minor(), b.patch()) == (v.major(), v.minor(), v.patch())
                }
                Comparator::Any => false,
            })
        })
    }

    /// Parse `version` as semver and test it.
    pub fn satisfies_str(&self, version: &str) -> Result<bool, VersionError> {
        Ok(self.satisfies(&SemverVersion::parse(version)?))
    }
}

impl fmt::Display for NpmRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// The Node.js security-wg rule: affected when the version satisfies `vulnerable` and does not
/// satisfy `patched` (when given). Pre-releases are included, since a vulnerable pre-release is
/// still vulnerable.
pub fn nodejs_affected(
    version: &str,
    vulnerable: &str,
    patched: Option<&str>,
) -> Result<bool, VersionError> {
    let v = SemverVersion::parse(version)?;
    if !NpmRange::parse(vulnerable)?.satisfies_with(&v, true) {
        return Ok(false);
    }
    match patched.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Ok(!NpmRange::parse(p)?.satisfies_with(&v, true)),
        None => Ok(true),
    }
}

/// A Cargo version requirement (RustSec's `patched` / `unaffected`) in node-semver syntax:
/// Cargo separates comparators with commas and reads a bare version as a caret requirement
/// (`0.54.2` means `^0.54.2`, i.e. `>=0.54.2 <0.55.0`), where node-semver reads it as exact.
/// Everything else (`^`, `~`, `=`, `<`, `<=`, `>`, `>=`, `*` wildcards) means the same in both.
pub fn cargo_requirement(req: &str) -> String {
    let comparators: Vec<String> = req
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            if c.starts_with(|ch: char| ch.is_ascii_digit()) {
                format!("^{c}")
            } else {
                c.to_string()
            }
        })
        .collect();
    if comparators.is_empty() {
        "*".to_string()
    } else {
        comparators.join(" ")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sat(range: &str, v: &str) -> bool {
        NpmRange::parse(range).unwrap().satisfies_str(v).unwrap()
    }

    #[test]
    fn node_semver_cases() {
        let yes = [
            (">=1.2.3 <2.0.0 || 3.x", "1.5.0"),
            (">=1.2.3 <2.0.0 || 3.x", "3.9.9"),
            ("^1.2.3", "1.9.0"),
            ("^0.2.3", "0.2.9"),
            ("^0.0.3", "0.0.3"),
            ("^1.2", "1.2.0"),
            ("^1", "1.99.0"),
            ("~1.2.3", "1.2.9"),
            ("~1.2", "1.2.0"),
            ("~1", "1.9.0"),
            ("*", "5.0.0"),
            ("", "5.0.0"),
            ("1.x", "1.3.0"),
            ("1.2.*", "1.2.7"),
            ("1.2.3 - 2.3.4", "2.3.4"),
            ("1.2 - 2.3", "2.3.9"),
            (">= 1.0.0", "1.0.0"),
            ("<=v2.0.0-alpha7", "2.0.0-alpha7"),
            (">1.2", "1.3.0"),
            ("<=1.2", "1.2.9"),
            ("=1.2.3", "1.2.3+build"),
            ("^1.2.3-beta.2", "1.2.3-beta.4"),
            ("2.1.0-M1 || 2.1.0-M2", "2.1.0-M2"),
            ("~0.8.0-pre", "0.8.0-pre"),
        ];
        for (r, v) in yes {
            assert!(sat(r, v), "{v} should satisfy {r}");
        }
        let no = [
            (">=1.2.3 <2.0.0 || 3.x", "2.5.0"),
            ("^1.2.3", "2.0.0"),
            ("^1.2.3", "2.0.0-0"),
            ("^0.2.3", "0.3.0"),
            ("^0.0.3", "0.0.4"),
            ("~1.2.3", "1.3.0"),
            ("1.2.3 - 2.3.4", "2.3.5"),
            ("1.2 - 2.3", "2.4.0"),
            (">1.2", "1.2.9"),
            ("<=1.2", "1.3.0"),
            ("<1.2.3", "1.2.3-beta"),
            ("^1.2.3-beta.2", "1.2.4-beta.1"),
            ("<0.0.0", "0.0.0"),
            ("<*", "1.0.0"),
        ];
        for (r, v) in no {
            assert!(!sat(r, v), "{v} should not satisfy {r}");
        }
        assert!(NpmRange::parse("<1.2.3")
            .unwrap()
            .satisfies_with(&SemverVersion::parse("1.2.3-beta").unwrap(), true));
    }

    #[test]
    fn bad_ranges_are_errors() {
        for bad in [
            ">=a",
            "1.2.3.4",
            "^x.1-",
            ">=1.2.3 - 2",
            "99999999999999999999",
        ] {
            assert!(NpmRange::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn nodejs_security_wg_pairs() {
        let vulnerable = "8.x || 7.x || 4.x || 6.x || 5.x";
        let patched = "^8.1.4 || ^7.10.1 || ^4.8.4 || ^6.11.1";
        assert!(nodejs_affected("8.1.3", vulnerable, Some(patched)).unwrap());
        assert!(!nodejs_affected("8.1.4", vulnerable, Some(patched)).unwrap());
        assert!(nodejs_affected("5.12.0", vulnerable, Some(patched)).unwrap());
        assert!(!nodejs_affected("9.0.0", vulnerable, Some(patched)).unwrap());
        assert!(nodejs_affected("10.1.0", " 10.x", Some(">= 10.9.0")).unwrap());
        assert!(!nodejs_affected("10.9.0", " 10.x", Some(">= 10.9.0")).unwrap());
        assert!(nodejs_affected(
            "2.0.0-rc2",
            ">=2.0.0-alpha8 <=2.0.0-rc2 || >=2.0.0 <=2.13.0",
            None
        )
        .unwrap());
    }

    #[test]
    fn cargo_requirements_read_a_bare_version_as_caret() {
        let cargo = |req: &str, v: &str| sat(&cargo_requirement(req), v);
        // RUSTSEC-2023-0125 (aws-sigv4): `0.54.2` patches the whole 0.54 line from .2 on.
        assert!(cargo("0.54.2", "0.54.2"));
        assert!(cargo("0.54.2", "0.54.3"));
        assert!(!cargo("0.54.2", "0.54.1"));
        assert!(!cargo("0.54.2", "0.55.0"));
        assert!(cargo(">= 0.26.1", "0.30.0"));
        assert!(cargo(">= 1.2, < 1.5", "1.4.9"));
        assert!(!cargo(">= 1.2, < 1.5", "1.5.0"));
        assert!(cargo("=1.2.3", "1.2.3"));
        assert!(!cargo("=1.2.3", "1.2.4"));
        assert!(cargo("< 0.12.0", "0.11.9"));
        assert!(cargo("1.*", "1.7.0"));
        assert_eq!(cargo_requirement(""), "*");
    }
}
