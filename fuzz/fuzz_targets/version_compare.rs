//! Fuzz version parsing and ordering for every scheme, OSV ranges and npm ranges: any bytes give
//! an order or an error, never a panic; the order is reflexive and antisymmetric, and parsed and
//! string comparison agree. Input: two strings split at the first NUL byte (or the middle).
#![no_main]

use std::cmp::Ordering;

use libfuzzer_sys::fuzz_target;
use onus_version::{compare, NpmRange, Range, RangeEvent, Scheme, Version};

fuzz_target!(|data: &[u8]| {
    let (a, b) = match data.iter().position(|&c| c == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => data.split_at(data.len() / 2),
    };
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    for scheme in Scheme::ALL {
        let ab = compare(scheme, &a, &b);
        let ba = compare(scheme, &b, &a);
        if let (Ok(x), Ok(y)) = (&ab, &ba) {
            assert_eq!(*x, y.reverse(), "{scheme}: {a:?} vs {b:?}");
        }
        if let Ok(pa) = Version::parse(scheme, &a) {
            assert_eq!(pa.cmp_same(&pa).ok(), Some(Ordering::Equal));
            assert_eq!(compare(scheme, &a, &a).ok(), Some(Ordering::Equal));
            if let Ok(pb) = Version::parse(scheme, &b) {
                assert_eq!(pa.cmp_same(&pb).ok(), ab.ok());
            }
        }
        let range = Range::new(vec![RangeEvent::Introduced(a.to_string()), RangeEvent::Fixed(b.to_string())]);
        let _ = range.contains(scheme, &a);
    }
    if let Ok(range) = NpmRange::parse(&a) {
        let _ = range.satisfies_str(&b);
    }
});
