//! Dockerfiles and YAML from strangers: finding references never panics, and every span it
//! reports lies on a character boundary of its line and holds the reference as written.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onus_pin::{find, FileKind};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lines: Vec<&str> = text.lines().collect();
    for kind in [FileKind::Dockerfile, FileKind::Yaml] {
        for found in find(kind, text) {
            if let Some((start, end)) = found.span {
                let line = lines[found.line - 1];
                assert!(start <= end && end <= line.len());
                assert!(line.is_char_boundary(start) && line.is_char_boundary(end));
            }
        }
    }
});
