//! Technique candidates for every session, also where no rule fired: a retrieval index over
//! public procedure knowledge (the ATT&CK catalog's technique texts, procedure examples and
//! detection analytics; Atomic Red Team's commands when a checkout is given), scored with BM25
//! against the session's facts (processes, command lines, registry and file paths, services,
//! DNS names, ports). The best techniques go to the session view, the model's prompt (as
//! evidence to pick from) and `eval`'s `retrieval` method.
//!
//! The index is built in memory from the installed files (about 20,000 short documents, well
//! under a second) and shared per process ([`shared`]); a search costs milliseconds.

mod bm25;
mod facts;
mod tokens;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::attack::atomics::{self, Atomics, AtomicsError};
use crate::attack::{AttackError, Catalog, ProcedureKind, Procedures};
use crate::event::Event;
use crate::model::Candidate;
use crate::text::one_line;

pub use bm25::Bm25;
pub use facts::{SessionFacts, SessionPlatform};
pub use tokens::{tokenize, tokens};

/// How many candidates a session gets by default.
pub const DEFAULT_TOP_K: usize = 5;
/// The lowest score a candidate needs: below it, the overlap is one or two common words
/// (`cmd`, `windows`), not a procedure.
pub const MIN_SCORE: f64 = 4.0;
/// Shown characters of a procedure text and of a matched fact.
const PROCEDURE_CHARS: usize = 240;
const FACT_CHARS: usize = 160;

#[derive(Debug, thiserror::Error)]
pub enum CandidatesError {
    #[error(transparent)]
    Catalog(#[from] AttackError),
    #[error(transparent)]
    Atomics(#[from] AtomicsError),
    #[error("ATT&CK procedures {path}: {source}")]
    Procedures {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Platform bits of a document; 0 = any.
const WINDOWS: u8 = 1;
const LINUX: u8 = 2;

#[derive(Debug, Clone)]
struct Doc {
    technique: String,
    source: String,
    text: String,
    platforms: u8,
}

/// What the index was built from, for `show` and the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexSources {
    pub catalog: PathBuf,
    /// The procedures file and its texts, when set-up wrote one.
    pub procedures: Option<(PathBuf, usize)>,
    /// The atomics folder and its tests, when one was given.
    pub atomics: Option<(PathBuf, usize)>,
    pub documents: usize,
}

#[derive(Debug, Clone)]
pub struct CandidateIndex {
    bm25: Bm25,
    docs: Vec<Doc>,
    /// Technique id -> display name.
    names: HashMap<String, String>,
    pub sources: IndexSources,
}

fn platform_bits<S: AsRef<str>>(platforms: &[S]) -> u8 {
    let mut bits = 0;
    for p in platforms {
        match p.as_ref().to_ascii_lowercase().as_str() {
            "windows" => bits |= WINDOWS,
            "linux" => bits |= LINUX,
            _ => {}
        }
    }
    bits
}

impl CandidateIndex {
    /// The index over `catalog`'s active techniques (their names, and the texts of
    /// `procedures` when given) and the commands of `atomics` when given. Ids the catalog does
    /// not know are left out; revoked ones count as their successor.
    pub fn build(
        catalog: &Catalog,
        procedures: Option<&Procedures>,
        atomics: Option<&Atomics>,
    ) -> CandidateIndex {
        let mut ix = CandidateIndex {
            bm25: Bm25::default(),
            docs: Vec::new(),
            names: HashMap::new(),
            sources: IndexSources {
                catalog: catalog.source().to_path_buf(),
                procedures: procedures.map(|p| (p.path.clone(), p.texts.len())),
                atomics: atomics.map(|a| (a.dir.clone(), a.tests.len())),
                documents: 0,
            },
        };
        let mut described: BTreeMap<String, String> = BTreeMap::new();
        for p in procedures.iter().flat_map(|p| &p.texts) {
            if p.kind == ProcedureKind::Description {
                described.insert(p.technique.clone(), p.text.clone());
            }
        }
        for t in catalog.iter().filter(|t| t.is_active()) {
            let name = catalog
                .display_name(&t.id)
                .unwrap_or_else(|| t.name.clone());
            ix.names.insert(t.id.clone(), name.clone());
            let text = match described.get(&t.id) {
                Some(d) => format!("{name}. {d}"),
                None => name.clone(),
            };
            let bits = platform_bits(&t.platforms);
            ix.add(t.id.clone(), format!("ATT&CK: {name}"), text, bits);
        }
        for p in procedures.iter().flat_map(|p| &p.texts) {
            let Some(id) = catalog.current(&p.technique) else {
                continue;
            };
            let label = match p.kind {
                ProcedureKind::Description => continue,
                ProcedureKind::Procedure => format!("ATT&CK procedure: {}", p.source),
                ProcedureKind::Detection => format!("ATT&CK detection: {}", p.source),
            };
            let bits = catalog.get(&id).map_or(0, |t| platform_bits(&t.platforms));
            ix.add(id, label, p.text.clone(), bits);
        }
        for t in atomics.iter().flat_map(|a| &a.tests) {
            let Some(id) = catalog.current(&t.technique) else {
                continue;
            };
            if t.command.trim().is_empty() {
                continue;
            }
            let label = format!("atomic {} #{}: {}", t.technique, t.number, t.name);
            let text = format!("{}. {}", t.name, t.command.trim());
            ix.add(id, label, text, platform_bits(&t.platforms));
        }
        ix.sources.documents = ix.docs.len();
        ix
    }

    /// The index from the installed catalog ([`Catalog::load_default`]), the procedures file
    /// set-up wrote beside it (when there), and `atomics` (an Atomic Red Team `atomics/`
    /// folder) when given.
    pub fn load(atomics: Option<&Path>) -> Result<CandidateIndex, CandidatesError> {
        let catalog = Catalog::load_default()?;
        CandidateIndex::load_with(&catalog, atomics)
    }

    /// [`CandidateIndex::load`] with a catalog already loaded.
    pub fn load_with(
        catalog: &Catalog,
        atomics: Option<&Path>,
    ) -> Result<CandidateIndex, CandidatesError> {
        let procedures = match Procedures::locate(Some(catalog.source())) {
            Some(path) => Some(
                Procedures::load(&path)
                    .map_err(|source| CandidatesError::Procedures { path, source })?,
            ),
            None => None,
        };
        let atomics = atomics.map(atomics::load).transpose()?;
        Ok(CandidateIndex::build(
            catalog,
            procedures.as_ref(),
            atomics.as_ref(),
        ))
    }

    fn add(&mut self, technique: String, source: String, text: String, platforms: u8) {
        let mut toks = tokens(&source);
        tokenize(&text, &mut toks);
        self.bm25.add(&toks);
        self.docs.push(Doc {
            technique,
            source,
            text,
            platforms,
        });
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The `k` best techniques for a session's events.
    pub fn candidates(&self, events: &[Event], k: usize) -> Vec<Candidate> {
        self.search(&SessionFacts::from_events(events), k)
    }

    /// The `k` best techniques for `facts`: each technique scored by its best-matching
    /// document, those under [`MIN_SCORE`] left out; ties go to the lower technique id.
    pub fn search(&self, facts: &SessionFacts, k: usize) -> Vec<Candidate> {
        // Term -> the facts it came from (the first few), for the explanation.
        let mut origin: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, f) in facts.facts.iter().enumerate() {
            for t in tokens(f) {
                let list = origin.entry(t).or_default();
                if list.len() < 3 && !list.contains(&i) {
                    list.push(i);
                }
            }
        }
        let terms: Vec<&str> = origin.keys().map(String::as_str).collect();
        let want = match facts.platform {
            Some(SessionPlatform::Windows) => WINDOWS,
            Some(SessionPlatform::Linux) => LINUX,
            None => 0,
        };
        let allowed = |d: usize| {
            let p = self.docs[d].platforms;
            want == 0 || p == 0 || p & want != 0
        };
        let scores = self.bm25.scores(&terms, allowed);
        let mut best: HashMap<&str, (f64, usize)> = HashMap::new();
        for (d, &s) in scores.iter().enumerate() {
            if s < MIN_SCORE {
                continue;
            }
            let e = best
                .entry(self.docs[d].technique.as_str())
                .or_insert((s, d));
            if s > e.0 {
                *e = (s, d);
            }
        }
        let mut ranked: Vec<(&str, f64, usize)> =
            best.into_iter().map(|(t, (s, d))| (t, s, d)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        ranked
            .into_iter()
            .take(k)
            .map(|(t, s, d)| self.explain(t, s, d, &terms, &origin, facts))
            .collect()
    }

    fn explain(
        &self,
        technique: &str,
        score: f64,
        doc: usize,
        terms: &[&str],
        origin: &BTreeMap<String, Vec<usize>>,
        facts: &SessionFacts,
    ) -> Candidate {
        let mut shared: Vec<(&str, f64)> = terms
            .iter()
            .filter(|t| self.bm25.contains(doc, t))
            .map(|t| (*t, self.bm25.idf(t)))
            .collect();
        shared.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        let mut matched: Vec<String> = Vec::new();
        for (t, _) in shared.iter().take(3) {
            for &i in origin.get(*t).into_iter().flatten() {
                let f = one_line(&facts.facts[i], FACT_CHARS);
                if matched.len() < 3 && !matched.contains(&f) {
                    matched.push(f);
                }
            }
        }
        let d = &self.docs[doc];
        Candidate {
            technique: technique.to_string(),
            name: self.names.get(technique).cloned().unwrap_or_default(),
            score: (score * 100.0).round() / 100.0,
            source: d.source.clone(),
            procedure: one_line(&d.text, PROCEDURE_CHARS),
            terms: shared.iter().take(6).map(|(t, _)| t.to_string()).collect(),
            matched,
        }
    }
}

type Cache = Mutex<Vec<(Option<PathBuf>, Arc<CandidateIndex>)>>;
static SHARED: Cache = Mutex::new(Vec::new());

/// The index of [`CandidateIndex::load`] for `atomics`, built once per process and shared by
/// every caller (the CLI, the workbench's assessments, eval) that asks for the same folder.
pub fn shared(atomics: Option<&Path>) -> Result<Arc<CandidateIndex>, CandidatesError> {
    let key = atomics.map(Path::to_path_buf);
    let mut cache = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, ix)) = cache.iter().find(|(k, _)| *k == key) {
        return Ok(ix.clone());
    }
    let ix = Arc::new(CandidateIndex::load(atomics)?);
    cache.push((key, ix.clone()));
    Ok(ix)
}

#[cfg(test)]
mod tests;
