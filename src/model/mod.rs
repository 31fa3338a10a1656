//! The value types the stages hand each other: sessions, rule hits, verdicts and assessments,
//! the learned prior's evidence. They sit below every stage so that `store` can persist them
//! and `assess` can read them without importing the stage that makes them.

pub mod candidate;
pub mod hit;
pub mod prior;
pub mod session;
pub mod verdict;

pub use candidate::Candidate;
pub use hit::Hit;
pub use prior::{
    ExampleRef, FewShotExample, PriorEvidence, PriorSource, STRONG_PRIOR_CONFIDENCE,
    STRONG_PRIOR_SCORE,
};
pub use session::{AccountTries, ActorKind, Session, SessionDetection, Timeline, TimelineLine};
pub use verdict::{ANSWER_FIELDS, AssessState, Assessment, Verdict};
