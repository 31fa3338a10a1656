//! Themes: named style roles loaded from TOML (embedded defaults in `themes/`, partial user
//! overrides in the user config dir). Widgets ask for a [`Role`], never for a colour.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

/// Embedded themes, complete (a test checks every role is set in each).
const EMBEDDED: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// Role groups: a table under one of these names holds roles (`[risk] high = {…}`).
const GROUPS: &[&str] = &["risk", "cause", "review", "state", "syntax"];

macro_rules! roles {
    ($($variant:ident => $name:literal,)*) => {
        /// A styling role; the theme maps each to a style.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Role { $($variant,)* }

        impl Role {
            pub const ALL: &[Role] = &[$(Role::$variant,)*];
            /// The role's name in theme files (`risk.critical`, `selection`).
            pub fn name(self) -> &'static str {
                match self { $(Role::$variant => $name,)* }
            }
        }
    };
}

roles! {
    Base => "base",
    Dim => "dim",
    Title => "title",
    Border => "border",
    BorderFocus => "border_focus",
    Header => "header",
    Selection => "selection",
    Status => "status",
    Error => "error",
    Key => "key",
    Tab => "tab",
    TabActive => "tab_active",
    Input => "input",
    Placeholder => "placeholder",
    Match => "match",
    Chart => "chart",
    RuleHit => "rule_hit",
    Evidence => "evidence",
    RiskNone => "risk.none",
    RiskLow => "risk.low",
    RiskMedium => "risk.medium",
    RiskHigh => "risk.high",
    RiskCritical => "risk.critical",
    CauseMalicious => "cause.malicious",
    CauseLegitimate => "cause.legitimate",
    CauseMisconfiguration => "cause.misconfiguration",
    CauseUnknown => "cause.unknown",
    ReviewConfirmed => "review.confirmed",
    ReviewCorrected => "review.corrected",
    ReviewUnreviewed => "review.unreviewed",
    StateNotAssessed => "state.not_assessed",
    StateQueued => "state.queued",
    StateRunning => "state.running",
    StateDone => "state.done",
    StateCached => "state.cached",
    StateFailed => "state.failed",
    SyntaxPlain => "syntax.plain",
    SyntaxKey => "syntax.key",
    SyntaxString => "syntax.string",
    SyntaxNumber => "syntax.number",
    SyntaxLiteral => "syntax.literal",
    SyntaxPunct => "syntax.punct",
    SyntaxTag => "syntax.tag",
    SyntaxAttr => "syntax.attr",
    SyntaxComment => "syntax.comment",
    SyntaxTime => "syntax.time",
    SyntaxHost => "syntax.host",
}

impl Role {
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.name() == name)
    }
    pub fn risk(risk: Option<crate::event::Risk>) -> Role {
        use crate::event::Risk;
        match risk {
            None => Role::RiskNone,
            Some(Risk::Low) => Role::RiskLow,
            Some(Risk::Medium) => Role::RiskMedium,
            Some(Risk::High) => Role::RiskHigh,
            Some(Risk::Critical) => Role::RiskCritical,
        }
    }
    pub fn cause(cause: Option<crate::event::Cause>) -> Role {
        use crate::event::Cause;
        match cause {
            None => Role::CauseUnknown,
            Some(Cause::Malicious) => Role::CauseMalicious,
            Some(Cause::Legitimate) => Role::CauseLegitimate,
            Some(Cause::Misconfiguration) => Role::CauseMisconfiguration,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("theme file {file}: {message}")]
    Invalid { file: String, message: String },
    #[error("theme file {file}: unknown key `{key}`")]
    UnknownKey { file: String, key: String },
    #[error(
        "unknown theme `{name}` (built in: dark, light, high-contrast, colorblind, mono; or a file {dir}/NAME.toml)"
    )]
    UnknownTheme { name: String, dir: String },
    #[error("theme file {file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
}

/// A loaded theme: one style per role.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: Vec<Style>,
}

impl Theme {
    pub fn style(&self, role: Role) -> Style {
        self.styles.get(role as usize).copied().unwrap_or_default()
    }

    /// The built-in dark theme (cannot fail: its file is checked by a test).
    pub fn builtin_dark() -> Theme {
        Self::embedded("dark").unwrap_or_else(|_| Theme::blank("dark"))
    }

    fn blank(name: &str) -> Theme {
        Theme {
            name: name.to_string(),
            styles: vec![Style::default(); Role::ALL.len()],
        }
    }

    /// An embedded theme by name.
    pub fn embedded(name: &str) -> Result<Theme, ThemeError> {
        let text = EMBEDDED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .ok_or_else(|| ThemeError::UnknownTheme {
                name: name.to_string(),
                dir: "themes".into(),
            })?;
        let mut t = Theme::blank(name);
        t.apply_toml(text, &format!("themes/{name}.toml (embedded)"))?;
        Ok(t)
    }

    /// Resolves `name`: the embedded theme of that name (or `inherits`, default dark) with the
    /// user's `themes/NAME.toml` from `user_dir` applied on top. With `no_color` the result
    /// keeps only modifiers, from the `mono` theme, as NO_COLOR asks.
    pub fn load(name: &str, user_dir: Option<&Path>, no_color: bool) -> Result<Theme, ThemeError> {
        if no_color {
            return Self::embedded("mono");
        }
        let user_file = user_dir.map(|d| d.join("themes").join(format!("{name}.toml")));
        let user_text = match &user_file {
            Some(p) if p.exists() => Some(read(p)?),
            _ => None,
        };
        let base_name = match &user_text {
            Some(text) => inherits(text, user_file.as_deref())?.unwrap_or_else(|| name.to_string()),
            None => name.to_string(),
        };
        let mut theme = match Self::embedded(&base_name) {
            Ok(t) => t,
            Err(ThemeError::UnknownTheme { .. }) if user_text.is_some() => Self::embedded("dark")?,
            Err(ThemeError::UnknownTheme { .. }) => {
                let dir = user_dir
                    .map(|d| d.join("themes"))
                    .unwrap_or_else(|| PathBuf::from("themes"));
                return Err(ThemeError::UnknownTheme {
                    name: name.to_string(),
                    dir: dir.display().to_string(),
                });
            }
            Err(e) => return Err(e),
        };
        if let (Some(text), Some(file)) = (user_text, user_file) {
            theme.apply_toml(&text, &file.display().to_string())?;
        }
        theme.name = name.to_string();
        Ok(theme)
    }

    /// Applies the roles set in `text` over this theme (partial override).
    pub fn apply_toml(&mut self, text: &str, file: &str) -> Result<(), ThemeError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| ThemeError::Invalid {
            file: file.to_string(),
            message: e.message().to_string(),
        })?;
        for (key, value) in table {
            match (key.as_str(), value) {
                ("inherits" | "description", _) => {}
                (group, toml::Value::Table(t)) if GROUPS.contains(&group) => {
                    for (k, v) in t {
                        self.set(&format!("{group}.{k}"), &v, file)?;
                    }
                }
                (k, v) => self.set(k, &v, file)?,
            }
        }
        Ok(())
    }

    fn set(&mut self, role_name: &str, v: &toml::Value, file: &str) -> Result<(), ThemeError> {
        let role = Role::from_name(role_name).ok_or_else(|| ThemeError::UnknownKey {
            file: file.to_string(),
            key: role_name.to_string(),
        })?;
        let style = parse_style(role_name, v, file)?;
        if let Some(slot) = self.styles.get_mut(role as usize) {
            *slot = style;
        }
        Ok(())
    }

    /// Role names a theme file sets (for the completeness test).
    pub fn roles_in(text: &str) -> Vec<String> {
        let Ok(table) = toml::from_str::<toml::Table>(text) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in table {
            match v {
                toml::Value::Table(t) if GROUPS.contains(&k.as_str()) => {
                    out.extend(t.keys().map(|r| format!("{k}.{r}")))
                }
                _ if k == "inherits" || k == "description" => {}
                _ => out.push(k),
            }
        }
        out
    }

    pub fn embedded_sources() -> &'static [(&'static str, &'static str)] {
        EMBEDDED
    }
}

fn read(p: &Path) -> Result<String, ThemeError> {
    std::fs::read_to_string(p).map_err(|source| ThemeError::Read {
        file: p.display().to_string(),
        source,
    })
}

fn inherits(text: &str, file: Option<&Path>) -> Result<Option<String>, ThemeError> {
    let file = file.map(|f| f.display().to_string()).unwrap_or_default();
    let table: toml::Table = toml::from_str(text).map_err(|e| ThemeError::Invalid {
        file: file.clone(),
        message: e.message().to_string(),
    })?;
    match table.get("inherits") {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ThemeError::Invalid {
            file,
            message: "`inherits` must be a theme name".into(),
        }),
    }
}

/// `{ fg = "#rrggbb", bg = "black", bold = true, … }`; unknown attributes are errors.
fn parse_style(role: &str, v: &toml::Value, file: &str) -> Result<Style, ThemeError> {
    let invalid = |message: String| ThemeError::Invalid {
        file: file.to_string(),
        message,
    };
    let toml::Value::Table(t) = v else {
        return Err(invalid(format!(
            "`{role}` must be a table like {{ fg = \"red\", bold = true }}"
        )));
    };
    let mut style = Style::default();
    let attrs: BTreeMap<&str, Modifier> = [
        ("bold", Modifier::BOLD),
        ("italic", Modifier::ITALIC),
        ("underline", Modifier::UNDERLINED),
        ("reversed", Modifier::REVERSED),
        ("dim", Modifier::DIM),
    ]
    .into_iter()
    .collect();
    for (k, val) in t {
        match (k.as_str(), val) {
            ("fg" | "bg", toml::Value::String(s)) => {
                let c = Color::from_str(s)
                    .map_err(|_| invalid(format!("`{role}.{k}`: unknown colour `{s}`")))?;
                style = if k == "fg" { style.fg(c) } else { style.bg(c) };
            }
            (a, toml::Value::Boolean(on)) if attrs.contains_key(a) => {
                if *on {
                    style = style.add_modifier(attrs[a]);
                }
            }
            _ => {
                return Err(ThemeError::UnknownKey {
                    file: file.to_string(),
                    key: format!("{role}.{k}"),
                });
            }
        }
    }
    Ok(style)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_themes_set_every_role() {
        for (name, text) in EMBEDDED {
            let set = Theme::roles_in(text);
            for r in Role::ALL {
                assert!(
                    set.iter().any(|s| s == r.name()),
                    "theme {name} lacks role {}",
                    r.name()
                );
            }
            Theme::embedded(name).unwrap();
        }
    }

    #[test]
    fn mono_has_no_colours() {
        let t = Theme::embedded("mono").unwrap();
        for r in Role::ALL {
            let s = t.style(*r);
            assert!(
                s.fg.is_none() && s.bg.is_none(),
                "mono role {} has a colour",
                r.name()
            );
        }
        assert!(
            t.style(Role::Selection)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
    }

    #[test]
    fn user_file_overrides_partially_and_unknown_keys_name_key_and_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        let f = dir.path().join("themes/dark.toml");
        std::fs::write(&f, "[risk]\ncritical = { fg = \"#010203\" }\n").unwrap();
        let t = Theme::load("dark", Some(dir.path()), false).unwrap();
        assert_eq!(t.style(Role::RiskCritical).fg, Some(Color::Rgb(1, 2, 3)));
        assert_eq!(
            t.style(Role::Selection),
            Theme::builtin_dark().style(Role::Selection)
        );

        std::fs::write(&f, "[risk]\ncritcal = { fg = \"red\" }\n").unwrap();
        let e = Theme::load("dark", Some(dir.path()), false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("risk.critcal") && e.contains("dark.toml"), "{e}");
        std::fs::write(&f, "selection = { fgg = \"red\" }\n").unwrap();
        let e = Theme::load("dark", Some(dir.path()), false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("selection.fgg"), "{e}");
    }

    #[test]
    fn new_user_theme_inherits() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        std::fs::write(
            dir.path().join("themes/mine.toml"),
            "inherits = \"light\"\nbase = { fg = \"red\" }\n",
        )
        .unwrap();
        let t = Theme::load("mine", Some(dir.path()), false).unwrap();
        assert_eq!(t.style(Role::Base).fg, Some(Color::Red));
        assert_eq!(
            t.style(Role::Selection),
            Theme::embedded("light").unwrap().style(Role::Selection)
        );
        assert!(Theme::load("nope", Some(dir.path()), false).is_err());
    }
}
