//! The one glob matcher behind every data-driven rule table (tiers, CHP detectors, EOL mapping).

/// Match all of `text` against `pattern`: `*` any run, `?` one character, `#` one ASCII digit;
/// everything else matches itself. Case-sensitive (callers fold case where their table says so).
///
/// Iterative with single-star backtracking: linear in practice, never exponential, so a
/// hostile pattern from a user rule file cannot hang a scan.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || (c == '#' && t[ti].is_ascii_digit()) || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                // Let the last `*` absorb one more character and retry.
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn stars_marks_and_digits() {
        assert!(glob_match("pip3.*", "pip3.11"));
        assert!(!glob_match("pip3.*", "pip3"));
        assert!(glob_match("sh", "sh"));
        assert!(!glob_match("sh", "bash"));
        assert!(glob_match("python#.#*", "python3.11"));
        assert!(!glob_match("python#.#*", "python3-pip"));
        assert!(glob_match("openjdk-?*", "openjdk-17"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a*b*c*d*e*f*g", &"a".repeat(5000)));
    }
}
