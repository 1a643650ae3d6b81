//! What each source has shown about how it writes dates, so that an
//! ambiguous `03/04/2026` is read the way the same source wrote
//! `13/04/2026` a moment ago.

use std::collections::HashMap;

/// The order of day, month and year in a numeric date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// Day, month, year: `26/11/2026`.
    Dmy,
    /// Month, day, year: `11/26/2026`.
    Mdy,
    /// Year, month, day: a two-digit-year date `26/11/03` read as `yy/mm/dd`.
    Ymd,
}

/// What one source has shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct Evidence {
    order: Option<DateOrder>,
}

impl Evidence {
    /// Records an unambiguous date seen in this source (a field above 12).
    pub fn saw(&mut self, order: DateOrder) {
        self.order = Some(order);
    }

    /// The order this source last showed, if any.
    pub fn order(&self) -> Option<DateOrder> {
        self.order
    }
}

/// Evidence for every source, by name.
#[derive(Debug, Default)]
pub struct EvidenceBook {
    by_source: HashMap<String, Evidence>,
}

impl EvidenceBook {
    /// The evidence of `source`, empty for a source not seen before.
    pub fn of(&mut self, source: &str) -> &mut Evidence {
        // Look up first: the common case must not allocate the key.
        if !self.by_source.contains_key(source) {
            self.by_source.insert(source.to_owned(), Evidence::default());
        }
        self.by_source.get_mut(source).expect("inserted above")
    }
}
