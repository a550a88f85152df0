//! Version ordering used by the matcher: one place that maps ecosystems to schemes and evaluates
//! OSV-style ranges, so the matcher never compares version strings itself.
//!
//! The per-scheme comparison is a small local implementation kept until `onus-version` exposes
//! `compare(Scheme, a, b)`; only [`compare`] needs to change when it does.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// A version ordering scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Apk,
    Deb,
    Pep440,
    Semver,
    /// Go module versions: semver with a `v` prefix (`go` prefix for the toolchain).
    Go,
    Maven,
    /// Dotted numbers and words, compared piecewise.
    Generic,
}

impl Scheme {
    /// The scheme an OSV ecosystem name (or a store namespace) orders versions by.
    pub fn for_ecosystem(ecosystem: &str) -> Scheme {
        let base = ecosystem.split(':').next().unwrap_or(ecosystem);
        match base.to_ascii_lowercase().as_str() {
            "wolfi" | "chainguard" | "alpine" | "apk" => Scheme::Apk,
            "debian" | "ubuntu" | "deb" => Scheme::Deb,
            "pypi" => Scheme::Pep440,
            "go" | "golang" => Scheme::Go,
            "npm" | "crates.io" | "cargo" | "semver" => Scheme::Semver,
            "maven" => Scheme::Maven,
            _ => Scheme::Generic,
        }
    }
}

/// Compare two versions under `scheme`; `None` when either cannot be parsed.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() || b.is_empty() {
        return None;
    }
    match scheme {
        Scheme::Apk => local::apk(a, b),
        Scheme::Deb => local::deb(a, b),
        Scheme::Pep440 => local::pep440(a, b),
        Scheme::Semver | Scheme::Go => local::semver(a, b),
        Scheme::Maven | Scheme::Generic => Some(local::generic(a, b)),
    }
}

/// One OSV range event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RangeEvent {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

/// An OSV range (`ECOSYSTEM` or `SEMVER`): events in their recorded order. Feeds that state
/// semver requirements instead (RustSec, Node.js security-wg) use the kinds [`REQ_AFFECTED`]
/// (vulnerable iff any requirement matches) and [`REQ_UNAFFECTED`] (vulnerable iff none does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<RangeEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<String>,
}

/// Range kind: the version is affected iff it matches one of `requirements`.
pub const REQ_AFFECTED: &str = "REQ-AFFECTED";
/// Range kind: the version is affected iff it matches none of `requirements`.
pub const REQ_UNAFFECTED: &str = "REQ-UNAFFECTED";

/// Whether `version` falls in `range` (OSV evaluation: introduced inclusive, fixed exclusive,
/// last_affected inclusive). `None` when a version in play cannot be compared.
pub fn range_contains(scheme: Scheme, range: &Range, version: &str) -> Option<bool> {
    if range.kind == REQ_AFFECTED || range.kind == REQ_UNAFFECTED {
        let mut any = false;
        for req in &range.requirements {
            any |= requirement_matches(scheme, req, version)?;
        }
        return Some(if range.kind == REQ_AFFECTED { any } else { !any });
    }
    // Sort events by version (OSV says events need not be ordered); "0" sorts first.
    let mut events: Vec<&RangeEvent> = range.events.iter().filter(|e| !matches!(e, RangeEvent::Limit(_))).collect();
    let mut failed = false;
    events.sort_by(|a, b| {
        let (va, vb) = (event_version(a), event_version(b));
        match (va == "0", vb == "0") {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => compare(scheme, va, vb).unwrap_or_else(|| {
                failed = true;
                Ordering::Equal
            }),
        }
    });
    if failed {
        return None;
    }
    let mut affected = false;
    for event in events {
        match event {
            RangeEvent::Introduced(v) => {
                if v == "0" || compare(scheme, version, v)? != Ordering::Less {
                    affected = true;
                }
            }
            RangeEvent::Fixed(v) => {
                if v != "0" && compare(scheme, version, v)? != Ordering::Less {
                    affected = false;
                } else if v == "0" {
                    affected = false;
                }
            }
            RangeEvent::LastAffected(v) => {
                if compare(scheme, version, v)? == Ordering::Greater {
                    affected = false;
                }
            }
            RangeEvent::Limit(_) => {}
        }
    }
    Some(affected)
}

/// The lowest `fixed` version of `range` above `version`, for reporting.
pub fn fixed_after(scheme: Scheme, range: &Range, version: &str) -> Option<String> {
    range
        .events
        .iter()
        .filter_map(|e| match e {
            RangeEvent::Fixed(v) if v != "0" && compare(scheme, version, v) == Some(Ordering::Less) => Some(v),
            _ => None,
        })
        .min_by(|a, b| compare(scheme, a, b).unwrap_or(Ordering::Equal))
        .cloned()
}

/// Whether `version` satisfies a semver requirement in npm/Cargo syntax: `||` alternatives of
/// space- or comma-separated comparators (`>=1.2`, `< 2`, `^1.2.3`, `~1.2`, `1.x`, `1.2 - 1.4`).
pub fn requirement_matches(scheme: Scheme, req: &str, version: &str) -> Option<bool> {
    for alternative in req.split("||") {
        let raw: Vec<&str> = alternative.split([' ', ',']).filter(|t| !t.is_empty()).collect();
        // Re-attach operators written apart from their version (`>= 1.2`).
        let mut tokens: Vec<String> = Vec::new();
        let mut pending = String::new();
        for t in raw {
            if t.chars().all(|c| matches!(c, '<' | '>' | '=' | '^' | '~')) && t != "-" {
                pending.push_str(t);
            } else {
                tokens.push(format!("{pending}{t}"));
                pending.clear();
            }
        }
        let mut ok = true;
        let mut i = 0;
        while i < tokens.len() {
            let satisfied = if tokens.get(i + 1).map(String::as_str) == Some("-") && i + 2 < tokens.len() {
                let lo = comparator(scheme, &format!(">={}", tokens[i]), version)?;
                let hi = comparator(scheme, &format!("<={}", tokens[i + 2]), version)?;
                i += 3;
                lo && hi
            } else {
                i += 1;
                comparator(scheme, &tokens[i - 1], version)?
            };
            ok &= satisfied;
        }
        if ok {
            return Some(true);
        }
    }
    Some(false)
}

fn comparator(scheme: Scheme, token: &str, version: &str) -> Option<bool> {
    let op_len = token.chars().take_while(|c| matches!(c, '<' | '>' | '=' | '^' | '~')).count();
    let (op, v) = token.split_at(op_len);
    let v = v.trim_start_matches('v');
    if matches!(v, "" | "*" | "x" | "X") {
        return Some(true);
    }
    let parts: Vec<&str> = v.split('.').collect();
    let wild = |p: &&str| matches!(*p, "x" | "X" | "*");
    let given: Vec<u64> = parts.iter().take_while(|p| !wild(p)).map(|p| p.split(['-', '+']).next().unwrap_or(p).parse().ok()).collect::<Option<_>>().unwrap_or_default();
    let partial = parts.iter().any(wild) || parts.len() < 3;
    let bump = |idx: usize| -> String {
        let mut nums: Vec<u64> = given.iter().copied().chain(std::iter::repeat(0)).take(3).collect();
        if let Some(n) = nums.get_mut(idx) {
            *n += 1;
        }
        for n in nums.iter_mut().skip(idx + 1) {
            *n = 0;
        }
        format!("{}.{}.{}-0", nums[0], nums[1], nums[2])
    };
    let low: String = if partial { given.iter().copied().chain(std::iter::repeat(0)).take(3).map(|n| n.to_string()).collect::<Vec<_>>().join(".") } else { v.to_string() };
    let cmp = |x: &str| compare(scheme, version, x);
    let in_range = |upper: String| -> Option<bool> { Some(cmp(&low)? != Ordering::Less && cmp(&upper)? == Ordering::Less) };
    match op {
        ">=" => Some(cmp(&low)? != Ordering::Less),
        ">" if partial && !given.is_empty() => Some(cmp(&bump(given.len() - 1))? != Ordering::Less),
        ">" => Some(cmp(&low)? == Ordering::Greater),
        "<=" if partial && !given.is_empty() => Some(cmp(&bump(given.len() - 1))? == Ordering::Less),
        "<=" => Some(cmp(&low)? != Ordering::Greater),
        "<" => Some(cmp(&low)? == Ordering::Less),
        "^" => {
            let idx = given.iter().position(|n| *n != 0).unwrap_or(given.len().saturating_sub(1)).min(2);
            in_range(bump(idx))
        }
        "~" | "~>" => in_range(bump(if given.len() >= 2 { 1 } else { 0 })),
        _ if partial && !given.is_empty() => in_range(bump(given.len() - 1)),
        _ => Some(cmp(&low)? == Ordering::Equal),
    }
}

fn event_version(event: &RangeEvent) -> &str {
    match event {
        RangeEvent::Introduced(v) | RangeEvent::Fixed(v) | RangeEvent::LastAffected(v) | RangeEvent::Limit(v) => v,
    }
}

/// Local comparators, replaced by `onus-version` once it lands.
mod local {
    use std::cmp::Ordering;

    /// Split into alternating runs of digits and non-digits.
    fn tokens(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[i - 1].is_ascii_digit() {
                out.push(&s[start..i]);
                start = i;
            }
        }
        out
    }

    fn num_cmp(a: &str, b: &str) -> Ordering {
        let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }

    /// Piecewise comparison of digit runs (numerically) and words (lexically); separators ignored.
    pub fn generic(a: &str, b: &str) -> Ordering {
        let split = |s: &str| -> Vec<String> {
            s.split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|p| !p.is_empty())
                .flat_map(|p| tokens(p).into_iter().map(str::to_ascii_lowercase).collect::<Vec<_>>())
                .collect()
        };
        let (ta, tb) = (split(a), split(b));
        for (x, y) in ta.iter().zip(tb.iter()) {
            let digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
            let ord = match (digits(x), digits(y)) {
                (true, true) => num_cmp(x, y),
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => x.cmp(y),
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        ta.len().cmp(&tb.len())
    }

    /// apk-tools ordering: numbers, a letter, `_suffix` N, `-rN`.
    pub fn apk(a: &str, b: &str) -> Option<Ordering> {
        Some(parse_apk(a)?.cmp(&parse_apk(b)?))
    }

    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    struct Apk {
        nums: Vec<NumKey>,
        letter: u8,
        suffixes: Vec<(i8, NumKey)>,
        hash: String,
        rel: NumKey,
    }

    #[derive(PartialEq, Eq, PartialOrd, Ord, Clone)]
    struct NumKey(usize, String);

    fn numkey(s: &str) -> NumKey {
        let t = s.trim_start_matches('0');
        NumKey(t.len(), t.to_string())
    }

    fn parse_apk(v: &str) -> Option<Apk> {
        let (main, rel) = match v.rsplit_once("-r") {
            Some((m, r)) if !r.is_empty() && r.bytes().all(|c| c.is_ascii_digit()) => (m, numkey(r)),
            _ => (v, numkey("0")),
        };
        let (main, hash) = match main.split_once("~") {
            Some((m, h)) => (m, h.to_string()),
            None => (main, String::new()),
        };
        let mut parts = main.split('_');
        let head = parts.next()?;
        let mut nums = Vec::new();
        let mut letter = 0u8;
        for (i, seg) in head.split('.').enumerate() {
            let digits: &str = &seg[..seg.bytes().take_while(u8::is_ascii_digit).count()];
            let rest = &seg[digits.len()..];
            if digits.is_empty() {
                return None;
            }
            nums.push(numkey(digits));
            if !rest.is_empty() {
                // Only a single trailing letter on the last segment is valid apk syntax.
                if rest.len() != 1 || !rest.as_bytes()[0].is_ascii_lowercase() || i + 1 != head.split('.').count() {
                    return None;
                }
                letter = rest.as_bytes()[0];
            }
        }
        let mut suffixes = Vec::new();
        for s in parts {
            let name_len = s.bytes().take_while(u8::is_ascii_alphabetic).count();
            let (name, n) = s.split_at(name_len);
            if !n.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let rank = match name {
                "alpha" => -4,
                "beta" => -3,
                "pre" => -2,
                "rc" => -1,
                "cvs" => 1,
                "svn" => 2,
                "git" => 3,
                "hg" => 4,
                "p" => 5,
                _ => return None,
            };
            suffixes.push((rank, numkey(n)));
        }
        // A pre-release suffix sorts before the bare version, a post one after: pad with 0.
        suffixes.push((0, numkey("0")));
        Some(Apk { nums: pad(nums), letter, suffixes, hash, rel })
    }

    fn pad(mut nums: Vec<NumKey>) -> Vec<NumKey> {
        while nums.len() > 1 && nums.last().is_some_and(|n| n.0 == 0) {
            nums.pop();
        }
        nums
    }

    /// dpkg ordering: epoch, upstream, revision, with `~` before everything.
    pub fn deb(a: &str, b: &str) -> Option<Ordering> {
        let split = |v: &str| -> Option<(u64, String, String)> {
            let (epoch, rest) = match v.split_once(':') {
                Some((e, r)) => (e.parse().ok()?, r),
                None => (0, v),
            };
            let (up, rev) = match rest.rsplit_once('-') {
                Some((u, r)) => (u, r),
                None => (rest, ""),
            };
            Some((epoch, up.to_string(), rev.to_string()))
        };
        let (ea, ua, ra) = split(a)?;
        let (eb, ub, rb) = split(b)?;
        Some(ea.cmp(&eb).then_with(|| dpkg_part(&ua, &ub)).then_with(|| dpkg_part(&ra, &rb)))
    }

    fn dpkg_part(a: &str, b: &str) -> Ordering {
        let order = |c: Option<u8>| -> i32 {
            match c {
                None => 0,
                Some(b'~') => -1,
                Some(c) if c.is_ascii_alphabetic() => c as i32,
                Some(c) => c as i32 + 256,
            }
        };
        let (a, b) = (a.as_bytes(), b.as_bytes());
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            loop {
                let ca = a.get(i).copied().filter(|c| !c.is_ascii_digit());
                let cb = b.get(j).copied().filter(|c| !c.is_ascii_digit());
                if ca.is_none() && cb.is_none() {
                    break;
                }
                let (oa, ob) = (order(ca), order(cb));
                if oa != ob {
                    return oa.cmp(&ob);
                }
                i += usize::from(ca.is_some());
                j += usize::from(cb.is_some());
            }
            let (si, sj) = (i, j);
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let na = std::str::from_utf8(&a[si..i]).unwrap_or("0");
            let nb = std::str::from_utf8(&b[sj..j]).unwrap_or("0");
            let ord = num_cmp(na, nb);
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }

    /// PEP 440: epoch, release, pre, post, dev (local ignored for ordering of public parts).
    pub fn pep440(a: &str, b: &str) -> Option<Ordering> {
        Some(parse_pep440(a)?.cmp(&parse_pep440(b)?))
    }

    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    struct Pep440 {
        epoch: u64,
        release: Vec<u64>,
        // `false` sorts first: a dev-only release (`1.0.dev1`) precedes `1.0a1`.
        normal: bool,
        // (phase, n): dev-only < a < b < rc < final; phase 3 = final.
        pre: (u8, u64),
        post: Option<u64>,
        // None sorts after Some for dev: store as (is_not_dev, n).
        dev: (bool, u64),
        local: String,
    }

    fn parse_pep440(v: &str) -> Option<Pep440> {
        let v = v.trim().to_ascii_lowercase();
        let v = v.strip_prefix('v').unwrap_or(&v);
        let (v, local) = match v.split_once('+') {
            Some((p, l)) => (p, l.to_string()),
            None => (v, String::new()),
        };
        let (epoch, v) = match v.split_once('!') {
            Some((e, r)) => (e.parse().ok()?, r),
            None => (0, v),
        };
        let rel_len = v.bytes().take_while(|c| c.is_ascii_digit() || *c == b'.').count();
        let (rel, mut rest) = v.split_at(rel_len);
        let rel = rel.trim_end_matches('.');
        let mut release: Vec<u64> = rel.split('.').map(|p| p.parse().ok()).collect::<Option<_>>()?;
        while release.len() > 1 && release.last() == Some(&0) {
            release.pop();
        }
        let mut pre = (3u8, 0u64);
        let mut post = None;
        let mut dev = (true, 0u64);
        let take_num = |s: &str| -> (u64, usize) {
            let s2 = s.trim_start_matches(['.', '-', '_']);
            let skipped = s.len() - s2.len();
            let n = s2.bytes().take_while(u8::is_ascii_digit).count();
            (s2[..n].parse().unwrap_or(0), skipped + n)
        };
        while !rest.is_empty() {
            let r = rest.trim_start_matches(['.', '-', '_']);
            let phase = [
                ("alpha", 0u8),
                ("beta", 1),
                ("preview", 2),
                ("pre", 2),
                ("rc", 2),
                ("a", 0),
                ("b", 1),
                ("c", 2),
                ("post", 10),
                ("rev", 10),
                ("r", 10),
                ("dev", 20),
            ]
            .iter()
            .find(|(p, _)| r.starts_with(p))
            .copied();
            match phase {
                Some((p, ph)) => {
                    let (n, used) = take_num(&r[p.len()..]);
                    match ph {
                        10 => post = Some(n),
                        20 => dev = (false, n),
                        _ => pre = (ph, n),
                    }
                    rest = &r[p.len() + used..];
                }
                None if rest.starts_with('-') && r.bytes().next().is_some_and(|c| c.is_ascii_digit()) => {
                    let (n, used) = take_num(r);
                    post = Some(n);
                    rest = &r[used..];
                }
                None => return None,
            }
        }
        // A dev release of a final version sorts before its pre-releases.
        if pre.0 == 3 && post.is_none() && !dev.0 {
            pre = (0, 0);
            return Some(Pep440 { epoch, release, normal: false, pre, post, dev, local });
        }
        Some(Pep440 { epoch, release, normal: true, pre, post, dev, local })
    }

    /// Semver (and Go, with `v`/`go` prefixes): precedence per semver 2.0.0.
    pub fn semver(a: &str, b: &str) -> Option<Ordering> {
        let pa = parse_semver(a)?;
        let pb = parse_semver(b)?;
        let ord = pa.0.cmp(&pb.0);
        if ord != Ordering::Equal {
            return Some(ord);
        }
        Some(match (pa.1.is_empty(), pb.1.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                let (xa, xb): (Vec<&str>, Vec<&str>) = (pa.1.split('.').collect(), pb.1.split('.').collect());
                for (x, y) in xa.iter().zip(xb.iter()) {
                    let nx = x.bytes().all(|c| c.is_ascii_digit()) && !x.is_empty();
                    let ny = y.bytes().all(|c| c.is_ascii_digit()) && !y.is_empty();
                    let o = match (nx, ny) {
                        (true, true) => num_cmp(x, y),
                        (true, false) => Ordering::Less,
                        (false, true) => Ordering::Greater,
                        (false, false) => x.cmp(y),
                    };
                    if o != Ordering::Equal {
                        return Some(o);
                    }
                }
                xa.len().cmp(&xb.len())
            }
        })
    }

    fn parse_semver(v: &str) -> Option<(Vec<NumKey>, String)> {
        let v = v.trim();
        let v = v.strip_prefix("go").unwrap_or(v);
        let v = v.strip_prefix('v').unwrap_or(v);
        let v = v.split('+').next().unwrap_or(v);
        let (core, pre) = match v.split_once('-') {
            Some((c, p)) => (c, p.to_string()),
            None => (v, String::new()),
        };
        // Go toolchain versions like 1.21rc2 carry the pre-release without a dash.
        let (core, pre) = match core.find(|c: char| c.is_ascii_alphabetic()) {
            Some(i) if pre.is_empty() => (&core[..i], core[i..].to_string()),
            _ => (core, pre),
        };
        let mut nums: Vec<NumKey> = Vec::new();
        for part in core.split('.') {
            if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            nums.push(numkey(part));
        }
        while nums.len() < 3 {
            nums.push(numkey("0"));
        }
        Some((nums, pre))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ladder(scheme: Scheme, versions: &[&str]) {
        for (i, a) in versions.iter().enumerate() {
            for (j, b) in versions.iter().enumerate() {
                assert_eq!(compare(scheme, a, b), Some(i.cmp(&j)), "{scheme:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn apk_ladder() {
        ladder(Scheme::Apk, &["1.0_alpha1-r0", "1.0_rc1-r0", "1.0-r0", "1.0-r1", "1.0_p1-r0", "1.0a-r0", "1.0.1-r0", "1.10-r0"]);
    }

    #[test]
    fn deb_ladder() {
        ladder(Scheme::Deb, &["1.0~rc1-1", "1.0-1", "1.0-1+deb12u1", "1.0-2", "1.0.1-1", "1:0.9-1"]);
    }

    #[test]
    fn pep440_ladder() {
        ladder(Scheme::Pep440, &["1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.1", "2.19.1", "2.20.0"]);
    }

    #[test]
    fn semver_ladder() {
        ladder(Scheme::Go, &["v0.0.0-20211202192323-5770296d904e", "v0.0.1", "v1.0.0-rc.1", "v1.0.0", "v1.2.0", "v1.10.0"]);
    }

    #[test]
    fn ranges() {
        let r = Range {
            kind: "ECOSYSTEM".into(),
            events: vec![RangeEvent::Introduced("0".into()), RangeEvent::Fixed("2.20.0".into())],
            requirements: Vec::new(),
        };
        assert_eq!(range_contains(Scheme::Pep440, &r, "2.19.1"), Some(true));
        assert_eq!(range_contains(Scheme::Pep440, &r, "2.20.0"), Some(false));
        assert_eq!(fixed_after(Scheme::Pep440, &r, "2.19.1").as_deref(), Some("2.20.0"));
        let la = Range {
            kind: "SEMVER".into(),
            events: vec![RangeEvent::Introduced("1.0.0".into()), RangeEvent::LastAffected("1.2.0".into())],
            requirements: Vec::new(),
        };
        assert_eq!(range_contains(Scheme::Semver, &la, "1.2.0"), Some(true));
        assert_eq!(range_contains(Scheme::Semver, &la, "1.2.1"), Some(false));
        assert_eq!(range_contains(Scheme::Semver, &la, "0.9.0"), Some(false));
    }

    #[test]
    fn requirements() {
        let m = |req: &str, v: &str| requirement_matches(Scheme::Semver, req, v);
        assert_eq!(m("<=1.5.1", "1.5.1"), Some(true));
        assert_eq!(m(">= 1.5.2", "1.5.1"), Some(false));
        assert_eq!(m("^8.1.4 || ^7.10.1", "7.11.0"), Some(true));
        assert_eq!(m("^8.1.4 || ^7.10.1", "8.0.0"), Some(false));
        assert_eq!(m("8.x || 7.x", "7.2.1"), Some(true));
        assert_eq!(m("8.x || 7.x", "9.0.0"), Some(false));
        assert_eq!(m("^0.2.3", "0.3.0"), Some(false));
        assert_eq!(m("~1.2", "1.2.9"), Some(true));
        assert_eq!(m(">=1.0.0 <2.0.0", "2.0.0"), Some(false));
        assert_eq!(m("1.0.0 - 1.4.0", "1.4.0"), Some(true));
        assert_eq!(m("*", "3.0.0"), Some(true));
        let unaffected = Range { kind: REQ_UNAFFECTED.into(), events: Vec::new(), requirements: vec![">= 0.9.1".into()] };
        assert_eq!(range_contains(Scheme::Semver, &unaffected, "0.9.0"), Some(true));
        assert_eq!(range_contains(Scheme::Semver, &unaffected, "0.9.1"), Some(false));
    }
}
