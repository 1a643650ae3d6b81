//! Flag values the binaries share, parsed the same way everywhere and
//! refused with a message that shows what would be accepted.

use std::time::Duration;

/// A duration such as `250ms`, `1s` or `2m`, more than zero.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let interval = humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 250ms, 1s, 2m)"))?;
    if interval.is_zero() {
        return Err("must be more than zero".into());
    }
    Ok(interval)
}

/// A size such as `65536`, `64KiB` or `4MiB`, at least one byte.
pub fn parse_size(text: &str) -> Result<usize, String> {
    match parse_size_or_zero(text)? {
        0 => Err(format!("size {text:?} must be at least 1 byte")),
        bytes => Ok(bytes),
    }
}

/// A size as [`parse_size`] reads it, where `0` is allowed too (a limit
/// that can be switched off).
pub fn parse_size_or_zero(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let multiplier: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1 << 10,
        "m" | "mib" | "mb" => 1 << 20,
        "g" | "gib" | "gb" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit {other:?} (use K, M, G, KiB, MiB, GiB)"
            ))
        }
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("expected a size like 65536, 64KiB or 1MiB, got {text:?}"))?;
    n.checked_mul(multiplier)
        .ok_or_else(|| format!("size {text:?} is more than {} bytes", usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("1 G"), Ok(1 << 30));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("0").is_err());
        assert_eq!(parse_size_or_zero("0"), Ok(0));
        assert_eq!(parse_size_or_zero("8MiB"), Ok(8 << 20));
        assert!(parse_size("5 parsecs").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("soon").is_err());
    }
}
