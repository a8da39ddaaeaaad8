//! Text folding for search that ignores case and Vietnamese diacritics.

/// Folds text for search: diacritics removed (`Đắk Lắk` → `dak lak`), lower case, spaces
/// collapsed. The same function folds stored text and queries, so they always agree.
pub fn fold(s: &str) -> String {
    let ascii = deunicode::deunicode(s).to_lowercase();
    ascii.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A `LIKE` pattern matching `term` anywhere, with `%`, `_` and `\` escaped (`ESCAPE '\'`).
pub fn contains_pattern(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('%');
    for c in fold(term).chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Joins the folded parts of a record into one searchable text.
pub fn search_text(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .map(|p| fold(p))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_folds_to_plain_ascii() {
        assert_eq!(fold("Đắk Lắk"), "dak lak");
        assert_eq!(fold("  Cà   phê "), "ca phe");
        assert_eq!(fold("DAK LAK"), fold("dak lak"));
        assert_eq!(fold("Quảng Trị"), "quang tri");
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(contains_pattern("50%_a"), "%50\\%\\_a%");
    }
}
