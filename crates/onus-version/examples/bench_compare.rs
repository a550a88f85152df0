//! Rough throughput of `compare` (string pairs) and `Version::cmp_same` (parsed) per scheme.
//! Run: `cargo run --release -p onus-version --example bench_compare`.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Instant;

use onus_version::{compare, Scheme, Version};

fn main() {
    let cases: [(Scheme, &[&str]); 6] = [
        (
            Scheme::Apk,
            &[
                "3.0.15-r1",
                "3.0.15_rc1-r0",
                "1.2.3_p4-r10",
                "2.36.1_git20220305-r0",
                "3.0.15-r2",
            ],
        ),
        (
            Scheme::Deb,
            &[
                "1:3.0.11-1~deb12u2",
                "3.0.11-1",
                "2.36.1-8+deb11u1",
                "1.0~rc1-1",
                "1:3.0.11-1~deb12u1",
            ],
        ),
        (
            Scheme::Pep440,
            &[
                "1.0.dev0",
                "2.31.0",
                "1.0rc1",
                "1!2.0.post1",
                "2.31.0+local.1",
            ],
        ),
        (
            Scheme::Semver,
            &[
                "1.2.3",
                "1.2.3-beta.11",
                "10.0.0-rc.1",
                "1.2.4",
                "1.2.3-beta.2",
            ],
        ),
        (
            Scheme::Go,
            &[
                "v0.0.0-20191109021931-daa7c04131f5",
                "v1.2.3",
                "v2.0.0+incompatible",
                "go1.21.5",
                "v1.2.4-pre",
            ],
        ),
        (
            Scheme::Maven,
            &[
                "1.0-alpha-1",
                "2.7.18",
                "5.3.31.RELEASE",
                "1.0-SNAPSHOT",
                "3.2.0-M1",
            ],
        ),
    ];
    let rounds = 400_000;
    for (scheme, versions) in cases {
        let start = Instant::now();
        let mut n = 0u64;
        for _ in 0..rounds / 20 {
            for a in versions {
                for b in versions {
                    black_box(compare(scheme, black_box(a), black_box(b)).unwrap());
                    n += 1;
                }
            }
        }
        let strings = start.elapsed().as_nanos() as f64 / n as f64;
        let parsed: Vec<Version> = versions
            .iter()
            .map(|v| Version::parse(scheme, v).unwrap())
            .collect();
        let start = Instant::now();
        let mut m = 0u64;
        for _ in 0..rounds / 20 {
            for a in &parsed {
                for b in &parsed {
                    black_box(black_box(a).cmp_same(black_box(b)).unwrap());
                    m += 1;
                }
            }
        }
        let pre = start.elapsed().as_nanos() as f64 / m as f64;
        println!("{scheme:8} compare(str,str): {strings:6.1} ns   parsed cmp_same: {pre:6.1} ns");
    }
}
