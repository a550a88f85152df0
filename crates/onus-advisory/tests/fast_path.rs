//! The fast reader must never change a result: on mutated documents, `parse_document` (fast
//! path with fallback) and the serde-only reference either both fail or give equal documents.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

mod common;

/// The documents mutated: the schema fixtures (read in place) and a hand-written one.
fn bases() -> Vec<String> {
    let mut bases: Vec<String> = ["full.advisories.yaml", "future.advisories.yaml"]
        .into_iter()
        .filter_map(common::schema_fixture)
        .collect();
    bases.push(HAND_WRITTEN.to_string());
    bases
}

const HAND_WRITTEN: &str = "schema-version: 2.0.2\npackage:\n  name: foo\nadvisories:\n  - id: CGA-2222-3333-4444\n    aliases: [CVE-2024-0001, GHSA-2222-3333-4444]\n    events:\n      - timestamp: 2024-01-01T00:00:00Z\n        type: pending-upstream-fix\n        data:\n          note: |-\n            Line one: with a colon.\n\n            Line 'two'.\n      - timestamp: 2024-01-02T00:00:00Z\n        type: false-positive-determination\n        data:\n          type: component-vulnerability-mismatch\n          note: 'It''s \"quoted\": fine'\n      - timestamp: 2024-01-03T00:00:00Z\n        type: fixed\n        data:\n          fixed-version: \"1.2.3-r1\"\n";

const SNIPPETS: [&str; 24] = [
    " ",
    "  ",
    "\n",
    "- ",
    ": ",
    ":",
    "'",
    "\"",
    "#",
    " #x",
    "|",
    "|-",
    "|+",
    ">",
    "[",
    "]",
    "{",
    "~",
    "0x1F",
    "true",
    "1.5",
    "\t",
    "&a ",
    "\n  x: y\n",
];

fn mutate(base: &str, edits: &[(usize, usize, usize)]) -> String {
    let mut text = base.to_string();
    for &(kind, pos, arg) in edits {
        let mut at = pos % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        match kind % 3 {
            0 => text.insert_str(at, SNIPPETS[arg % SNIPPETS.len()]),
            1 => {
                let mut end = (at + arg % 12).min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text.replace_range(at..end, "");
            }
            _ => {
                // Duplicate the line the position falls in (duplicate keys, repeated items).
                let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
                let line = format!("{}\n", &text[start..end]);
                text.insert_str(start, &line);
            }
        }
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, .. ProptestConfig::default() })]

    #[test]
    fn fast_path_never_changes_the_result(
        base in 0usize..3,
        edits in proptest::collection::vec((0usize..3, 0usize..4000, 0usize..64), 1..4),
    ) {
        let bases = bases();
        let text = mutate(&bases[base % bases.len()], &edits);
        let fast = onus_advisory::parse_document(text.as_bytes(), "x.advisories.yaml");
        let slow = onus_advisory::__parse_document_reference(text.as_bytes(), "x.advisories.yaml");
        match (fast, slow) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "documents differ for:\n{}", text),
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "one path failed: fast {:?} / reference {:?} for:\n{}", a.is_ok(), b.is_ok(), text),
        }
    }
}
