//! Text from the data or the network, made safe for a terminal or a log
//! line: a team name holding an ANSI escape, or a Basic-auth user name
//! holding a line break, must not recolour the terminal or forge a log
//! line. Control characters are written as Rust escapes (`\n`, `\u{1b}`);
//! everything else — accents, CJK, emoji — is kept.

use std::borrow::Cow;

pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(printable("Facturación 請求 🧾"), "Facturación 請求 🧾");
        assert!(matches!(printable("billing"), Cow::Borrowed(_)));
        assert_eq!(
            printable("bob\n2026-12-01T00:00:00Z  INFO forged"),
            "bob\\n2026-12-01T00:00:00Z  INFO forged"
        );
        assert_eq!(printable("\u{1b}[31mred\u{7}"), "\\u{1b}[31mred\\u{7}");
    }
}
