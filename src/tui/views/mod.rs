//! Drawing: one file per screen or overlay. Views only read the state.

mod assessment;
mod event;
mod form;
mod header;
mod help;
mod picker;
mod review;
mod rules;
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
}
