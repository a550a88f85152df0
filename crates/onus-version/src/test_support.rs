//! Test helpers shared by the per-scheme ladder tests.

use std::cmp::Ordering;

use crate::{compare, Scheme, Version};

/// Every pair of a strictly increasing list compares as its indices do, both as strings and as
/// parsed versions.
pub(crate) fn assert_ladder(scheme: Scheme, ladder: &[&str]) {
    let parsed: Vec<Version> = ladder
        .iter()
        .map(|s| Version::parse(scheme, s).unwrap_or_else(|e| panic!("{scheme}: {e}")))
        .collect();
    for (i, a) in ladder.iter().enumerate() {
        for (j, b) in ladder.iter().enumerate() {
            let got = compare(scheme, a, b).unwrap_or_else(|e| panic!("{scheme}: {e}"));
            assert_eq!(got, i.cmp(&j), "{scheme}: compare({a:?}, {b:?})");
            let got = parsed[i]
                .cmp_same(&parsed[j])
                .unwrap_or_else(|e| panic!("{scheme}: {e}"));
            assert_eq!(got, i.cmp(&j), "{scheme}: parsed compare({a:?}, {b:?})");
        }
    }
}

/// Two spellings of one version compare Equal both ways.
pub(crate) fn assert_same(scheme: Scheme, a: &str, b: &str) {
    assert_eq!(
        compare(scheme, a, b).ok(),
        Some(Ordering::Equal),
        "{scheme}: {a:?} == {b:?}"
    );
    assert_eq!(
        compare(scheme, b, a).ok(),
        Some(Ordering::Equal),
        "{scheme}: {b:?} == {a:?}"
    );
}
