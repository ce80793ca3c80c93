//! Strategies shared by the `Arbitrary` implementations (feature `arbitrary`).

use proptest::prelude::*;

use crate::primitives::StrictMap;

/// Extra entries for a `#[serde(flatten)]` field: their keys must not collide with the
/// struct's own fields, or the serialized object would hold a key twice.
pub(crate) fn extra_keys<V: Arbitrary + 'static>(
    reserved: &'static [&'static str],
) -> impl Strategy<Value = StrictMap<String, V>> {
    prop::collection::btree_map("[a-z_]{1,10}", any::<V>(), 0..4)
        .prop_map(move |entries| entries.into_iter().filter(|(key, _)| !reserved.contains(&key.as_str())).collect())
}
