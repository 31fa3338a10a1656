//! A small Drain-style template miner: messages of the same shape (same length and first
//! token, mostly equal tokens) share a template whose variable positions read `<*>`.

use std::collections::HashMap;

/// Similarity at or above which a message joins an existing template.
const SIMILARITY: f64 = 0.5;
/// Messages are compared on their first tokens only: long tails are usually parameters.
const MAX_TOKENS: usize = 24;

pub struct Miner {
    /// (token count, first token) -> template ids.
    buckets: HashMap<(usize, String), Vec<usize>>,
    templates: Vec<Vec<String>>,
}

impl Default for Miner {
    fn default() -> Self {
        Self::new()
    }
}

impl Miner {
    pub fn new() -> Self {
        Miner {
            buckets: HashMap::new(),
            templates: Vec::new(),
        }
    }

    /// The template id for `message` (learning as it goes).
    pub fn add(&mut self, message: &str) -> usize {
        let tokens: Vec<String> = message
            .split_whitespace()
            .take(MAX_TOKENS)
            .map(mask)
            .collect();
        let first = tokens.first().cloned().unwrap_or_default();
        let bucket = self.buckets.entry((tokens.len(), first)).or_default();
        let mut best: Option<(usize, f64)> = None;
        for &t in bucket.iter() {
            let sim = similarity(&self.templates[t], &tokens);
            if sim >= SIMILARITY && best.is_none_or(|(_, s)| sim > s) {
                best = Some((t, sim));
            }
        }
        match best {
            Some((t, _)) => {
                for (slot, tok) in self.templates[t].iter_mut().zip(&tokens) {
                    if slot != tok {
                        *slot = "<*>".to_string();
                    }
                }
                t
            }
            None => {
                let id = self.templates.len();
                self.templates.push(tokens);
                bucket.push(id);
                id
            }
        }
    }

    pub fn template(&self, id: usize) -> String {
        self.templates
            .get(id)
            .map(|t| t.join(" "))
            .unwrap_or_default()
    }
}

/// Tokens holding digits (ids, times, addresses, counters) are variables from the start.
fn mask(token: &str) -> String {
    if token.bytes().any(|b| b.is_ascii_digit()) {
        "<*>".to_string()
    } else {
        token.to_string()
    }
}

fn similarity(template: &[String], tokens: &[String]) -> f64 {
    if template.is_empty() {
        return 1.0;
    }
    let same = template
        .iter()
        .zip(tokens)
        .filter(|(a, b)| a == b || *a == "<*>")
        .count();
    same as f64 / template.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_messages_share_a_template() {
        let mut m = Miner::new();
        let a = m.add("Failed password for root from 10.0.0.7 port 4242 ssh2");
        let b = m.add("Failed password for admin from 10.0.0.8 port 4243 ssh2");
        let c = m.add("Accepted publickey for bob from 10.0.0.9 port 22 ssh2");
        assert_eq!(a, b);
        assert_ne!(a, c);
        // `ssh2` holds a digit, so it is a variable like the port.
        assert_eq!(
            m.template(a),
            "Failed password for <*> from <*> port <*> <*>"
        );
    }
}
