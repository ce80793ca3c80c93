//! A twin that also keeps where its value lies in the message text: the fields the
//! conversation rules read (`#[twin(note = SLOT)]`), so that a capture checker finds their
//! values without reading the message again.

use std::ops::Range;

use serde::{Deserialize, Deserializer};

use super::layout::{Layout, TokenReader};
use super::{Facts, HasFacts};

/// The twin `T` of a noted field, and the byte range its value took in the text (when the
/// layout read it; serde gives no positions).
pub(crate) struct Noted<T, const SLOT: usize> {
    pub(crate) value: T,
    span: Option<Range<usize>>,
}

impl<'de, T: Deserialize<'de>, const SLOT: usize> Deserialize<'de> for Noted<T, SLOT> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Noted { value: T::deserialize(deserializer)?, span: None })
    }
}

impl<T: Layout, const SLOT: usize> Layout for Noted<T, SLOT> {
    fn read(reader: &mut TokenReader<'_>) -> Option<Self> {
        let start = reader.value_start();
        let value = T::read(reader)?;
        Some(Noted { value, span: Some(start..reader.position()) })
    }
}

impl<T: HasFacts, const SLOT: usize> HasFacts for Noted<T, SLOT> {
    fn add_facts(&self, facts: &mut Facts) {
        self.value.add_facts(facts);
        if let Some(span) = &self.span {
            facts.notes[SLOT] = Some(span.clone());
        }
    }
}
