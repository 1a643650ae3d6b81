//! What each source has shown about how it writes dates, so that an
//! ambiguous `03/04/2026` is read the way the same source wrote
//! `13/04/2026` a moment ago.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::format::Format;

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

/// What one stamp showed about its source's way of writing dates, taken
/// in when the stamp is the one chosen for its line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Learned {
    /// An unambiguous day-or-month order (a field above 12).
    pub order: Option<DateOrder>,
    /// The first and third fields of a `17/06/09`-like date.
    pub two_digit_fields: Option<(u32, u32)>,
}

/// What one source has shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct Evidence {
    order: Option<DateOrder>,
    /// Whether a two-digit-year date whose first field is above 12
    /// (`17/06/09`) is year first: learned from which field changes from
    /// line to line (the day does, the year does not).
    year_first: Option<bool>,
    /// The first and last fields of the last such date.
    last_fields: Option<(u32, u32)>,
    /// Where the last stamp stood: its offset, format and score.
    place: Option<(usize, Format, i32)>,
    /// The last stamp's instant.
    last: Option<DateTime<Utc>>,
}

impl Evidence {
    /// Whether this source writes a two-digit-year date whose first field
    /// is above 12 (`17/06/09`) year first, judging also by this one's
    /// first and third fields: the field that changes from line to line is
    /// the day.
    pub fn two_digit_year_first(&self, first: u32, third: u32) -> Option<bool> {
        match self.last_fields {
            Some((last_first, last_third)) if last_first == first && last_third != third => Some(true),
            Some((last_first, last_third)) if last_first != first && last_third == third => Some(false),
            _ => self.year_first,
        }
    }

    /// Takes in what a chosen stamp showed (see [`Learned`]).
    pub fn learn(&mut self, learned: Learned) {
        if let Some(order) = learned.order {
            self.order = Some(order);
        }
        if let Some((first, third)) = learned.two_digit_fields {
            self.year_first = self.two_digit_year_first(first, third);
            self.last_fields = Some((first, third));
        }
    }

    /// Where this source wrote its last stamp: offset, format, score.
    pub fn place(&self) -> Option<(usize, Format, i32)> {
        self.place
    }

    /// The instant of this source's last stamp.
    pub fn last(&self) -> Option<DateTime<Utc>> {
        self.last
    }

    /// Remembers the stamp just read: where it stood, and when it was.
    pub fn found(&mut self, place: (usize, Format, i32), instant: DateTime<Utc>) {
        self.place = Some(place);
        self.last = Some(instant);
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
