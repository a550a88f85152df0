//! Property tests: every scheme's order is a total preorder (reflexive, antisymmetric,
//! transitive), parsed and string comparison agree, and no input makes anything panic.

#![allow(clippy::unwrap_used)]

use std::cmp::Ordering;

use onus_version::{compare, NpmRange, Range, RangeEvent, Scheme, Version};
use proptest::prelude::*;
use proptest::string::string_regex;

/// A generator of (mostly) valid versions for each scheme, dense enough to hit equal prefixes.
fn valid(scheme: Scheme) -> BoxedStrategy<String> {
    let re = match scheme {
        Scheme::Apk => {
            r"[0-9]{1,2}(\.0?[0-9]{1,2}){0,3}[a-c]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]{0,2}){0,2}(~[0-9a-f]{1,3})?(-r[0-9]{1,2})?"
        }
        Scheme::Deb => r"([0-2]:)?[0-9][0-9a-c.+~]{0,6}(-[0-9a-c.+~]{1,4})?",
        Scheme::Pep440 => {
            r"[vV]?([0-2]!)?[0-9]{1,2}(\.[0-9]{1,2}){0,3}((a|b|rc|alpha|c|pre|RC)[0-9]{0,2})?(\.post[0-9]{0,2}|-[0-9])?(\.dev[0-9]{0,2})?(\+[a-z0-9]{1,3}([._-][a-z0-9]{1,3}){0,2})?"
        }
        Scheme::Semver => {
            r"v?(0|[1-9][0-9]?)\.(0|[1-9])\.(0|[1-9])(-(0|[1-9][0-9]?|[a-zA-Z-][a-z0-9-]{0,3})(\.(0|[1-9][0-9]?|[a-z][a-z0-9-]{0,3})){0,2})?(\+[a-z0-9]{1,3})?"
        }
        Scheme::Go => {
            r"(v?(0|[1-9])\.(0|[1-9])\.(0|[1-9])(-(0|[1-9]|[a-z][a-z0-9-]{0,3}|0\.20[0-9]{12}-[0-9a-f]{12})(\.(0|[1-9]|[a-z]{1,3})){0,2})?(\+incompatible)?|go1(\.(0|[1-9][0-9]?)){0,2}((rc|beta)[1-3])?|v[0-9](\.[0-9])?)"
        }
        Scheme::Maven => {
            // Includes the odd forms on which Maven's own comparator is not transitive
            // (leading qualifiers, empty items, qualifiers after a dot mid-version).
            r"([0-9]{1,2}|[a-z]{1,2}|-)([.-]{0,2}([0-9]{1,2}|alpha|beta|milestone|rc|cr|snapshot|ga|final|release|sp|a|b|m|x|[a-z]{1,3}[0-9]?)){0,5}[.-]?"
        }
        Scheme::Generic => r"[0-9a-z]{1,3}([._-]?[0-9a-z]{1,3}){0,3}",
    };
    string_regex(re).unwrap().boxed()
}

fn cmp(scheme: Scheme, a: &str, b: &str) -> Ordering {
    compare(scheme, a, b).unwrap_or_else(|e| panic!("{e}"))
}

fn check_scheme(scheme: Scheme, a: &str, b: &str, c: &str) -> Result<(), TestCaseError> {
    for v in [a, b, c] {
        prop_assert_eq!(cmp(scheme, v, v), Ordering::Equal, "reflexive {}", v);
        let parsed = Version::parse(scheme, v).unwrap();
        prop_assert_eq!(parsed.cmp_same(&parsed).unwrap(), Ordering::Equal);
        prop_assert_eq!(parsed.as_str(), v);
    }
    let ab = cmp(scheme, a, b);
    let bc = cmp(scheme, b, c);
    let ac = cmp(scheme, a, c);
    prop_assert_eq!(ab, cmp(scheme, b, a).reverse(), "antisymmetric {} {}", a, b);
    let (pa, pb) = (
        Version::parse(scheme, a).unwrap(),
        Version::parse(scheme, b).unwrap(),
    );
    prop_assert_eq!(pa.cmp_same(&pb).unwrap(), ab, "parsed agrees {} {}", a, b);
    if ab != Ordering::Greater && bc != Ordering::Greater {
        prop_assert_ne!(ac, Ordering::Greater, "transitive {} <= {} <= {}", a, b, c);
        if ab == Ordering::Equal && bc == Ordering::Equal {
            prop_assert_eq!(ac, Ordering::Equal, "transitive equality {} {} {}", a, b, c);
        }
    }
    if ab != Ordering::Less && bc != Ordering::Less {
        prop_assert_ne!(ac, Ordering::Less, "transitive {} >= {} >= {}", a, b, c);
    }
    Ok(())
}

macro_rules! scheme_properties {
    ($name:ident, $scheme:expr) => {
        mod $name {
            use super::*;

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(400))]

                #[test]
                fn total_preorder(a in valid($scheme), b in valid($scheme), c in valid($scheme)) {
                    check_scheme($scheme, &a, &b, &c)?;
                }

                #[test]
                fn no_panic_on_arbitrary_strings(a in any::<String>(), b in "[0-9a-zA-Z.:~_+-]{0,12}") {
                    let _ = compare($scheme, &a, &b);
                    let _ = compare($scheme, &b, &a);
                    if let (Ok(x), Ok(y)) = (Version::parse($scheme, &a), Version::parse($scheme, &b)) {
                        prop_assert_eq!(x.cmp_same(&y).unwrap(), compare($scheme, &a, &b).unwrap());
                        prop_assert_eq!(x.cmp_same(&y).unwrap(), y.cmp_same(&x).unwrap().reverse());
                    }
                    let r = Range::new(vec![RangeEvent::Introduced(b.clone()), RangeEvent::Fixed(a.clone())]);
                    let _ = r.contains($scheme, &b);
                }
            }
        }
    };
}

scheme_properties!(apk, Scheme::Apk);
scheme_properties!(deb, Scheme::Deb);
scheme_properties!(pep440, Scheme::Pep440);
scheme_properties!(semver, Scheme::Semver);
scheme_properties!(go, Scheme::Go);
scheme_properties!(maven, Scheme::Maven);
scheme_properties!(generic, Scheme::Generic);

proptest! {
    #[test]
    fn npm_ranges_never_panic(r in any::<String>(), v in valid(Scheme::Semver)) {
        if let Ok(range) = NpmRange::parse(&r) {
            let _ = range.satisfies_str(&v);
        }
        let _ = onus_version::nodejs_affected(&v, &r, Some(&r));
    }

    #[test]
    fn npm_ranges_from_parts(
        op in "(<|<=|>|>=|=|~|\\^|)",
        x in valid(Scheme::Semver),
        v in valid(Scheme::Semver),
    ) {
        let range = NpmRange::parse(&format!("{op}{x}")).unwrap();
        let _ = range.satisfies_str(&v).unwrap();
    }

    #[test]
    fn range_membership_matches_interval(
        lo in valid(Scheme::Pep440), hi in valid(Scheme::Pep440), v in valid(Scheme::Pep440),
    ) {
        let r = Range::new(vec![RangeEvent::Introduced(lo.clone()), RangeEvent::Fixed(hi.clone())]);
        let inside = cmp(Scheme::Pep440, &v, &lo) != Ordering::Less && cmp(Scheme::Pep440, &v, &hi) == Ordering::Less;
        // When hi <= lo, sorted evaluation sees `fixed` first and then `introduced`.
        let expected = if cmp(Scheme::Pep440, &hi, &lo) == Ordering::Less {
            cmp(Scheme::Pep440, &v, &lo) != Ordering::Less
        } else {
            inside
        };
        prop_assert_eq!(r.contains(Scheme::Pep440, &v).unwrap(), expected);
    }
}
