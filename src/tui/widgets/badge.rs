//! Badges and marks: risk, cause, review state and assessment state as styled spans.

use ratatui::text::Span;

use crate::assess::AssessState;
use crate::event::{Cause, Risk};
use crate::tui::state::sessions::{ReviewMark, Shown};
use crate::tui::theme::{Role, Theme};

/// ` HIGH ` on the risk's colour; `compact` gives ` HI ` for narrow tables.
pub fn risk(theme: &Theme, r: Option<Risk>, compact: bool) -> Span<'static> {
    let text = match (r, compact) {
        (None, _) => " —  ".to_string(),
        (Some(Risk::Critical), true) => " CRIT ".into(),
        (Some(Risk::Medium), true) => " MED ".into(),
        (Some(r), _) => format!(" {} ", r.as_str().to_uppercase()),
    };
    Span::styled(text, theme.style(Role::risk(r)))
}

pub fn cause(theme: &Theme, c: Option<Cause>, compact: bool) -> Span<'static> {
    let text = match (c, compact) {
        (None, true) => "—",
        (None, false) => "no verdict",
        (Some(Cause::Malicious), true) => "mal",
        (Some(Cause::Legitimate), true) => "legit",
        (Some(Cause::Misconfiguration), true) => "misconf",
        (Some(c), false) => c.as_str(),
    };
    Span::styled(text.to_string(), theme.style(Role::cause(c)))
}

pub fn review(theme: &Theme, m: ReviewMark, compact: bool) -> Span<'static> {
    let (sym, word, role) = match m {
        ReviewMark::Unreviewed => ("·", "unreviewed", Role::ReviewUnreviewed),
        ReviewMark::Confirmed => ("✓", "✓ confirmed", Role::ReviewConfirmed),
        ReviewMark::Corrected => ("✎", "✎ corrected", Role::ReviewCorrected),
    };
    Span::styled(
        if compact { sym } else { word }.to_string(),
        theme.style(role),
    )
}

pub fn state_role(s: AssessState) -> Role {
    match s {
        AssessState::NotAssessed => Role::StateNotAssessed,
        AssessState::Queued => Role::StateQueued,
        AssessState::Running => Role::StateRunning,
        AssessState::Done => Role::StateDone,
        AssessState::FromCache => Role::StateCached,
        AssessState::Failed => Role::StateFailed,
    }
}

pub fn state_text(s: AssessState) -> &'static str {
    match s {
        AssessState::NotAssessed => "not assessed",
        AssessState::Queued => "queued",
        AssessState::Running => "running",
        AssessState::Done => "done",
        AssessState::FromCache => "from cache",
        AssessState::Failed => "failed",
    }
}

pub fn state(theme: &Theme, s: AssessState) -> Span<'static> {
    Span::styled(state_text(s).to_string(), theme.style(state_role(s)))
}

/// The verdict a session shows, in full: risk, cause and (when known) priority.
pub fn verdict(theme: &Theme, sh: &Shown) -> [Span<'static>; 4] {
    [
        risk(theme, sh.risk, false),
        Span::raw(" "),
        cause(theme, sh.cause, false),
        Span::styled(
            sh.priority.map(|p| format!("  P{p}")).unwrap_or_default(),
            theme.style(Role::Base),
        ),
    ]
}
