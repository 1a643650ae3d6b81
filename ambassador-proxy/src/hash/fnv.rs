//! The four FNV variants as twemproxy computes them. Note fnv1a_64, the
//! default: it keeps only 32 bits of state, using the low halves of the
//! 64-bit offset basis and prime.

use super::{signed32, signed64};

const OFFSET_64: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME_64: u64 = 0x0000_0100_0000_01b3;
const OFFSET_32: u32 = 0x811c_9dc5;
const PRIME_32: u32 = 0x0100_0193;

pub(super) fn fnv1_64(key: &[u8]) -> u32 {
    let hash = key
        .iter()
        .fold(OFFSET_64, |hash, &b| hash.wrapping_mul(PRIME_64) ^ signed64(b));
    hash as u32
}

pub(super) fn fnv1a_64(key: &[u8]) -> u32 {
    key.iter().fold(OFFSET_64 as u32, |hash, &b| {
        (hash ^ signed32(b)).wrapping_mul(PRIME_64 as u32)
    })
}

pub(super) fn fnv1_32(key: &[u8]) -> u32 {
    key.iter()
        .fold(OFFSET_32, |hash, &b| hash.wrapping_mul(PRIME_32) ^ signed32(b))
}

pub(super) fn fnv1a_32(key: &[u8]) -> u32 {
    key.iter()
        .fold(OFFSET_32, |hash, &b| (hash ^ signed32(b)).wrapping_mul(PRIME_32))
}
