//! The query language's one parse, shared by both index backends: tantivy's grammar, with a
//! negation joined by AND meaning what an analyst means by it.
//!
//! The grammar reads `failed AND NOT user:root` as `+failed +(-user:root)`: the negation becomes
//! a required clause of its own, and a clause with nothing but a negation matches no event, so
//! the query found nothing while `failed -user:root` worked. Such a clause is lifted into its
//! parent here (`+failed -user:root`). A negation joined by OR (`a OR NOT b`) is left as the
//! grammar reads it.

use tantivy::query_grammar::{self, Occur, UserInputAst};

/// The query's syntax tree, negations lifted; `Err` on a syntax error.
pub fn parse(query: &str) -> Result<UserInputAst, ()> {
    query_grammar::parse_query(query)
        .map(lift_negations)
        .map_err(|_| ())
}

fn lift_negations(ast: UserInputAst) -> UserInputAst {
    match ast {
        UserInputAst::Clause(children) => {
            let mut out = Vec::with_capacity(children.len());
            for (occur, child) in children {
                match (occur, lift_negations(child)) {
                    (None | Some(Occur::Must), UserInputAst::Clause(inner))
                        if only_negations(&inner) =>
                    {
                        out.extend(inner)
                    }
                    (occur, child) => out.push((occur, child)),
                }
            }
            UserInputAst::Clause(out)
        }
        UserInputAst::Boost(child, boost) => {
            UserInputAst::Boost(Box::new(lift_negations(*child)), boost)
        }
        leaf => leaf,
    }
}

fn only_negations(clause: &[(Option<Occur>, UserInputAst)]) -> bool {
    !clause.is_empty()
        && clause
            .iter()
            .all(|(occur, _)| *occur == Some(Occur::MustNot))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(q: &str) -> String {
        format!("{:?}", parse(q).unwrap())
    }

    #[test]
    fn and_not_reads_as_without() {
        assert_eq!(
            shown("failed AND NOT user:root"),
            shown("failed AND -user:root")
        );
        assert_eq!(shown("a AND NOT b AND c"), "(+a -b +c)");
        assert_eq!(shown("NOT b AND a"), "(-b +a)");
        assert_eq!(shown("a AND (NOT b)"), "(+a -b)");
        assert_eq!(shown("a AND NOT (b OR c)"), "(+a -(?b ?c))");
        assert_eq!(shown("(a AND NOT b) OR c"), "(?(+a -b) ?c)");
        // Joined by OR, or standing alone, a negation stays as the grammar reads it.
        assert_eq!(shown("a OR NOT b"), "(?a ?(-b))");
        assert_eq!(shown("NOT b"), "(-b)");
        assert!(parse("a AND (").is_err());
    }
}
