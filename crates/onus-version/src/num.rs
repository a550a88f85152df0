//! Arbitrary-length comparison of ASCII digit strings (no overflow, no allocation).

use std::cmp::Ordering;

/// Compare two runs of ASCII digits numerically; leading zeros are ignored and an empty run is 0.
pub(crate) fn cmp_digits(a: &[u8], b: &[u8]) -> Ordering {
    let a = strip_zeros(a);
    let b = strip_zeros(b);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// [`cmp_digits`] for `&str`.
pub(crate) fn cmp_digit_str(a: &str, b: &str) -> Ordering {
    cmp_digits(a.as_bytes(), b.as_bytes())
}

fn strip_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| c == b'0').count();
    &s[n..]
}

/// True when the run is all zeros (or empty).
pub(crate) fn is_zero(s: &[u8]) -> bool {
    s.iter().all(|&c| c == b'0')
}

/// The length of the run of ASCII digits at the start of `s`.
pub(crate) fn digit_run(s: &[u8]) -> usize {
    s.iter().take_while(|c| c.is_ascii_digit()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_order_without_overflow() {
        assert_eq!(cmp_digits(b"10", b"9"), Ordering::Greater);
        assert_eq!(cmp_digits(b"007", b"7"), Ordering::Equal);
        assert_eq!(cmp_digits(b"", b"0"), Ordering::Equal);
        assert_eq!(
            cmp_digits(b"99999999999999999999999", b"99999999999999999999998"),
            Ordering::Greater
        );
    }
}
