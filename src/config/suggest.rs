//! "Did you mean" suggestions for misspelt names.

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut best: Option<(usize, f64, &str)> = None;
    for cand in candidates {
        let score = strsim::jaro_winkler(&word.to_lowercase(), &cand.to_lowercase());
        let dist = strsim::levenshtein(word, cand);
        let close =
            score >= 0.8 || dist <= (word.chars().count() / 3).max(1) || abbreviates(word, cand);
        if close && best.is_none_or(|(d, s, _)| dist < d || (dist == d && score > s)) {
            best = Some((dist, score, cand));
        }
    }
    best.map(|(_, _, c)| c.to_string())
}

/// `cnt` for `count`: every character of the word, in order, and the same first letter.
fn abbreviates(word: &str, cand: &str) -> bool {
    let mut rest = cand.chars();
    word.chars().count() >= 3
        && word.chars().next() == cand.chars().next()
        && word.chars().all(|c| rest.any(|d| d == c))
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            did_you_mean("inptus", ["inputs", "output"]).as_deref(),
            Some("inputs")
        );
        assert_eq!(
            did_you_mean("mony", ["money", "count"]).as_deref(),
            Some("money")
        );
        assert_eq!(did_you_mean("zzz", ["money", "count"]), None);
        assert_eq!(did_you_mean("pie", ["bar", "line", "share"]), None);
        assert_eq!(
            did_you_mean("cnt", ["count", "sum"]).as_deref(),
            Some("count")
        );
        assert_eq!(
            did_you_mean("项目名", ["项目名称", "金额"]).as_deref(),
            Some("项目名称")
        );
    }
}
