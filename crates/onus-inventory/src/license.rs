//! Licence names as packages write them, turned into SPDX ids where the mapping is certain:
//! SPDX ids in any case, common spellings (`MIT License`, `Apache 2.0`), Python trove
//! classifiers and the licence URLs Maven and OSGi manifests name. Expressions keep their
//! structure with `AND`/`OR`/`WITH` upper-cased. Anything not recognised is kept as written
//! (trimmed), never guessed.

/// SPDX ids onus recognises, in their canonical case.
const SPDX_IDS: &[&str] = &[
    "0BSD",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.1",
    "Apache-2.0",
    "Artistic-1.0",
    "Artistic-2.0",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSL-1.0",
    "CC-BY-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "CDDL-1.1",
    "EPL-1.0",
    "EPL-2.0",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "ISC",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "MIT",
    "MIT-0",
    "MPL-1.1",
    "MPL-2.0",
    "OpenSSL",
    "PSF-2.0",
    "Python-2.0",
    "Ruby",
    "Unlicense",
    "Zlib",
    "curl",
];

/// Other spellings with one meaning (lower-case keys).
const ALIASES: &[(&str, &str)] = &[
    ("mit license", "MIT"),
    ("the mit license", "MIT"),
    ("mit/x11", "MIT"),
    ("expat", "MIT"),
    ("apache 2.0", "Apache-2.0"),
    ("apache 2", "Apache-2.0"),
    ("apache-2", "Apache-2.0"),
    ("apache license 2.0", "Apache-2.0"),
    ("apache license, version 2.0", "Apache-2.0"),
    ("the apache license, version 2.0", "Apache-2.0"),
    ("the apache software license, version 2.0", "Apache-2.0"),
    ("asl 2.0", "Apache-2.0"),
    ("bsd-2", "BSD-2-Clause"),
    ("bsd-3", "BSD-3-Clause"),
    ("new bsd license", "BSD-3-Clause"),
    ("simplified bsd license", "BSD-2-Clause"),
    ("isc license", "ISC"),
    ("mozilla public license 2.0", "MPL-2.0"),
    ("mpl 2.0", "MPL-2.0"),
    ("gplv2", "GPL-2.0-only"),
    ("gplv2+", "GPL-2.0-or-later"),
    ("gplv3", "GPL-3.0-only"),
    ("gplv3+", "GPL-3.0-or-later"),
    ("lgplv2+", "LGPL-2.0-or-later"),
    ("lgplv3", "LGPL-3.0-only"),
    ("gpl-2.0", "GPL-2.0-only"),
    ("gpl-2.0+", "GPL-2.0-or-later"),
    ("gpl-3.0", "GPL-3.0-only"),
    ("gpl-3.0+", "GPL-3.0-or-later"),
    ("lgpl-2.1", "LGPL-2.1-only"),
    ("lgpl-2.1+", "LGPL-2.1-or-later"),
    ("lgpl-3.0", "LGPL-3.0-only"),
    ("eclipse public license 2.0", "EPL-2.0"),
    ("eclipse public license - v 2.0", "EPL-2.0"),
    ("public domain", "LicenseRef-public-domain"),
    ("psf", "PSF-2.0"),
    ("python software foundation license", "PSF-2.0"),
    // Debian's short names (copyright-format 1.0).
    ("gpl-2", "GPL-2.0-only"),
    ("gpl-2+", "GPL-2.0-or-later"),
    ("gpl-3", "GPL-3.0-only"),
    ("gpl-3+", "GPL-3.0-or-later"),
    ("lgpl-2", "LGPL-2.0-only"),
    ("lgpl-2+", "LGPL-2.0-or-later"),
    ("lgpl-3", "LGPL-3.0-only"),
    ("lgpl-3+", "LGPL-3.0-or-later"),
    ("agpl-3+", "AGPL-3.0-or-later"),
    ("public-domain", "LicenseRef-public-domain"),
    // Licence URLs (Maven `<url>`, OSGi `Bundle-License`).
    ("https://www.apache.org/licenses/license-2.0", "Apache-2.0"),
    (
        "https://www.apache.org/licenses/license-2.0.txt",
        "Apache-2.0",
    ),
    ("http://www.apache.org/licenses/license-2.0", "Apache-2.0"),
    (
        "http://www.apache.org/licenses/license-2.0.txt",
        "Apache-2.0",
    ),
    ("https://opensource.org/licenses/mit", "MIT"),
    ("http://opensource.org/licenses/mit", "MIT"),
    ("http://www.opensource.org/licenses/mit-license.php", "MIT"),
    ("https://www.eclipse.org/legal/epl-2.0", "EPL-2.0"),
    ("https://www.eclipse.org/legal/epl-v20.html", "EPL-2.0"),
    ("http://www.eclipse.org/legal/epl-v10.html", "EPL-1.0"),
    ("https://www.mozilla.org/en-us/mpl/2.0/", "MPL-2.0"),
];

/// Python trove classifiers (`License :: OSI Approved :: …`), by their last part.
const CLASSIFIERS: &[(&str, &str)] = &[
    ("mit license", "MIT"),
    ("isc license (iscl)", "ISC"),
    ("mozilla public license 2.0 (mpl 2.0)", "MPL-2.0"),
    ("gnu general public license v2 (gplv2)", "GPL-2.0-only"),
    (
        "gnu general public license v2 or later (gplv2+)",
        "GPL-2.0-or-later",
    ),
    ("gnu general public license v3 (gplv3)", "GPL-3.0-only"),
    (
        "gnu general public license v3 or later (gplv3+)",
        "GPL-3.0-or-later",
    ),
    (
        "gnu lesser general public license v2 or later (lgplv2+)",
        "LGPL-2.0-or-later",
    ),
    (
        "gnu lesser general public license v3 (lgplv3)",
        "LGPL-3.0-only",
    ),
    (
        "gnu lesser general public license v3 or later (lgplv3+)",
        "LGPL-3.0-or-later",
    ),
    ("python software foundation license", "PSF-2.0"),
    ("the unlicense (unlicense)", "Unlicense"),
    ("zope public license", "ZPL-2.1"),
];

/// One licence term: an SPDX id, a known spelling or URL, or `None`.
fn term(text: &str) -> Option<&'static str> {
    let t = text.trim().trim_end_matches('/');
    if let Some(id) = SPDX_IDS.iter().find(|id| id.eq_ignore_ascii_case(t)) {
        return Some(id);
    }
    let lower = t.to_ascii_lowercase();
    ALIASES
        .iter()
        .find(|(k, _)| k.trim_end_matches('/') == lower)
        .map(|(_, id)| *id)
}

/// A licence as written, normalised: an SPDX id or expression where every part is known, the
/// trimmed text otherwise; `None` for empty text, `UNKNOWN` and `NOASSERTION`.
pub fn normalize_license(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty()
        || text.eq_ignore_ascii_case("unknown")
        || text.eq_ignore_ascii_case("noassertion")
    {
        return None;
    }
    if let Some(id) = term(text) {
        return Some(id.to_string());
    }
    // An expression: ids joined by operators, with parentheses.
    let spaced = text.replace('(', " ( ").replace(')', " ) ");
    let mut out = Vec::new();
    for token in spaced.split_whitespace() {
        let upper = token.to_ascii_uppercase();
        if matches!(upper.as_str(), "AND" | "OR" | "WITH") {
            out.push(upper);
        } else if token == "(" || token == ")" {
            out.push(token.to_string());
        } else if let Some(id) = term(token) {
            out.push(id.to_string());
        } else if token.starts_with("LicenseRef-") || token.ends_with("-exception") {
            out.push(token.to_string());
        } else {
            return Some(text.to_string());
        }
    }
    Some(out.join(" ").replace("( ", "(").replace(" )", ")"))
}

/// The licence a Python trove classifier names (`License :: OSI Approved :: MIT License` is
/// `MIT`): its SPDX id where the classifier names one version of one licence, else its last
/// part as written (`BSD License`, `Apache Software License` name no version).
pub fn license_from_classifier(classifier: &str) -> Option<String> {
    let mut parts = classifier.split("::").map(str::trim);
    if parts.next() != Some("License") {
        return None;
    }
    let last = parts.last().filter(|l| !l.is_empty())?;
    let lower = last.to_ascii_lowercase();
    Some(
        CLASSIFIERS
            .iter()
            .find(|(k, _)| *k == lower)
            .map_or_else(|| last.to_string(), |(_, id)| (*id).to_string()),
    )
}

/// Several licences offered as a choice (`licenses` arrays, several classifiers): normalised,
/// deduplicated and joined with `OR`, in the order given.
pub fn license_choice<'a>(texts: impl IntoIterator<Item = &'a str>) -> Option<String> {
    join(texts, "OR")
}

/// Several licences that all apply (a Debian copyright file's `Files:` paragraphs): normalised,
/// deduplicated and joined with `AND`, in the order given.
pub fn license_all<'a>(texts: impl IntoIterator<Item = &'a str>) -> Option<String> {
    join(texts, "AND")
}

/// At most this many licences are joined into one expression.
const MAX_JOINED: usize = 32;

fn join<'a>(texts: impl IntoIterator<Item = &'a str>, operator: &str) -> Option<String> {
    let mut seen: Vec<String> = Vec::new();
    for text in texts {
        if let Some(l) = normalize_license(text) {
            if !seen.contains(&l) && seen.len() < MAX_JOINED {
                seen.push(l);
            }
        }
    }
    match seen.len() {
        0 => None,
        1 => seen.pop(),
        _ => Some(
            seen.iter()
                .map(|l| {
                    if [" AND ", " OR ", " WITH "].iter().any(|op| l.contains(op)) {
                        format!("({l})")
                    } else {
                        l.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(&format!(" {operator} ")),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_spellings_and_expressions() {
        assert_eq!(normalize_license("mit").as_deref(), Some("MIT"));
        assert_eq!(normalize_license(" MIT License ").as_deref(), Some("MIT"));
        assert_eq!(
            normalize_license("Apache 2.0").as_deref(),
            Some("Apache-2.0")
        );
        assert_eq!(
            normalize_license("https://www.apache.org/licenses/LICENSE-2.0.txt").as_deref(),
            Some("Apache-2.0")
        );
        assert_eq!(
            normalize_license("mit or apache-2.0").as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(
            normalize_license("(MIT OR Apache-2.0) AND bsd-3-clause").as_deref(),
            Some("(MIT OR Apache-2.0) AND BSD-3-Clause")
        );
        assert_eq!(
            normalize_license("GPL-2.0-or-later WITH Classpath-exception").as_deref(),
            Some("GPL-2.0-or-later WITH Classpath-exception")
        );
        // Kept as written when any part is unknown; nothing for placeholders.
        assert_eq!(
            normalize_license("Dual licensed, see COPYING").as_deref(),
            Some("Dual licensed, see COPYING")
        );
        assert_eq!(normalize_license("UNKNOWN"), None);
        assert_eq!(normalize_license("  "), None);
    }

    #[test]
    fn classifiers_and_choices() {
        assert_eq!(
            license_from_classifier("License :: OSI Approved :: MIT License").as_deref(),
            Some("MIT")
        );
        assert_eq!(
            license_from_classifier("License :: OSI Approved :: Apache Software License")
                .as_deref(),
            Some("Apache Software License")
        );
        assert_eq!(
            license_from_classifier("Programming Language :: Python"),
            None
        );
        assert_eq!(
            license_choice(["MIT", "Apache 2.0", "mit"]).as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(
            license_choice(["MIT AND ISC", "Zlib"]).as_deref(),
            Some("(MIT AND ISC) OR Zlib")
        );
        assert_eq!(license_choice(["", "UNKNOWN"]), None);
        assert_eq!(
            license_all(["Zlib", "GPL-2+", "zlib"]).as_deref(),
            Some("Zlib AND GPL-2.0-or-later")
        );
    }
}
