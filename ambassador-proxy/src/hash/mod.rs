//! The hash functions of twemproxy, bit for bit, so that every key lands on
//! the server it landed on under twemproxy.
//!
//! Several of them read the key as C `char`, which is signed on x86: a byte
//! of 0x80 or more is sign-extended before it is mixed in. `signed32` and
//! `signed64` reproduce that; without them non-ASCII keys would move.

mod crc;
mod fnv;
mod hsieh;
mod jenkins;
mod murmur;
mod one_at_a_time;

use std::fmt;
use std::str::FromStr;

use md5::{Digest, Md5};

/// A hash function a pool can be configured with (`hash:` in the YAML).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashFunction {
    /// Bob Jenkins' one-at-a-time.
    OneAtATime,
    /// The first four bytes of the MD5 digest, little-endian.
    Md5,
    /// CRC-16 (XMODEM table) with twemproxy's unmasked 32-bit register.
    Crc16,
    /// Bits 16..31 of CRC-32, masked to 15 bits (libmemcached's variant).
    Crc32,
    /// Standard CRC-32.
    Crc32a,
    /// FNV-1, 64-bit, truncated to 32 bits.
    Fnv1_64,
    /// FNV-1a computed in 32 bits with the 64-bit constants (twemproxy's default).
    Fnv1a64,
    /// FNV-1, 32-bit.
    Fnv1_32,
    /// FNV-1a, 32-bit.
    Fnv1a32,
    /// Paul Hsieh's SuperFastHash.
    Hsieh,
    /// MurmurHash2 seeded with the key length.
    Murmur,
    /// Bob Jenkins' lookup3 (`hashlittle`), initial value 13.
    Jenkins,
}

impl HashFunction {
    /// Every hash function, in twemproxy's order.
    pub const ALL: [HashFunction; 12] = [
        HashFunction::OneAtATime,
        HashFunction::Md5,
        HashFunction::Crc16,
        HashFunction::Crc32,
        HashFunction::Crc32a,
        HashFunction::Fnv1_64,
        HashFunction::Fnv1a64,
        HashFunction::Fnv1_32,
        HashFunction::Fnv1a32,
        HashFunction::Hsieh,
        HashFunction::Murmur,
        HashFunction::Jenkins,
    ];

    /// The name used in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            HashFunction::OneAtATime => "one_at_a_time",
            HashFunction::Md5 => "md5",
            HashFunction::Crc16 => "crc16",
            HashFunction::Crc32 => "crc32",
            HashFunction::Crc32a => "crc32a",
            HashFunction::Fnv1_64 => "fnv1_64",
            HashFunction::Fnv1a64 => "fnv1a_64",
            HashFunction::Fnv1_32 => "fnv1_32",
            HashFunction::Fnv1a32 => "fnv1a_32",
            HashFunction::Hsieh => "hsieh",
            HashFunction::Murmur => "murmur",
            HashFunction::Jenkins => "jenkins",
        }
    }

    /// The 32-bit hash of `key`.
    pub fn hash(self, key: &[u8]) -> u32 {
        match self {
            HashFunction::OneAtATime => one_at_a_time::hash(key),
            HashFunction::Md5 => md5_word(key, 0),
            HashFunction::Crc16 => crc::crc16(key),
            HashFunction::Crc32 => crc::crc32(key),
            HashFunction::Crc32a => crc::crc32a(key),
            HashFunction::Fnv1_64 => fnv::fnv1_64(key),
            HashFunction::Fnv1a64 => fnv::fnv1a_64(key),
            HashFunction::Fnv1_32 => fnv::fnv1_32(key),
            HashFunction::Fnv1a32 => fnv::fnv1a_32(key),
            HashFunction::Hsieh => hsieh::hash(key),
            HashFunction::Murmur => murmur::hash(key),
            HashFunction::Jenkins => jenkins::hash(key),
        }
    }
}

impl fmt::Display for HashFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for HashFunction {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        HashFunction::ALL
            .into_iter()
            .find(|h| h.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = HashFunction::ALL.iter().map(|h| h.name()).collect();
                format!("unknown hash {name:?}; one of {}", known.join(", "))
            })
    }
}

/// Word `index` (0 to 3) of the MD5 digest of `bytes`, little-endian: the
/// `md5` hash is word 0, and ketama takes all four as ring points.
pub fn md5_word(bytes: &[u8], index: usize) -> u32 {
    let digest = Md5::digest(bytes);
    let word = &digest[index * 4..index * 4 + 4];
    u32::from_le_bytes([word[0], word[1], word[2], word[3]])
}

/// A key byte as C's signed `char` converted to `uint32_t`.
fn signed32(byte: u8) -> u32 {
    byte as i8 as i32 as u32
}

/// A key byte as C's signed `char` converted to `uint64_t`.
fn signed64(byte: u8) -> u64 {
    byte as i8 as i64 as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_vectors_for_apple() {
        let apple = b"apple";
        assert_eq!(HashFunction::Fnv1a64.hash(apple), 1_488_911_807);
        assert_eq!(HashFunction::Md5.hash(apple), 3_195_025_439);
        assert_eq!(HashFunction::Crc32.hash(apple), 10_542);
        assert_eq!(HashFunction::Crc32a.hash(apple), 2_838_417_488);
        assert_eq!(HashFunction::Crc16.hash(apple), 3_662_830_516);
        assert_eq!(HashFunction::Fnv1a32.hash(apple), 280_767_167);
        assert_eq!(HashFunction::Murmur.hash(apple), 4_142_305_122);
    }

    #[test]
    fn ketama_point_words() {
        assert_eq!(md5_word(b"server1-8", 0), 3_853_726_576);
        assert_eq!(md5_word(b"server1-8", 3), 2_667_054_752);
    }

    #[test]
    fn names_round_trip() {
        for h in HashFunction::ALL {
            assert_eq!(h.name().parse::<HashFunction>(), Ok(h));
        }
        assert!("sha1".parse::<HashFunction>().unwrap_err().contains("fnv1a_64"));
    }

    #[test]
    fn signed_char_extension() {
        assert_eq!(signed32(0x7f), 0x7f);
        assert_eq!(signed32(0x80), 0xffff_ff80);
        assert_eq!(signed64(0xff), u64::MAX);
    }
}
