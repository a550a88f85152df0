//! Property tests: arbitrary bytes into every parser and sink never panic.

use proptest::prelude::*;

use onus_fs::ContentSink;

use crate::testutil::ViewBuilder;

/// Text from the alphabet the line-oriented formats use, so more branches are reached.
fn db_text() -> impl Strategy<Value = String> {
    "[PVAoLFRcSt:\\-_./ a-z0-9()\n\r\t]{0,600}"
}

fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8)]) -> Vec<u8> {
    let len = bytes.len();
    for (at, value) in edits {
        if len > 0 {
            bytes[at % len] = *value;
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn line_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), text in db_text()) {
        for input in [bytes.as_slice(), text.as_bytes()] {
            let (records, errors) = crate::parse_apk_installed(input);
            prop_assert!(errors.len() <= crate::text::MAX_ERRORS + 1);
            prop_assert!(records.iter().all(|r| !r.name.is_empty() && !r.version.is_empty()));
            let (records, errors) = crate::parse_dpkg_status(input);
            prop_assert!(errors.len() <= crate::text::MAX_ERRORS + 1);
            prop_assert!(records.iter().all(|r| !r.package.is_empty() && !r.version.is_empty()));
            let _ = crate::parse_python_metadata(input);
            let _ = crate::parse_package_json(input);
            let _ = crate::parse_os_release(input);
            let _ = crate::parse_go_modinfo(&String::from_utf8_lossy(input), &String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn go_parsers_and_sink_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..12),
        chunk in 1usize..700,
        cap in 0usize..8192,
    ) {
        let inline = mutate(crate::golang::tests::inline_binary(32, "go1.22.1", crate::golang::tests::MODINFO), &edits);
        let pointer = mutate(crate::golang::tests::pointer_elf("go1.16", crate::golang::tests::MODINFO), &edits);
        let mut with_magic = bytes.clone();
        with_magic.splice(0..0, crate::golang::MAGIC.iter().copied());
        for input in [&bytes, &inline, &pointer, &with_magic] {
            let _ = crate::parse_go_binary(input);
            let mut sink: Box<dyn ContentSink> = Box::new(crate::golang_sink::GoSink::new(cap));
            for part in input.chunks(chunk) {
                sink.write(part);
            }
            if let Some(summary) = sink.finish() {
                prop_assert!(summary.len() <= crate::golang::SUMMARY_PREFIX.len() + 64 + 6 * input.len().max(cap) + 512);
            }
            let mut summary = crate::golang::SUMMARY_PREFIX.to_vec();
            summary.extend_from_slice(input);
            let view = ViewBuilder::new().layer().exec("/bin/a", input).exec("/bin/b", &summary).build();
            let _ = crate::catalog(&view, &onus_fs::NoReporter);
        }
    }

    #[test]
    fn java_parsers_and_sink_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        chunk in 1usize..700,
    ) {
        let jar = mutate(crate::java::tests::spring_boot_jar(), &edits);
        let mut zipish = b"PK\x03\x04".to_vec();
        zipish.extend_from_slice(&bytes);
        for input in [&bytes, &jar, &zipish] {
            let _ = crate::parse_java_archive(input);
            let mut sink: Box<dyn ContentSink> = Box::new(crate::java::JavaSink::new(1 << 20, input.len() as u64));
            for part in input.chunks(chunk) {
                sink.write(part);
            }
            let _ = sink.finish();
            let mut summary = crate::java::SUMMARY_PREFIX.to_vec();
            summary.extend_from_slice(input);
            let view = ViewBuilder::new().layer().file("/a.jar", input).file("/b.jar", &summary).build();
            let _ = crate::catalog(&view, &onus_fs::NoReporter);
        }
    }

    #[test]
    fn catalog_over_arbitrary_contents_never_panics(
        contents in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..512), 9),
        text in db_text(),
    ) {
        let paths = [
            "/etc/os-release",
            "/lib/apk/db/installed",
            "/var/lib/dpkg/status",
            "/var/lib/dpkg/status.d/pkg",
            "/var/lib/dpkg/status.d/pkg.md5sums",
            "/var/lib/dpkg/info/pkg.list",
            "/usr/lib/python3/site-packages/x-1.dist-info/METADATA",
            "/app/node_modules/x/package.json",
            "/usr/lib/python3/site-packages/y.egg-info",
        ];
        let mut lower = ViewBuilder::new().layer();
        for path in &paths[1..4] {
            lower = lower.file(path, text.as_bytes());
        }
        let mut builder = lower.layer();
        for (path, bytes) in paths.iter().zip(&contents) {
            builder = builder.file(path, bytes);
        }
        let catalog = crate::catalog(&builder.build(), &onus_fs::NoReporter);
        let mut sorted = catalog.components.clone();
        sorted.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()).then_with(|| a.layer.cmp(&b.layer)));
        prop_assert_eq!(sorted, catalog.components);
    }
}
