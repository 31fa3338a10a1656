//! A time histogram of search hits: one bar per column over the hits' time span, with the span's
//! ends labelled below.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use crate::tui::fmt;
use crate::tui::theme::{Role, Theme};

/// Counts of `times` in `n` equal bins over their span; with the span's ends.
/// The first and last time the bins cover.
pub type TimeSpan = Option<(DateTime<Utc>, DateTime<Utc>)>;

pub fn bins(times: &[DateTime<Utc>], n: usize) -> (Vec<u64>, TimeSpan) {
    let n = n.max(1);
    let (Some(lo), Some(hi)) = (times.iter().min(), times.iter().max()) else {
        return (vec![0; n], None);
    };
    let span = (hi.timestamp_micros() - lo.timestamp_micros()).max(1) as i128;
    let mut out = vec![0u64; n];
    for t in times {
        let off = (t.timestamp_micros() - lo.timestamp_micros()) as i128;
        let i = ((off * n as i128) / (span + 1)) as usize;
        if let Some(b) = out.get_mut(i.min(n - 1)) {
            *b += 1;
        }
    }
    (out, Some((*lo, *hi)))
}

pub fn render(f: &mut Frame, area: Rect, theme: &Theme, times: &[DateTime<Utc>]) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let [chart, axis] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let (counts, span) = bins(times, area.width as usize);
    f.render_widget(
        Sparkline::default()
            .data(&counts)
            .style(theme.style(Role::Chart)),
        chart,
    );
    let label = match span {
        Some((lo, hi)) => {
            let left = fmt::time_secs(&lo);
            let right = fmt::time_secs(&hi);
            let peak = counts.iter().max().copied().unwrap_or(0);
            let mid = format!("peak {peak}/bin");
            let gap = (area.width as usize).saturating_sub(left.len() + right.len() + mid.len());
            let (l, r) = (gap / 2, gap - gap / 2);
            Line::from(vec![
                Span::styled(left, theme.style(Role::Dim)),
                Span::raw(" ".repeat(l)),
                Span::styled(mid, theme.style(Role::Dim)),
                Span::raw(" ".repeat(r)),
                Span::styled(right, theme.style(Role::Dim)),
            ])
        }
        None => Line::from(Span::styled(
            "no dated hits",
            theme.style(Role::Placeholder),
        )),
    };
    f.render_widget(Paragraph::new(label), axis);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_the_span() {
        let t = |s: i64| DateTime::from_timestamp(s, 0).unwrap();
        let (b, span) = bins(&[t(0), t(0), t(50), t(100)], 4);
        assert_eq!(b.iter().sum::<u64>(), 4);
        assert_eq!(b[0], 2);
        assert_eq!(b[3], 1);
        assert_eq!(span.unwrap().1, t(100));
        assert_eq!(bins(&[], 3).0, vec![0, 0, 0]);
    }
}
