//! Terminal-friendly horizontal bar charts drawn with block characters (eighths of a cell).

/// Partial cells, by eighths.
const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/// One bar of `width` cells for `value` on a `0..=max` scale (clamped; padded with spaces).
pub fn bar(value: f64, max: f64, width: usize) -> String {
    let frac = if max > 0.0 && value.is_finite() {
        (value / max).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let eighths = (frac * width as f64 * 8.0).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    s.push_str(EIGHTHS[eighths % 8]);
    let drawn = eighths.div_ceil(8);
    s.push_str(&" ".repeat(width.saturating_sub(drawn)));
    s
}

/// A labelled chart, one line per row: `name  ██████▌     0.81`. `n/a` rows get no bar;
/// negative values (MCC) get an empty bar and keep their sign in the figure.
pub fn bar_chart(rows: &[(&str, Option<f64>)], max: f64, width: usize) -> String {
    let name_w = rows
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (name, value) in rows {
        let pad = " ".repeat(name_w - name.chars().count());
        let (b, v) = match value {
            Some(v) => (bar(*v, max, width), format!("{v:.2}")),
            None => (" ".repeat(width), "n/a".to_string()),
        };
        out.push_str(&format!("{name}{pad}  {b}  {v}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_use_eighths_and_keep_their_width() {
        assert_eq!(bar(1.0, 1.0, 4), "████");
        assert_eq!(bar(0.5, 1.0, 4), "██  ");
        // 0.3 of 4 cells = 1.2 cells = 9.6 eighths -> 10 eighths = one cell and a quarter.
        assert_eq!(bar(0.3, 1.0, 4), "█▎  ");
        assert_eq!(bar(-0.2, 1.0, 3), "   ");
        assert_eq!(bar(f64::NAN, 1.0, 2), "  ");
        assert_eq!(bar(2.0, 0.0, 2), "  ");
    }

    #[test]
    fn chart_aligns_names_and_shows_na() {
        let c = bar_chart(
            &[("rules", Some(0.5)), ("model", None), ("x", Some(-0.1))],
            1.0,
            4,
        );
        assert_eq!(
            c,
            "rules  ██    0.50\nmodel        n/a\nx            -0.10\n"
        );
    }
}
