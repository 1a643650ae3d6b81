//! The CRC hashes. crc32 and crc32a are standard CRC-32 (crc32fast), the
//! first cut down to 15 bits as libmemcached does. crc16 is twemproxy 0.5.0's
//! own: the XMODEM table, but a 32-bit register that is never masked, so
//! the result is not a CRC-16 and exceeds 16 bits.

/// The CRC-16/XMODEM table (polynomial 0x1021), built at compile time.
const CRC16_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u32) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc & 0xffff;
        i += 1;
    }
    table
};

pub(super) fn crc16(key: &[u8]) -> u32 {
    key.iter().fold(0u32, |crc, &b| {
        (crc << 8) ^ CRC16_TABLE[(((crc >> 8) ^ u32::from(b)) & 0xff) as usize]
    })
}

pub(super) fn crc32(key: &[u8]) -> u32 {
    (crc32fast::hash(key) >> 16) & 0x7fff
}

pub(super) fn crc32a(key: &[u8]) -> u32 {
    crc32fast::hash(key)
}

#[cfg(test)]
mod tests {
    #[test]
    fn xmodem_table_known_entries() {
        assert_eq!(super::CRC16_TABLE[1], 0x1021);
        assert_eq!(super::CRC16_TABLE[255], 0x1ef0);
    }
}
