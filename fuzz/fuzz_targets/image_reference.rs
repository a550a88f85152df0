//! Image references from strangers (files `onus pin` reads, command lines): parsing never
//! panics, and a parsed reference prints as one that parses back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(reference) = onus_registry::Reference::parse(text) {
        let printed = reference.to_string();
        let again = onus_registry::Reference::parse(&printed).expect("a printed reference parses");
        assert_eq!(again, reference, "{text:?} -> {printed:?}");
    }
});
