//! "Did you mean": the known tag closest to a misspelt one.

/// The known tag closest to `tag`, when it is close enough to be a likely typo.
pub(crate) fn closest(tag: &str, known: impl Iterator<Item = &'static str>) -> Option<&'static str> {
    let tag = tag.to_lowercase();
    let length = tag.chars().count();
    let mut nearest: Option<(usize, &'static str)> = None;
    for k in known {
        // The distance is at least the difference in length, so a tag that much longer or
        // shorter than the best so far cannot beat it: the same minimum, without the work.
        if nearest.is_some_and(|(distance, _)| length.abs_diff(k.chars().count()) > distance) {
            continue;
        }
        let candidate = (strsim::levenshtein(&tag, k), k);
        if nearest.is_none_or(|best| candidate < best) {
            nearest = Some(candidate);
        }
    }
    let (distance, best) = nearest?;
    let limit = (best.len() / 3).max(2);
    (distance <= limit).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_suggests_typos_only() {
        let tags = ["health_score", "alert", "status"];
        assert_eq!(closest("helth_score", tags.into_iter()), Some("health_score"));
        assert_eq!(closest("ALERT", tags.into_iter()), Some("alert"));
        assert_eq!(closest("completely_else", tags.into_iter()), None);
    }

    #[test]
    fn closest_skips_only_candidates_that_cannot_win() {
        let brute_force = |tag: &str, known: &[&'static str]| {
            let tag = tag.to_lowercase();
            let (distance, best) = known.iter().map(|&k| (strsim::levenshtein(&tag, k), k)).min()?;
            (distance <= (best.len() / 3).max(2)).then_some(best)
        };
        let tags: Vec<&'static str> = crate::registry::kinds().map(|kind| kind.tag).collect();
        let mut typos = vec![String::new(), "x".into(), "é".into(), "pin".into(), "Ünknown_sëssion".into()];
        for tag in &tags {
            typos.extend([format!("{tag}x"), tag[1..].to_owned(), tag.to_uppercase(), tag.replace('_', "")]);
            typos.extend([format!("{tag}{tag}"), tag.chars().rev().collect(), format!("é{tag}")]);
        }
        // Every short word over a small alphabet, against every short word over part of it:
        // ties in distance and in length, which the real tags rarely have.
        let words = |alphabet: &[char], longest: usize| {
            let mut words = vec![String::new()];
            for _ in 0..longest {
                let longer: Vec<String> =
                    words.iter().flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}"))).collect();
                words.extend(longer);
            }
            words.sort();
            words.dedup();
            words
        };
        let short: Vec<&'static str> = words(&['a', 'b'], 3).into_iter().map(|w| &*w.leak()).collect();
        typos.extend(words(&['a', 'b', 'c'], 4));
        // Every order of the candidates: which one comes first decides what can be skipped.
        for known in
            [tags.clone(), tags.iter().rev().copied().collect(), short.clone(), short.into_iter().rev().collect()]
        {
            for typo in &typos {
                assert_eq!(closest(typo, known.iter().copied()), brute_force(typo, &known), "{typo} in {known:?}");
            }
        }
    }
}
