//! The ketama ring, as twemproxy's `ketama_update` builds it.
//!
//! Each live server gets points in proportion to its weight: 160 at an
//! equal share, computed in `f32` in twemproxy's exact order of operations
//! (with 25 equal servers that is 156 points, not 160). Points come four at
//! a time from the MD5 of `"<name>-<i>"`. A hash goes to the first point at
//! or after it, wrapping round to the first point.

use super::Member;
use crate::hash::md5_word;

const POINTS_PER_SERVER: f32 = 160.0;
const POINTS_PER_HASH: u32 = 4;

/// A sorted ring of `(point, server index)`.
#[derive(Debug, Clone, Default)]
pub struct Ketama {
    points: Vec<(u32, usize)>,
}

impl Ketama {
    /// Builds the ring over the live `members`.
    pub fn build(members: &[Member<'_>]) -> Ketama {
        let live = members.iter().filter(|m| m.live);
        let live_count = live.clone().count() as f32;
        let total_weight: u32 = live.map(|m| m.weight).sum();
        let mut points = Vec::new();
        for (index, member) in members.iter().enumerate().filter(|(_, m)| m.live) {
            for i in 0..points_for(member.weight, total_weight, live_count) / POINTS_PER_HASH {
                let host = format!("{}-{i}", member.name);
                for word in 0..POINTS_PER_HASH as usize {
                    points.push((md5_word(host.as_bytes(), word), index));
                }
            }
        }
        points.sort_by_key(|&(point, _)| point);
        Ketama { points }
    }

    /// The server index for `hash`; `None` for an empty ring.
    pub fn dispatch(&self, hash: u32) -> Option<usize> {
        let at = self.points.partition_point(|&(point, _)| point < hash);
        self.points
            .get(at)
            .or(self.points.first())
            .map(|&(_, index)| index)
    }
}

/// twemproxy's `floorf((float)(pct * 160 / 4 * nlive + 1e-10)) * 4`, where the
/// products are `float` and the tiny addend is `double`.
fn points_for(weight: u32, total_weight: u32, live_count: f32) -> u32 {
    let share = weight as f32 / total_weight as f32;
    let quarter_points = share * POINTS_PER_SERVER / 4.0 * live_count;
    let nudged = (f64::from(quarter_points) + 1e-10) as f32;
    (nudged.floor() * 4.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_per_server_follow_twemproxys_float_arithmetic() {
        assert_eq!(points_for(1, 1, 1.0), 160);
        assert_eq!(points_for(1, 2, 2.0), 160);
        assert_eq!(
            points_for(1, 25, 25.0),
            156,
            "f32 rounding loses a step at 25 servers"
        );
        assert_eq!(points_for(3, 4, 2.0), 240);
    }

    #[test]
    fn dispatch_takes_the_next_point_and_wraps() {
        let ring = Ketama {
            points: vec![(10, 0), (20, 1), (30, 2)],
        };
        assert_eq!(ring.dispatch(5), Some(0));
        assert_eq!(ring.dispatch(20), Some(1));
        assert_eq!(ring.dispatch(21), Some(2));
        assert_eq!(ring.dispatch(31), Some(0));
        assert_eq!(Ketama::default().dispatch(1), None);
    }
}
