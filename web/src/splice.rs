//! The edit one `input` event made to a textarea, as one text splice.
//!
//! A textarea reports only its new value. Replacing the whole automerge `Text` with it would turn
//! every keystroke into "delete everything, insert everything", and a concurrent edit on another
//! device would then be lost or duplicated when the two merge. So the edit is recovered as the one
//! span that changed: the longest common prefix and suffix of the old and new values stay, and what
//! lies between them is deleted and inserted.
//!
//! Positions are counted in Unicode code points, the unit automerge's `splice_text` uses by default.

/// The core's one text edit, which the edits a screen emits carry.
pub use tandem_core::edit::Splice;

/// The splice that turns `old` into `new`, or `None` when they are equal.
///
/// `caret` is the textarea's `selectionEnd` after the edit, in UTF-16 code units as the DOM counts
/// them. Where the edit is ambiguous (typing "a" into "aa" could be an insertion at 0, 1 or 2) it
/// places the splice where the person typed, so that a concurrent edit elsewhere in the run of
/// equal characters merges on the side they expect.
pub fn between(old: &str, new: &str, caret: Option<u32>) -> Option<Splice> {
    if old == new {
        return None;
    }
    let old_len = old.chars().count();
    let new_len = new.chars().count();

    // The splice cannot start after the caret minus what the edit added: an insertion of k code
    // points ending at the caret starts k before it.
    let mut max_prefix = old_len.min(new_len);
    if let Some(caret) = caret {
        let caret = code_points_before_utf16_offset(new, caret as usize);
        max_prefix = max_prefix.min(caret.saturating_sub(new_len.saturating_sub(old_len)));
    }
    let prefix = old.chars().zip(new.chars()).take(max_prefix).take_while(|(a, b)| a == b).count();

    // The suffix may not overlap the prefix in either string.
    let max_suffix = old_len.min(new_len) - prefix;
    let suffix =
        old.chars().rev().zip(new.chars().rev()).take(max_suffix).take_while(|(a, b)| a == b).count();

    Some(Splice {
        index: prefix,
        delete: old_len - prefix - suffix,
        insert: new.chars().skip(prefix).take(new_len - prefix - suffix).collect(),
    })
}

/// How many code points of `text` lie before the UTF-16 offset `offset` (clamped to the end).
fn code_points_before_utf16_offset(text: &str, offset: usize) -> usize {
    let mut units = 0;
    for (count, c) in text.chars().enumerate() {
        if units >= offset {
            return count;
        }
        units += c.len_utf16();
    }
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, transaction::Transactable};
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    /// Applies the splice `between` computes to an automerge `Text` holding `old`, and checks the
    /// text then reads `new`: the splice is checked against automerge itself, not a re-implementation.
    #[track_caller]
    fn check(old: &str, new: &str, caret: Option<u32>, expected: Option<(usize, usize, &str)>) {
        let splice = between(old, new, caret);
        assert_eq!(
            splice.as_ref().map(|s| (s.index, s.delete, s.insert.as_str())),
            expected,
            "splice from {old:?} to {new:?} with the caret at {caret:?}"
        );
        let mut doc = AutoCommit::new();
        let text = doc.put_object(ROOT, "text", ObjType::Text).unwrap();
        doc.splice_text(&text, 0, 0, old).unwrap();
        if let Some(s) = splice {
            doc.splice_text(&text, s.index, s.delete as isize, &s.insert).unwrap();
        }
        assert_eq!(doc.text(&text).unwrap(), new);
    }

    #[wasm_bindgen_test]
    fn typing_at_the_end_inserts_only_the_new_character() {
        check("Glow", "Glows", Some(5), Some((4, 0, "s")));
    }

    #[wasm_bindgen_test]
    fn typing_in_the_middle_inserts_there() {
        check("Strenths first", "Strengths first", Some(6), Some((5, 0, "g")));
    }

    #[wasm_bindgen_test]
    fn backspace_deletes_one_character() {
        check("notes", "note", Some(4), Some((4, 1, "")));
    }

    #[wasm_bindgen_test]
    fn replacing_a_selection_deletes_and_inserts_in_one_splice() {
        check("the red pen", "the blue pen", Some(8), Some((4, 3, "blue")));
    }

    #[wasm_bindgen_test]
    fn pasting_into_an_empty_note_inserts_everything() {
        check("", "Asked good questions.", Some(21), Some((0, 0, "Asked good questions.")));
    }

    #[wasm_bindgen_test]
    fn clearing_the_note_deletes_everything() {
        check("all of it", "", Some(0), Some((0, 9, "")));
    }

    #[wasm_bindgen_test]
    fn equal_values_make_no_splice() {
        check("same", "same", Some(2), None);
    }

    #[wasm_bindgen_test]
    fn typing_into_a_run_of_equal_characters_splices_at_the_caret() {
        // "aa" -> "aaa" with the caret after the first new "a": the insertion is at 1, not at 2.
        check("aa", "aaa", Some(2), Some((1, 0, "a")));
        check("aa", "aaa", Some(1), Some((0, 0, "a")));
        // Without a caret the longest common prefix wins.
        check("aa", "aaa", None, Some((2, 0, "a")));
        // Backspace inside a run deletes where the caret is.
        check("aaa", "aa", Some(0), Some((0, 1, "")));
    }

    #[wasm_bindgen_test]
    fn positions_count_code_points_while_the_caret_counts_utf16_units() {
        // The emoji is one code point but two UTF-16 units; the caret after "x" is at unit 3.
        check("😀", "😀x", Some(3), Some((1, 0, "x")));
        check("é😀", "é😀!", Some(4), Some((2, 0, "!")));
        check("a😀b", "ab", Some(1), Some((1, 1, "")));
    }

    #[wasm_bindgen_test]
    fn a_caret_past_the_end_is_clamped() {
        check("ab", "abc", Some(99), Some((2, 0, "c")));
    }
}
