//! Bob Jenkins' one-at-a-time hash, over signed `char`s.

use super::signed32;

pub(super) fn hash(key: &[u8]) -> u32 {
    let mut value = key.iter().fold(0u32, |mut value, &b| {
        value = value.wrapping_add(signed32(b));
        value = value.wrapping_add(value << 10);
        value ^ (value >> 6)
    });
    value = value.wrapping_add(value << 3);
    value ^= value >> 11;
    value.wrapping_add(value << 15)
}
