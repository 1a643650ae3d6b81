//! ambassador-proxy: a consistent-hash Redis proxy that places keys exactly
//! as twemproxy does.
//!
//! The map, in the order a request meets it:
//!
//! - [`listen`]: accepting clients on each pool's address.
//! - [`client`]: one task per client: requests read, replies written in
//!   order, a client that does not read held back; [`session`]: what the
//!   proxy knows of a client, and the commands it answers itself
//!   ([`introspect`]: INFO and COMMAND, from the servers' answers).
//! - [`protocol`]: requests read as Redis reads them, replies (RESP2 and
//!   RESP3) found without recursion, limits.
//! - [`command`]: the command table: where each command's keys are.
//! - [`pool`]: a pool at run time, and the slot a reload swaps it in:
//!   routing to one server, fan-out, keys that must be together;
//!   [`fanout`] merges the parts' replies.
//! - [`placement`], [`hash`], [`distribution`]: which server a key goes to,
//!   bit for bit as twemproxy; [`eject`]: servers leaving and rejoining
//!   the ring (`auto_eject_hosts`).
//! - [`backend`]: one pipelined connection to a server, with reconnects;
//!   [`resolve`]: server names to addresses without libc.
//! - [`config`]: twemproxy's YAML, the malexer image's environment,
//!   defaults; [`serving`]: the pools' listeners and runtimes;
//!   [`reload`]: swapping in a changed configuration.
//! - [`stats`], [`metrics`]: twemproxy's stats JSON, Prometheus, probes.
//! - [`server`]: all of it together, from start to a graceful stop.
//! - [`cli`]: nutcracker's command line and ours; [`logging`]: its log,
//!   reopened and re-levelled by signals.

pub mod backend;
pub mod cli;
pub mod client;
pub mod command;
pub mod config;
pub mod distribution;
pub mod eject;
pub mod fanout;
pub mod hash;
pub mod introspect;
pub mod listen;
pub mod logging;
pub mod metrics;
pub mod placement;
pub mod pool;
pub mod protocol;
pub mod reload;
pub mod resolve;
pub mod server;
pub mod serving;
pub mod session;
pub mod stats;
