//! Named actions: what a key press means. The keymap binds keys to these by name, and the help
//! overlay lists them with the keymap's descriptions.

macro_rules! actions {
    ($($variant:ident => $name:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action { $($variant,)* }

        impl Action {
            pub const ALL: &[Action] = &[$(Action::$variant,)*];
            /// The action's name in keymap files.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name,)* }
            }
        }
    };
}

actions! {
    // global
    Quit => "quit",
    ForceQuit => "force_quit",
    Help => "help",
    Back => "back",
    Search => "search",
    Review => "review",
    // lists
    Up => "up",
    Down => "down",
    PageUp => "page_up",
    PageDown => "page_down",
    Top => "top",
    Bottom => "bottom",
    Open => "open",
    // sessions
    Filter => "filter",
    ClearFilter => "clear_filter",
    SortNext => "sort_next",
    SortReverse => "sort_reverse",
    DetectedOnly => "detected_only",
    UnreviewedOnly => "unreviewed_only",
    RiskFilter => "risk_filter",
    CauseFilter => "cause_filter",
    Assess => "assess",
    AssessVisible => "assess_visible",
    Correct => "correct",
    // session
    ToggleFull => "toggle_full",
    NextPane => "next_pane",
    PrevPane => "prev_pane",
    CancelAssess => "cancel_assess",
    // search
    EditQuery => "edit_query",
    // review
    Accept => "accept",
    Skip => "skip",
    Undo => "undo",
    // form
    NextField => "next_field",
    PrevField => "prev_field",
    Increase => "increase",
    Decrease => "decrease",
    Save => "save",
    Cancel => "cancel",
    Pick => "pick",
    RemoveTechnique => "remove_technique",
    // text input
    Submit => "submit",
    DeleteChar => "delete_char",
    ClearInput => "clear_input",
}

impl Action {
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }
}

/// Where a binding applies. Lookups walk from the most specific context to `global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    Nav,
    Sessions,
    Session,
    Search,
    Review,
    Form,
    Picker,
    Input,
    Help,
}

impl Context {
    pub const ALL: &[Context] = &[
        Context::Global,
        Context::Nav,
        Context::Sessions,
        Context::Session,
        Context::Search,
        Context::Review,
        Context::Form,
        Context::Picker,
        Context::Input,
        Context::Help,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Nav => "nav",
            Context::Sessions => "sessions",
            Context::Session => "session",
            Context::Search => "search",
            Context::Review => "review",
            Context::Form => "form",
            Context::Picker => "picker",
            Context::Input => "input",
            Context::Help => "help",
        }
    }
    pub fn from_name(name: &str) -> Option<Context> {
        Context::ALL.iter().copied().find(|c| c.name() == name)
    }
    /// Heading in the help overlay.
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Nav => "Lists",
            Context::Sessions => "Sessions",
            Context::Session => "Session",
            Context::Search => "Search",
            Context::Review => "Review queue",
            Context::Form => "Correction form",
            Context::Picker => "Technique picker",
            Context::Input => "Text input",
            Context::Help => "Help",
        }
    }
}
