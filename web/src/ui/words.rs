//! Words that depend on a number: "1 note", "2 notes".

/// `n` and the noun that agrees with it: `count(1, "note", "notes")` is "1 note".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", plural(n, one, many))
}

/// The noun that agrees with `n`, without the number (for a number styled on its own).
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::{count, plural};

    #[wasm_bindgen_test]
    fn one_of_something_is_singular_and_none_or_many_are_plural() {
        assert_eq!(count(0, "note", "notes"), "0 notes");
        assert_eq!(count(1, "note", "notes"), "1 note");
        assert_eq!(count(2, "note", "notes"), "2 notes");
        assert_eq!(count(1, "person", "people"), "1 person");
        assert_eq!(plural(3, "pair", "pairs"), "pairs");
    }
}
