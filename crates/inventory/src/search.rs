//! Finding an item by any of its names (searching "乙腈", "腈", "acetonitrile", "MeCN",
//! "75-05-8" or "C2H3N" finds acetonitrile). Pure: no I/O.
//!
//! Text is folded first — letters to lower case, full-width forms to ASCII, everything but
//! letters and digits dropped (so `75-05-8`, `75 05 8` and `75058` are one) — and an item is
//! indexed by the grams of its folded names: every pair of neighbouring characters, and every
//! single character that is not ASCII (a Chinese character alone is a word; a Latin letter
//! alone is not worth a lookup). A query's grams must all belong to an item, and then the
//! folded query must be a part of one of its folded names — the grams find candidates through
//! an index, the second test makes the order of characters count. Runs of Latin letters and
//! digits (CAS numbers, codes, formulas, English names) are indexed by every three neighbouring
//! characters too: a pair of digits is in thousands of CAS numbers, three of them in far fewer,
//! so a query like `7722-64-7` has a rare gram to start from.

use std::collections::BTreeSet;

/// `text` folded for matching: lower case, full-width ASCII forms as ASCII, only letters and
/// digits kept.
pub fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The index grams of an item's names.
pub fn grams<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for name in names {
        let chars: Vec<char> = fold(name).chars().collect();
        for (i, c) in chars.iter().enumerate() {
            if !c.is_ascii() {
                out.insert(c.to_string());
            }
            if let Some(next) = chars.get(i + 1) {
                out.insert(format!("{c}{next}"));
            }
        }
        out.extend(ascii_trigrams(&chars));
    }
    out
}

/// Every three neighbouring characters that are all ASCII letters or digits.
fn ascii_trigrams(chars: &[char]) -> impl Iterator<Item = String> + '_ {
    chars.windows(3).filter(|w| w.iter().all(char::is_ascii)).map(|w| w.iter().collect())
}

/// At most this many grams of a query are looked up (a long query is matched on some of its
/// grams and then checked whole).
pub const MAX_QUERY_GRAMS: usize = 12;

/// The grams a query looks up, or `None` when it has nothing to look up (empty, or a single
/// Latin letter or digit).
pub fn query_grams(query: &str) -> Option<Vec<String>> {
    let folded = fold(query);
    let chars: Vec<char> = folded.chars().collect();
    match chars.as_slice() {
        [] => None,
        [c] if c.is_ascii() => None,
        [c] => Some(vec![c.to_string()]),
        _ => {
            // The three-character grams first: they are the rarer.
            let mut out: Vec<String> = ascii_trigrams(&chars).collect::<BTreeSet<_>>().into_iter().collect();
            let pairs: BTreeSet<String> = chars.windows(2).map(|w| format!("{}{}", w[0], w[1])).collect();
            out.extend(pairs);
            out.truncate(MAX_QUERY_GRAMS);
            Some(out)
        }
    }
}

/// Whether the folded query is part of one of the folded names.
pub fn matches<'a>(query: &str, names: impl IntoIterator<Item = &'a str>) -> bool {
    let q = fold(query);
    !q.is_empty() && names.into_iter().any(|n| fold(n).contains(&q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_makes_forms_of_one_name_equal() {
        assert_eq!(fold("75-05-8"), "75058");
        assert_eq!(fold("７５－０５－８"), "75058");
        assert_eq!(fold("Acetonitrile (HPLC)"), "acetonitrilehplc");
        assert_eq!(fold("乙 腈"), "乙腈");
        assert_eq!(fold("C₂H₃N"), "c₂h₃n");
    }

    #[test]
    fn a_part_of_a_name_is_found_by_its_grams() {
        let names = ["高锰酸钾", "Potassium permanganate", "灰锰氧", "7722-64-7", "KMnO4"];
        let indexed = grams(names);
        for q in ["锰酸", "高锰", "锰", "permangan", "灰锰", "7722-64-7", "kmno4", "Potassium"] {
            let wanted = query_grams(q).unwrap();
            assert!(wanted.iter().all(|g| indexed.contains(g)), "{q}: {wanted:?}");
            assert!(matches(q, names), "{q}");
        }
        // All grams present but not in this order: the candidate is dropped by `matches`.
        assert!(!matches("酸锰", names));
        assert!(query_grams("酸锰").unwrap().iter().all(|g| indexed.contains(g)) || !matches("酸锰", names));
        assert_eq!(query_grams(""), None);
        assert_eq!(query_grams("k"), None);
        assert_eq!(query_grams("钾"), Some(vec!["钾".to_string()]));
        assert!(query_grams("abcdefghijklmnopqrstuvwxyz").unwrap().len() <= MAX_QUERY_GRAMS);
        // Digits and letters are indexed by threes as well, and a query looks those up first.
        assert!(indexed.contains("772") && indexed.contains("kmn"));
        assert_eq!(query_grams("7722-64-7").unwrap()[0], "226");
    }
}
