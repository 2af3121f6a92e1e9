//! Free text as the API's schema describes it. Its patterns (`\S`, "no spaces") are ECMA-262
//! regular expressions, as JSON Schema says, whose white space is not Rust's: U+0085 is white
//! space to Rust and not to ECMA-262, U+FEFF the reverse. Every rule about spaces uses this
//! module, so what a client checks against the spec is exactly what is accepted.

/// White space as ECMA-262 regular expressions mean `\s`.
pub fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}'
    )
}

/// Without surrounding white space.
pub fn trim(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// The length of a text as written, in characters; a text of white space only counts as none.
pub fn length(s: &str) -> usize {
    if s.chars().all(is_space) { 0 } else { s.chars().count() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_space_is_ecma_262s() {
        assert!(is_space('\u{feff}') && is_space('\u{3000}') && is_space('\t'));
        assert!(!is_space('\u{85}') && !is_space('\u{1c}') && !is_space('x'));
        assert_eq!((length("  "), length("\u{85}"), length(" a ")), (0, 1, 3));
        assert_eq!(trim("\u{feff} Avviso \u{a0}"), "Avviso");
    }
}
