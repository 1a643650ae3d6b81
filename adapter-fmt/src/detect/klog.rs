//! Kubernetes klog headers: `I1126 18:03:08.123456    1 main.go:42] msg`.
//! The severity letter stays in the message; the stamp has no year.

use super::{Format, Parts, Read};
use crate::cursor::Cursor;

/// `[IWEF]MMDD hh:mm:ss.ffffff`, at the start of a line only.
pub(super) fn parse(line: &[u8], pos: usize) -> Option<Read> {
    if pos != 0 || !matches!(line.first(), Some(b'I' | b'W' | b'E' | b'F')) {
        return None;
    }
    let mut c = Cursor::new(line, 1);
    // glog writes the year too: `I20210131 14:48:54.411655`.
    let year = {
        let mut probe = c;
        probe
            .digits(4)
            .filter(|_| probe.digits(4).is_some() && probe.peek() == Some(b' '))
    };
    if let Some(year) = year {
        c = Cursor::new(line, 5);
        let month = c.digits(2)?;
        let day = c.digits(2)?;
        c.require(b' ')?;
        let mut parts = Parts {
            year: Some(year as i32),
            month,
            day,
            ..Parts::default()
        };
        super::time_of_day(&mut c, &mut parts, false)?;
        return c.at_boundary().then_some((parts, Format::Klog, 1..c.pos()));
    }
    let month = c.digits(2)?;
    let day = c.digits(2)?;
    c.require(b' ')?;
    let (hour, minute, second) = c.clock(false)?;
    let (nanos, precision) = c.fraction().unwrap_or((0, 0));
    let parts = Parts {
        month,
        day,
        hour,
        minute,
        second,
        nanos,
        precision,
        ..Parts::default()
    };
    c.at_boundary().then_some((parts, Format::Klog, 1..c.pos()))
}
