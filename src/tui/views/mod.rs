//! Drawing: one file per screen or overlay. Views only read the state.

mod assessment;
mod event;
mod form;
mod header;
mod help;
mod picker;
mod review;
pub(crate) mod rules;
mod search;
mod session;
mod sessions;
mod status;
mod timeline;

use ratatui::Frame;
use ratatui::widgets::Block;

use super::app::{App, Screen};
use super::layout;
use super::theme::Role;

pub fn draw(f: &mut Frame, app: &App) {
    let [head, _, foot] = layout::frame(app.size);
    f.render_widget(
        Block::default().style(app.theme.style(Role::Base)),
        f.area(),
    );
    header::render(f, head, app);
    match app.screen() {
        Screen::Sessions => sessions::render(f, app),
        Screen::Session => session::render(f, app),
        Screen::Search => search::render(f, app),
        Screen::Review => review::render(f, app),
    }
    status::render(f, foot, app);
    if let Some(form) = &app.form {
        form::render(f, app, form);
        if let Some(p) = &form.picker {
            picker::render(f, app, p);
        }
    }
    if app.help {
        help::render(f, app);
    }
    scrub(f.buffer_mut());
}

/// The last line of defence for untrusted text: the views sanitise what they show, and any
/// cell that still holds a control, bidi or invisible format character (one a view missed)
/// is blanked to `�` before the frame reaches the terminal. Cheap: one pass over the cells.
fn scrub(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        if cell.symbol().chars().any(crate::text::is_unsafe_char) {
            cell.set_symbol("\u{fffd}");
        }
    }
}
