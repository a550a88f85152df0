//! Ruby gems: the `specifications/*.gemspec` files RubyGems writes for every installed gem
//! (`…/gems/<ruby>/specifications/`, default gems under `specifications/default/`, and
//! Debian's `rubygems-integration` directories). A gemspec is Ruby code; only the literal
//! assignments RubyGems itself writes are read (`s.name = "rake".freeze`, `%q{…}`), nothing is
//! evaluated.

use onus_inventory::{make_purl, Ecosystem};

use crate::{Cataloger, Ctx, Parsed};

/// What an installed gemspec says of its gem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gemspec {
    pub name: String,
    pub version: String,
    pub licenses: Vec<String>,
}

/// Read the literal `name`, `version` and `license(s)` assignments of a gemspec.
pub fn parse_gemspec(bytes: &[u8]) -> Result<Gemspec, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "gemspec is not UTF-8".to_string())?;
    let mut name = None;
    let mut version = None;
    let mut licenses = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let Some((lhs, rhs)) = line.split_once('=') else {
            continue;
        };
        // `s.name`, `spec.version`: an identifier, a dot and the attribute.
        let Some((_, attribute)) = lhs.trim().rsplit_once('.') else {
            continue;
        };
        let rhs = rhs.trim();
        match attribute.trim() {
            "name" if name.is_none() => name = ruby_string(rhs),
            "version" if version.is_none() => {
                // `Gem::Version.new("1.2.3")` as well as a plain string.
                let inner = rhs
                    .strip_prefix("Gem::Version.new(")
                    .and_then(|r| r.strip_suffix(')'))
                    .unwrap_or(rhs);
                version = ruby_string(inner);
            }
            "license" => licenses.extend(ruby_string(rhs)),
            "licenses" => licenses.extend(ruby_string_list(rhs)),
            _ => {}
        }
    }
    let name = name.ok_or("gemspec assigns no literal `name`")?;
    let version =
        version.ok_or_else(|| format!("gemspec of `{name}` assigns no literal `version`"))?;
    if !valid_name(&name) {
        return Err(format!(
            "gem name `{name}` has characters RubyGems does not allow"
        ));
    }
    if !valid_version(&version) {
        return Err(format!(
            "version `{version}` of gem `{name}` is not a gem version"
        ));
    }
    Ok(Gemspec {
        name,
        version,
        licenses,
    })
}

/// A Ruby string literal: `"x"`, `'x'`, `%q{x}`, `%Q{x}`, with an optional `.freeze`.
fn ruby_string(expr: &str) -> Option<String> {
    let expr = expr.trim().trim_end_matches(".freeze").trim();
    let body = if let Some(rest) = expr.strip_prefix('"') {
        rest.strip_suffix('"')?
    } else if let Some(rest) = expr.strip_prefix('\'') {
        rest.strip_suffix('\'')?
    } else if let Some(rest) = expr
        .strip_prefix("%q{")
        .or_else(|| expr.strip_prefix("%Q{"))
    {
        rest.strip_suffix('}')?
    } else {
        return None;
    };
    (!body.is_empty() && !body.contains(['"', '\'', '#', '\\'])).then(|| body.to_string())
}

/// `["MIT".freeze, "Ruby".freeze]`.
fn ruby_string_list(expr: &str) -> Vec<String> {
    let expr = expr.trim().trim_end_matches(".freeze").trim();
    let Some(inner) = expr.strip_prefix('[').and_then(|r| r.strip_suffix(']')) else {
        return Vec::new();
    };
    inner.split(',').filter_map(ruby_string).collect()
}

/// RubyGems' name rule: letters, digits, `.`, `-` and `_`, with at least one letter or digit.
fn valid_name(name: &str) -> bool {
    name.len() <= 256
        && name.bytes().any(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// `Gem::Version`'s pattern: digits first, then segments of letters, digits, `.` and `-`.
fn valid_version(version: &str) -> bool {
    version.len() <= 128
        && version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
}

/// `…/specifications/<name>-<version>.gemspec` and `…/specifications/default/…`.
pub(crate) fn is_installed_gemspec(path: &str) -> bool {
    let Some(dir) = path
        .strip_suffix(".gemspec")
        .and_then(|p| p.rsplit_once('/'))
        .map(|(dir, _)| dir)
    else {
        return false;
    };
    dir.ends_with("/specifications") || dir.ends_with("/specifications/default")
}

pub(crate) struct GemCataloger;

impl Cataloger for GemCataloger {
    fn name(&self) -> &'static str {
        "ruby-installed-gemspec"
    }

    fn matches(&self, path: &str, _entry: &onus_fs::FileVersion) -> bool {
        is_installed_gemspec(path)
    }

    fn parse(&self, _ctx: &Ctx<'_>, path: &str, bytes: &[u8], complete: bool) -> Parsed {
        let mut parsed = Parsed::default();
        match parse_gemspec(bytes) {
            Ok(spec) => {
                let license =
                    onus_inventory::license_choice(spec.licenses.iter().map(String::as_str));
                crate::push_package(
                    &mut parsed,
                    (&spec.name, &spec.version),
                    Ecosystem::Gem,
                    make_purl("gem", None, &spec.name, &spec.version, &[]),
                    path,
                    license.map(|l| ("license", l)),
                );
            }
            Err(reason) => parsed
                .unknowns
                .push(crate::unknown(path, crate::truncated(reason, complete))),
        }
        parsed
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_rubygems_writes() {
        // As `gem install` writes it (RubyGems 3).
        let rubygems = br#"# -*- encoding: utf-8 -*-
# stub: rake 13.0.6 ruby lib

Gem::Specification.new do |s|
  s.name = "rake".freeze
  s.version = "13.0.6"

  s.required_rubygems_version = Gem::Requirement.new(">= 1.3.2".freeze) if s.respond_to? :required_rubygems_version=
  s.licenses = ["MIT".freeze]
  s.summary = "Rake is a Make-like program implemented in Ruby".freeze
end
"#;
        let spec = parse_gemspec(rubygems).unwrap();
        assert_eq!(
            (spec.name.as_str(), spec.version.as_str(), spec.licenses),
            ("rake", "13.0.6", vec!["MIT".to_string()])
        );
        // Older and hand-written forms.
        let old = b"Gem::Specification.new do |spec|\n  spec.name = %q{json}\n  spec.version = Gem::Version.new(\"2.6.1\")\n  spec.license = 'Ruby'\nend\n";
        let spec = parse_gemspec(old).unwrap();
        assert_eq!(
            (spec.name.as_str(), spec.version.as_str()),
            ("json", "2.6.1")
        );
        assert_eq!(spec.licenses, ["Ruby"]);
        let pre = b"s.name = \"rails\"\ns.version = \"7.1.0.beta1\"\n";
        assert_eq!(parse_gemspec(pre).unwrap().version, "7.1.0.beta1");
    }

    #[test]
    fn what_is_not_a_literal_gem_is_an_error() {
        for bad in [
            b"".as_slice(),
            b"s.name = \"x\"\n",
            b"s.version = \"1.0\"\n",
            b"s.name = ENV['NAME']\ns.version = \"1.0\"\n",
            b"s.name = \"x y\"\ns.version = \"1.0\"\n",
            b"s.name = \"x\"\ns.version = \"latest\"\n",
            b"s.name = \"#{evil}\"\ns.version = \"1.0\"\n",
            b"\xff\xfe",
        ] {
            assert!(parse_gemspec(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn matches_installed_specifications_only() {
        assert!(is_installed_gemspec(
            "/usr/local/lib/ruby/gems/3.2.0/specifications/rake-13.0.6.gemspec"
        ));
        assert!(is_installed_gemspec(
            "/usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec"
        ));
        assert!(is_installed_gemspec(
            "/usr/share/rubygems-integration/all/specifications/rack-2.2.4.gemspec"
        ));
        assert!(!is_installed_gemspec("/app/myapp.gemspec"));
        assert!(!is_installed_gemspec(
            "/usr/lib/ruby/gems/3.1.0/gems/rake-13.0.6/rake.gemspec"
        ));
    }
}
