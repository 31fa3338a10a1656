//! Many small writes in few transactions: a commit per write is what made the instant verdicts
//! of a large case slow (each its own transaction), and one transaction for all of them would
//! hold the write lock for the whole pass.

use super::{Result, Store};

/// An open run of writes on one [`Store`]; see [`Store::batch`].
pub struct Batch<'a> {
    store: &'a Store,
    every: usize,
    writes: usize,
    /// A transaction is open (false once committed for good, or when a begin failed).
    open: bool,
}

impl Store {
    /// Groups this connection's single-statement writes (cached verdicts, for one) into
    /// transactions of `every` writes, each counted by [`Batch::wrote`]. Writes not committed
    /// when the batch is dropped without [`Batch::finish`] (an error) are rolled back: they
    /// were cache entries, made again on the next pass.
    pub fn batch(&self, every: usize) -> Result<Batch<'_>> {
        self.begin_batch()?;
        Ok(Batch {
            store: self,
            every: every.max(1),
            writes: 0,
            open: true,
        })
    }
}

impl Batch<'_> {
    /// Counts one write; commits and begins the next transaction every `every` writes.
    pub fn wrote(&mut self) -> Result<()> {
        self.writes += 1;
        if self.writes >= self.every {
            self.store.commit_batch()?;
            self.open = false;
            self.writes = 0;
            self.store.begin_batch()?;
            self.open = true;
        }
        Ok(())
    }

    /// Commits the writes not committed yet.
    pub fn finish(mut self) -> Result<()> {
        self.open = false;
        self.store.commit_batch()
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing to report to: the error that dropped the batch is on its way up.
            let _ = self.store.rollback_batch();
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[test]
    fn writes_commit_in_groups_and_a_dropped_batch_rolls_back_its_last_group() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lookout.db");
        let store = Store::open(&path).unwrap();
        let other = Store::open(&path).unwrap();
        let cases = |s: &Store| s.cases().unwrap().len();
        let mut batch = store.batch(3).unwrap();
        for i in 0..4 {
            store.ensure_case(&format!("c{i}")).unwrap();
            batch.wrote().unwrap();
        }
        // The first three are committed, the fourth not yet.
        assert_eq!(cases(&other), 3);
        drop(batch);
        assert_eq!(cases(&store), 3);
        let batch = store.batch(3).unwrap();
        store.ensure_case("c3").unwrap();
        batch.finish().unwrap();
        assert_eq!(cases(&other), 4);
    }
}
