//! Fuzz the language package manifest parsers (Composer's `installed.json`, Ruby gemspecs,
//! .NET `deps.json`, Debian copyright files, cargo-auditable graphs): any bytes give packages or a reason, never a panic, and every package
//! they return has a name and a version.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((packages, _)) = onus_catalog::parse_composer_installed(data) {
        assert!(packages
            .iter()
            .all(|p| p.name.contains('/') && !p.version.is_empty()));
    }
    if let Ok(spec) = onus_catalog::parse_gemspec(data) {
        assert!(!spec.name.is_empty() && !spec.version.is_empty());
    }
    let _ = onus_catalog::parse_copyright_license(data);
    if let Ok(crates) = onus_catalog::parse_cargo_auditable(data) {
        assert!(crates.iter().all(|c| !c.name.is_empty() && !c.version.is_empty()));
    }
    let path = "/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.1/Microsoft.NETCore.App.deps.json";
    if let Ok((libraries, _)) = onus_catalog::parse_deps_json(path, data) {
        assert!(libraries
            .iter()
            .all(|l| !l.name.is_empty() && !l.version.is_empty()));
    }
});
