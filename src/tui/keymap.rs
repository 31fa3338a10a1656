//! The keymap: keys bound to named actions per context, from TOML (embedded default
//! `config/keymap.toml`, partial user overrides). The help overlay is generated from it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Context};

pub const DEFAULT_KEYMAP: &str = include_str!("../../config/keymap.toml");

/// A key with its modifiers, normalised so that `G` and `shift-g` are the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub fn from_event(ev: &KeyEvent) -> Key {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        // Shift is carried by the character itself (`G`), and BackTab already means shift-tab.
        let code = match ev.code {
            KeyCode::Tab if ev.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            c => c,
        };
        Key { code, ctrl, alt }
    }

    pub fn parse(spec: &str) -> Option<Key> {
        let mut rest = spec;
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                alt = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("shift-") {
                shift = true;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" if shift => KeyCode::BackTab,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "backspace" => KeyCode::Backspace,
            "delete" => KeyCode::Delete,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "space" => KeyCode::Char(' '),
            f if f.len() > 1 && f.starts_with('f') => {
                KeyCode::F(f[1..].parse().ok().filter(|n| (1..=12).contains(n))?)
            }
            c => {
                let mut chars = c.chars();
                let ch = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                let ch = if shift { ch.to_ascii_uppercase() } else { ch };
                KeyCode::Char(if ctrl { ch.to_ascii_lowercase() } else { ch })
            }
        };
        Some(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("keymap file {file}: {message}")]
    Invalid { file: String, message: String },
    #[error("keymap file {file}: unknown key `{key}`")]
    UnknownKey { file: String, key: String },
    #[error("keymap file {file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
}

/// One binding as the help overlay shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub action: Action,
    pub keys: Vec<Key>,
    pub desc: String,
}

#[derive(Debug, Clone)]
pub struct Keymap {
    /// Per context, bindings in file order (the help overlay keeps that order).
    contexts: BTreeMap<Context, Vec<Binding>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    keys: Option<Vec<String>>,
    desc: Option<String>,
}

impl Keymap {
    /// The embedded default keymap (checked by a test, so this cannot fail in practice).
    pub fn builtin() -> Keymap {
        let mut k = Keymap {
            contexts: BTreeMap::new(),
        };
        if let Err(e) = k.apply(DEFAULT_KEYMAP, "config/keymap.toml (embedded)", true) {
            // Unreachable with the tested embedded file; an empty keymap still lets `ctrl-c` quit.
            eprintln!("lookout: {e}");
        }
        k
    }

    /// Defaults, with the user's file applied when it exists.
    pub fn load(user_file: Option<&Path>) -> Result<Keymap, KeymapError> {
        let mut k = Keymap::builtin();
        if let Some(p) = user_file.filter(|p| p.exists()) {
            let file = p.display().to_string();
            let text = std::fs::read_to_string(p).map_err(|source| KeymapError::Read {
                file: file.clone(),
                source,
            })?;
            k.apply(&text, &file, false)?;
        }
        Ok(k)
    }

    /// Applies `text` over this keymap. Only the embedded file may introduce new
    /// (context, action) pairs; user files may rebind and re-describe them.
    pub fn apply(&mut self, text: &str, file: &str, define: bool) -> Result<(), KeymapError> {
        let invalid = |message: String| KeymapError::Invalid {
            file: file.to_string(),
            message,
        };
        let unknown = |key: String| KeymapError::UnknownKey {
            file: file.to_string(),
            key,
        };
        let table: toml::Table =
            toml::from_str(text).map_err(|e| invalid(e.message().to_string()))?;
        for (ctx_name, v) in table {
            let ctx = Context::from_name(&ctx_name).ok_or_else(|| unknown(ctx_name.clone()))?;
            let toml::Value::Table(entries) = v else {
                return Err(invalid(format!("`{ctx_name}` must be a table of actions")));
            };
            for (action_name, v) in entries {
                let path = format!("{ctx_name}.{action_name}");
                let action =
                    Action::from_name(&action_name).ok_or_else(|| unknown(path.clone()))?;
                let entry: Entry = v.try_into().map_err(|e: toml::de::Error| {
                    let m = e.message().to_string();
                    match m.split('`').nth(1) {
                        Some(field) if m.starts_with("unknown field") => {
                            unknown(format!("{path}.{field}"))
                        }
                        _ => invalid(format!("`{path}`: {m}")),
                    }
                })?;
                let keys = match &entry.keys {
                    Some(specs) => specs
                        .iter()
                        .map(|s| {
                            Key::parse(s)
                                .ok_or_else(|| invalid(format!("`{path}`: unknown key `{s}`")))
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                    None => Vec::new(),
                };
                let list = self.contexts.entry(ctx).or_default();
                match list.iter_mut().find(|b| b.action == action) {
                    Some(b) => {
                        if entry.keys.is_some() {
                            b.keys = keys;
                        }
                        if let Some(d) = entry.desc {
                            b.desc = d;
                        }
                    }
                    None if define => list.push(Binding {
                        action,
                        keys,
                        desc: entry.desc.unwrap_or_default(),
                    }),
                    None => return Err(unknown(path)),
                }
            }
        }
        // Help lists actions in their declaration order (TOML tables come back sorted by name).
        for list in self.contexts.values_mut() {
            list.sort_by_key(|b| b.action);
        }
        Ok(())
    }

    /// The action `key` means in the first context of `chain` that binds it.
    pub fn lookup(&self, chain: &[Context], key: Key) -> Option<Action> {
        chain.iter().find_map(|c| {
            self.contexts
                .get(c)?
                .iter()
                .find(|b| b.keys.contains(&key))
                .map(|b| b.action)
        })
    }

    pub fn bindings(&self, ctx: Context) -> &[Binding] {
        self.contexts.get(&ctx).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The first key bound to `action` in `ctx`, for hints in the status bar.
    pub fn hint(&self, ctx: Context, action: Action) -> String {
        self.bindings(ctx)
            .iter()
            .find(|b| b.action == action)
            .and_then(|b| b.keys.first())
            .map(|k| k.to_string())
            .unwrap_or_else(|| "?".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: false,
            alt: false,
        }
    }

    #[test]
    fn embedded_keymap_parses_and_binds() {
        let mut k = Keymap {
            contexts: BTreeMap::new(),
        };
        k.apply(DEFAULT_KEYMAP, "embedded", true).unwrap();
        assert_eq!(
            k.lookup(
                &[Context::Sessions, Context::Nav, Context::Global],
                key('j')
            ),
            Some(Action::Down)
        );
        assert_eq!(
            k.lookup(&[Context::Global], Key::parse("ctrl-c").unwrap()),
            Some(Action::ForceQuit)
        );
        assert_eq!(k.lookup(&[Context::Global], key('R')), Some(Action::Review));
        for (ctx, list) in &k.contexts {
            for b in list {
                assert!(
                    !b.desc.is_empty() && !b.keys.is_empty(),
                    "{:?} {:?}",
                    ctx,
                    b.action
                );
            }
        }
    }

    #[test]
    fn user_file_rebinds_partially_and_names_unknown_keys() {
        let mut k = Keymap::builtin();
        k.apply(
            "[sessions]\nsort_next = { keys = [\"o\"] }\n",
            "user.toml",
            false,
        )
        .unwrap();
        let chain = [Context::Sessions, Context::Nav];
        assert_eq!(k.lookup(&chain, key('o')), Some(Action::SortNext));
        assert_eq!(k.lookup(&chain, key('s')), None);
        assert_eq!(
            k.lookup(&chain, key('j')),
            Some(Action::Down),
            "others kept"
        );
        let e = k
            .apply(
                "[sessions]\nsortnext = { keys = [\"o\"] }\n",
                "user.toml",
                false,
            )
            .unwrap_err();
        assert!(
            e.to_string().contains("sessions.sortnext") && e.to_string().contains("user.toml"),
            "{e}"
        );
        let e = k.apply("[sesions]\n", "user.toml", false).unwrap_err();
        assert!(e.to_string().contains("sesions"), "{e}");
        let e = k
            .apply("[sessions]\nfilter = { key = [\"o\"] }\n", "u.toml", false)
            .unwrap_err();
        assert!(e.to_string().contains("sessions.filter.key"), "{e}");
        // An action that exists but not in this context is unknown here.
        let e = k
            .apply("[review]\nfilter = { keys = [\"o\"] }\n", "u.toml", false)
            .unwrap_err();
        assert!(e.to_string().contains("review.filter"), "{e}");
    }

    #[test]
    fn keys_parse_and_normalise() {
        assert_eq!(Key::parse("shift-g"), Some(key('G')));
        assert_eq!(
            Key::parse("shift-tab").map(|k| k.code),
            Some(KeyCode::BackTab)
        );
        assert_eq!(Key::parse("f5").map(|k| k.code), Some(KeyCode::F(5)));
        assert_eq!(
            Key::parse("ctrl-x").map(|k| (k.code, k.ctrl)),
            Some((KeyCode::Char('x'), true))
        );
        assert_eq!(Key::parse("nope"), None);
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&ev), key('G'));
        let ev = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&ev).code, KeyCode::BackTab);
    }
}
