//! Okapi BM25 over token lists, in plain Rust: a few tens of thousands of short documents need
//! an inverted list and a score array, not a search engine. Deterministic: documents are
//! scored in index order and ties keep it.

use std::collections::HashMap;

/// Term-frequency saturation and length normalisation, the usual values.
const K1: f64 = 1.2;
const B: f64 = 0.75;

#[derive(Debug, Clone, Default)]
pub struct Bm25 {
    /// Term -> (document, term frequency) in document order.
    postings: HashMap<String, Vec<(u32, u32)>>,
    doc_len: Vec<u32>,
    total_len: u64,
}

impl Bm25 {
    /// Adds a document (its tokens); documents are numbered from 0 in the order added.
    pub fn add(&mut self, tokens: &[String]) -> usize {
        let doc = self.doc_len.len() as u32;
        let mut tf: HashMap<&str, u32> = HashMap::new();
        for t in tokens {
            *tf.entry(t.as_str()).or_default() += 1;
        }
        let mut terms: Vec<(&str, u32)> = tf.into_iter().collect();
        terms.sort_unstable();
        for (t, n) in terms {
            self.postings
                .entry(t.to_string())
                .or_default()
                .push((doc, n));
        }
        self.doc_len.push(tokens.len() as u32);
        self.total_len += tokens.len() as u64;
        doc as usize
    }

    pub fn len(&self) -> usize {
        self.doc_len.len()
    }

    pub fn is_empty(&self) -> bool {
        self.doc_len.is_empty()
    }

    /// Inverse document frequency of a term (0 for an unknown one).
    pub fn idf(&self, term: &str) -> f64 {
        let n = self.doc_len.len() as f64;
        match self.postings.get(term) {
            Some(p) => {
                let df = p.len() as f64;
                (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
            }
            None => 0.0,
        }
    }

    /// The BM25 score of every document for the distinct `terms` (each counted once, as a
    /// session's facts repeat their tokens without meaning more). `allowed` leaves documents
    /// out (scored 0).
    pub fn scores(&self, terms: &[&str], allowed: impl Fn(usize) -> bool) -> Vec<f64> {
        let mut scores = vec![0.0; self.doc_len.len()];
        if self.doc_len.is_empty() {
            return scores;
        }
        let avg = self.total_len as f64 / self.doc_len.len() as f64;
        for term in terms {
            let Some(list) = self.postings.get(*term) else {
                continue;
            };
            let idf = self.idf(term);
            for &(doc, tf) in list {
                let d = doc as usize;
                if !allowed(d) {
                    continue;
                }
                let tf = f64::from(tf);
                let norm = 1.0 - B + B * f64::from(self.doc_len[d]) / avg.max(1.0);
                scores[d] += idf * tf * (K1 + 1.0) / (tf + K1 * norm);
            }
        }
        scores
    }

    /// Whether document `doc` contains `term`.
    pub fn contains(&self, doc: usize, term: &str) -> bool {
        self.postings
            .get(term)
            .is_some_and(|p| p.binary_search_by_key(&(doc as u32), |&(d, _)| d).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn rare_shared_terms_outscore_common_ones() {
        let mut ix = Bm25::default();
        ix.add(&toks("rundll32 comsvcs.dll minidump lsass"));
        ix.add(&toks("cmd whoami"));
        ix.add(&toks("cmd net user"));
        ix.add(&toks("cmd ipconfig"));
        let s = ix.scores(&["cmd", "comsvcs.dll"], |_| true);
        assert!(s[0] > s[1] && s[1] > 0.0, "{s:?}");
        assert!(ix.idf("comsvcs.dll") > ix.idf("cmd"));
        assert_eq!(ix.idf("absent"), 0.0);
        assert!(ix.contains(0, "lsass") && !ix.contains(1, "lsass"));
        // A left-out document scores nothing.
        let s = ix.scores(&["comsvcs.dll"], |d| d != 0);
        assert_eq!(s[0], 0.0);
    }

    #[test]
    fn a_longer_document_with_the_same_match_scores_lower() {
        let mut ix = Bm25::default();
        ix.add(&toks("certutil -urlcache"));
        ix.add(&toks("certutil -urlcache a b c d e f g h i j k l"));
        ix.add(&toks("other words here"));
        let s = ix.scores(&["certutil", "-urlcache"], |_| true);
        assert!(s[0] > s[1], "{s:?}");
    }
}
