//! Survey and engagement answers are counted once per id: a second row
//! with an id already read is rejected as `duplicate_id` (DESIGN.md §2),
//! never counted twice. Tickets keep their own rule (`duplicate_ticket_id`:
//! the last row is used, as a ticket row is a current state).

use std::collections::{HashMap, HashSet};

use crate::model::Relation;
use crate::rejects::{Rejects, RowKey};

/// The ids read so far in one read of one relation, as 64-bit hashes (a
/// backfill of a million answers keeps 8 MiB, not the ids' text).
pub struct FirstIds {
    relation: Relation,
    seen: HashSet<RowKey>,
    /// How often each id seen more than once was seen.
    again: HashMap<RowKey, u32>,
}

impl FirstIds {
    pub fn new(relation: Relation) -> FirstIds {
        FirstIds {
            relation,
            seen: HashSet::new(),
            again: HashMap::new(),
        }
    }

    /// Whether `id` is read for the first time; a later row with it is
    /// rejected in `rejects` (each extra row once: its occurrence number
    /// names it).
    pub fn first(&mut self, id: &str, rejects: &mut Rejects) -> bool {
        let key = RowKey::of(self.relation, "id", id);
        if self.seen.insert(key) {
            return true;
        }
        let n = self.again.entry(key).or_insert(1);
        *n += 1;
        rejects.add(
            self.relation,
            "duplicate_id",
            &format!("id={id}#{n}"),
            &format!("answer id {id} appears more than once; the first row read is counted"),
        );
        false
    }

    /// `rows` without the ones whose id was read before.
    pub fn keep<T>(
        &mut self,
        rows: Vec<T>,
        id: impl Fn(&T) -> &str,
        rejects: &mut Rejects,
    ) -> Vec<T> {
        rows.into_iter()
            .filter(|r| self.first(id(r), rejects))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_and_third_row_with_one_id_are_each_rejected_once() {
        let mut rejects = Rejects::default();
        let mut f = FirstIds::new(Relation::Surveys);
        let kept = f.keep(vec!["a", "b", "a", "a", "c"], |s| s, &mut rejects);
        assert_eq!(kept, vec!["a", "b", "c"]);
        assert_eq!(rejects.total(), 2);
        // The same rows read again in this run add nothing.
        let mut again = FirstIds::new(Relation::Surveys);
        again.keep(vec!["a", "a", "a"], |s| s, &mut rejects);
        assert_eq!(rejects.total(), 2);
    }
}
