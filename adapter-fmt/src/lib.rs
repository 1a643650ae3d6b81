//! adapter-fmt reads log lines, finds their timestamps whatever the format,
//! and writes every line as a record in one common format.
//!
//! The map, in the order data flows:
//!
//! - input: stdin, or files followed with sidecar-tail's [`sidecar_tail::Tailer`].
//! - [`detect`]: finds the timestamp of a line; one module per format
//!   family, built from [`cursor`]'s small readers; [`format`] names them.
//! - [`evidence`]: what each source has shown about its date order.
//! - [`zone`]: zone offsets, abbreviations and user-named zones.
//! - [`fields`]: `--regex`, the user's named captures as fields.
//! - [`record`]: a line's timestamp and message; [`severity`]: its level.
//! - [`encode`]: NDJSON (our fields, OpenTelemetry's or ECS's), text or logfmt.
//! - [`pipeline`]: ties these together and counts what it did.
//! - [`hub`]: the ring buffer of recent records, bounded in records and bytes, which readers and followers take from by number.
//! - [`server`]: HTTP through hyper: `/logs`, `/logs?follow=true`, `/healthz`, `/metrics`.
//! - [`cli`]: the binary's flags.

pub mod cli;
pub mod cursor;
pub mod detect;
pub mod encode;
pub mod evidence;
pub mod fields;
pub mod format;
pub mod hub;
pub mod pipeline;
pub mod record;
pub mod server;
pub mod severity;
pub mod zone;
