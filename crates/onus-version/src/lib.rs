//! Version parsing and ordering per scheme (apk, deb, PEP 440, semver, Go, Maven, generic) and
//! OSV-style affected ranges.
//!
//! Two ways in:
//! - [`compare`] compares two version strings of one [`Scheme`]. apk, deb, PEP 440, semver, Go
//!   and generic comparisons do not allocate; Maven builds a small item tree.
//! - [`Version::parse`] parses once; [`Version::cmp_same`] then compares without re-parsing or
//!   allocating. Use it (and [`Range::compile`]) when one version meets many bounds.
//!
//! Every entry point returns [`VersionError`] for a string that is not a version of the scheme;
//! nothing panics on any input.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

pub mod apk;
pub mod deb;
pub mod generic;
pub mod maven;
pub mod npm;
mod num;
pub mod pep440;
mod range;
pub mod semver;
#[cfg(test)]
mod test_support;

pub use npm::{cargo_requirement, nodejs_affected, NpmRange};
pub use range::{CompiledRange, Range, RangeEvent};

/// A version ordering scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Alpine / Wolfi / Chainguard packages, ordered as apk-tools orders them.
    Apk,
    /// Debian / Ubuntu packages, ordered as dpkg orders them.
    Deb,
    /// Python packages (PEP 440).
    Pep440,
    /// Semantic versioning 2.0 as npm and Cargo use it (build metadata ignored).
    Semver,
    /// Go modules and the Go toolchain (`v` prefix optional, `go1.21rc1` accepted).
    Go,
    /// Maven `ComparableVersion` rules.
    Maven,
    /// Fallback for unknown ecosystems: dotted numeric comparison.
    Generic,
}

impl Scheme {
    /// Every scheme, in declaration order.
    pub const ALL: [Scheme; 7] = [
        Scheme::Apk,
        Scheme::Deb,
        Scheme::Pep440,
        Scheme::Semver,
        Scheme::Go,
        Scheme::Maven,
        Scheme::Generic,
    ];

    /// The scheme for an ecosystem name: purl types (`apk`, `deb`, `pypi`, `npm`, `golang`,
    /// `maven`, `cargo`) and OSV ecosystem names (`PyPI`, `Go`, `npm`, `Maven`, `crates.io`,
    /// `Wolfi`, `Alpine:v3.18`, `Debian:12`, `Ubuntu:22.04:LTS`, …). Case-insensitive; anything
    /// after the first `:` is ignored. Unknown names get [`Scheme::Generic`].
    pub fn for_ecosystem(ecosystem: &str) -> Scheme {
        let base = ecosystem.split(':').next().unwrap_or("").trim();
        let is = |name: &str| base.eq_ignore_ascii_case(name);
        if [
            "apk",
            "alpine",
            "wolfi",
            "chainguard",
            "alpaquita",
            "bellsoft hardened containers",
        ]
        .iter()
        .any(|n| is(n))
        {
            Scheme::Apk
        } else if ["deb", "debian", "ubuntu", "dpkg"].iter().any(|n| is(n)) {
            Scheme::Deb
        } else if ["pypi", "python", "pep440"].iter().any(|n| is(n)) {
            Scheme::Pep440
        } else if ["npm", "cargo", "crates.io", "semver", "hex", "pub"]
            .iter()
            .any(|n| is(n))
        {
            Scheme::Semver
        } else if ["go", "golang"].iter().any(|n| is(n)) {
            Scheme::Go
        } else if is("maven") {
            Scheme::Maven
        } else {
            Scheme::Generic
        }
    }

    /// The scheme's short name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Apk => "apk",
            Scheme::Deb => "deb",
            Scheme::Pep440 => "pep440",
            Scheme::Semver => "semver",
            Scheme::Go => "go",
            Scheme::Maven => "maven",
            Scheme::Generic => "generic",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a version or range could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The string is not a valid version of the scheme.
    #[error("parse {scheme} version `{version}`: {reason}")]
    Invalid {
        scheme: Scheme,
        version: String,
        reason: &'static str,
    },
    /// Two parsed versions of different schemes were compared.
    #[error("compare versions of different schemes `{a}` and `{b}`")]
    SchemeMismatch { a: Scheme, b: Scheme },
    /// An npm / node-semver range expression could not be parsed.
    #[error("parse npm range `{range}`: {reason}")]
    InvalidRange { range: String, reason: String },
}

impl VersionError {
    pub(crate) fn invalid(scheme: Scheme, version: &str, reason: &'static str) -> Self {
        // Keep error values small even for hostile multi-megabyte inputs.
        let mut shown: String = version.chars().take(200).collect();
        if shown.len() < version.len() {
            shown.push('…');
        }
        VersionError::Invalid {
            scheme,
            version: shown,
            reason,
        }
    }
}

/// A version parsed once under one scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    Apk(apk::ApkVersion),
    Deb(deb::DebVersion),
    Pep440(pep440::Pep440Version),
    Semver(semver::SemverVersion),
    Go(semver::SemverVersion),
    Maven(maven::MavenVersion),
    Generic(generic::GenericVersion),
}

impl Version {
    /// Parse `s` under `scheme`.
    pub fn parse(scheme: Scheme, s: &str) -> Result<Version, VersionError> {
        Ok(match scheme {
            Scheme::Apk => Version::Apk(apk::ApkVersion::parse(s)?),
            Scheme::Deb => Version::Deb(deb::DebVersion::parse(s)?),
            Scheme::Pep440 => Version::Pep440(pep440::Pep440Version::parse(s)?),
            Scheme::Semver => Version::Semver(semver::SemverVersion::parse(s)?),
            Scheme::Go => Version::Go(semver::SemverVersion::parse_go(s)?),
            Scheme::Maven => Version::Maven(maven::MavenVersion::parse(s)?),
            Scheme::Generic => Version::Generic(generic::GenericVersion::parse(s)?),
        })
    }

    /// The scheme it was parsed under.
    pub fn scheme(&self) -> Scheme {
        match self {
            Version::Apk(_) => Scheme::Apk,
            Version::Deb(_) => Scheme::Deb,
            Version::Pep440(_) => Scheme::Pep440,
            Version::Semver(_) => Scheme::Semver,
            Version::Go(_) => Scheme::Go,
            Version::Maven(_) => Scheme::Maven,
            Version::Generic(_) => Scheme::Generic,
        }
    }

    /// The string as given.
    pub fn as_str(&self) -> &str {
        match self {
            Version::Apk(v) => v.as_str(),
            Version::Deb(v) => v.as_str(),
            Version::Pep440(v) => v.as_str(),
            Version::Semver(v) | Version::Go(v) => v.as_str(),
            Version::Maven(v) => v.as_str(),
            Version::Generic(v) => v.as_str(),
        }
    }

    /// Compare with another version of the same scheme (no allocation).
    pub fn cmp_same(&self, other: &Version) -> Result<Ordering, VersionError> {
        Ok(match (self, other) {
            (Version::Apk(a), Version::Apk(b)) => a.cmp(b),
            (Version::Deb(a), Version::Deb(b)) => a.cmp(b),
            (Version::Pep440(a), Version::Pep440(b)) => a.cmp(b),
            (Version::Semver(a), Version::Semver(b)) | (Version::Go(a), Version::Go(b)) => a.cmp(b),
            (Version::Maven(a), Version::Maven(b)) => a.cmp(b),
            (Version::Generic(a), Version::Generic(b)) => a.cmp(b),
            _ => {
                return Err(VersionError::SchemeMismatch {
                    a: self.scheme(),
                    b: other.scheme(),
                })
            }
        })
    }
}

impl PartialOrd for Version {
    /// `None` when the schemes differ.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.cmp_same(other).ok()
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Check that `s` is a valid version of `scheme`.
pub fn validate(scheme: Scheme, s: &str) -> Result<(), VersionError> {
    match scheme {
        Scheme::Apk => apk::validate(s),
        Scheme::Deb => deb::DebVersion::parse(s).map(|_| ()),
        Scheme::Pep440 => pep440::Pep440Version::parse(s).map(|_| ()),
        Scheme::Semver => semver::SemverVersion::parse(s).map(|_| ()),
        Scheme::Go => semver::SemverVersion::parse_go(s).map(|_| ()),
        Scheme::Maven => maven::MavenVersion::parse(s).map(|_| ()),
        Scheme::Generic => generic::GenericVersion::parse(s).map(|_| ()),
    }
}

/// Compare two version strings under `scheme`.
///
/// Errors name the first string that is not a valid version of the scheme.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    match scheme {
        Scheme::Apk => apk::compare(a, b),
        Scheme::Deb => deb::compare(a, b),
        Scheme::Pep440 => pep440::compare(a, b),
        Scheme::Semver => semver::compare(a, b),
        Scheme::Go => semver::compare_go(a, b),
        Scheme::Maven => maven::compare(a, b),
        Scheme::Generic => generic::compare(a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystems_map_to_schemes() {
        let cases = [
            ("apk", Scheme::Apk),
            ("Wolfi", Scheme::Apk),
            ("Alpine", Scheme::Apk),
            ("Alpine:v3.18", Scheme::Apk),
            ("Chainguard", Scheme::Apk),
            ("deb", Scheme::Deb),
            ("Debian:12", Scheme::Deb),
            ("Ubuntu:22.04:LTS", Scheme::Deb),
            ("pypi", Scheme::Pep440),
            ("PyPI", Scheme::Pep440),
            ("npm", Scheme::Semver),
            ("cargo", Scheme::Semver),
            ("crates.io", Scheme::Semver),
            ("golang", Scheme::Go),
            ("Go", Scheme::Go),
            ("maven", Scheme::Maven),
            ("Maven", Scheme::Maven),
            ("RubyGems", Scheme::Generic),
            ("", Scheme::Generic),
        ];
        for (name, scheme) in cases {
            assert_eq!(Scheme::for_ecosystem(name), scheme, "{name}");
        }
    }

    #[test]
    fn mismatched_schemes_are_an_error() {
        let a = Version::parse(Scheme::Apk, "1.0-r0");
        let b = Version::parse(Scheme::Deb, "1.0-1");
        match (a, b) {
            (Ok(a), Ok(b)) => {
                assert!(matches!(
                    a.cmp_same(&b),
                    Err(VersionError::SchemeMismatch { .. })
                ));
                assert_eq!(a.partial_cmp(&b), None);
            }
            other => panic!("parse failed: {other:?}"),
        }
    }

    #[test]
    fn error_message_names_scheme_and_version() {
        let err = compare(Scheme::Apk, "1.0", "not-a-version");
        let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.starts_with("parse apk version `not-a-version`"),
            "{msg}"
        );
    }
}
