//! Selection and scroll offset of a list or table: the part of list state `update` moves and
//! views read, so that only the visible rows are ever built.

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListNav {
    pub selected: usize,
    /// First visible row.
    pub offset: usize,
}

impl ListNav {
    /// Moves the selection by `delta` rows within `len`, keeping it visible in `height` rows.
    pub fn move_by(&mut self, delta: isize, len: usize, height: usize) {
        if len == 0 {
            *self = ListNav::default();
            return;
        }
        let max = len - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(max);
        self.follow(len, height);
    }

    pub fn select(&mut self, index: usize, len: usize, height: usize) {
        self.selected = index.min(len.saturating_sub(1));
        self.follow(len, height);
    }

    /// Clamps after the list or the viewport changed, and scrolls so the selection shows.
    pub fn follow(&mut self, len: usize, height: usize) {
        let height = height.max(1);
        self.selected = self.selected.min(len.saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        // Never leave empty rows at the bottom when the list could fill them.
        self.offset = self.offset.min(len.saturating_sub(height));
    }

    /// The index range to draw.
    pub fn window(&self, len: usize, height: usize) -> std::ops::Range<usize> {
        let start = self.offset.min(len);
        start..(start + height).min(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_selection_and_clamps() {
        let mut n = ListNav::default();
        n.move_by(15, 100, 10);
        assert_eq!((n.selected, n.offset), (15, 6));
        n.move_by(-10, 100, 10);
        assert_eq!((n.selected, n.offset), (5, 5));
        n.move_by(isize::MAX / 2, 100, 10);
        assert_eq!((n.selected, n.offset), (99, 90));
        n.follow(20, 10);
        assert_eq!((n.selected, n.offset), (19, 10));
        assert_eq!(n.window(20, 10), 10..20);
        n.move_by(1, 0, 10);
        assert_eq!(n, ListNav::default());
    }
}
