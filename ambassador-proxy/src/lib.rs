//! ambassador-proxy: a consistent-hash Redis proxy that places keys exactly
//! as twemproxy does.
//!
//! The map:
//!
//! - [`config`]: twemproxy's YAML, the malexer image's environment, defaults.
//! - [`hash`]: twemproxy's twelve hash functions, bit for bit.
//! - [`distribution`]: ketama, modula and random over the live servers.
//! - [`eject`]: servers leaving and rejoining the ring (`auto_eject_hosts`).
//! - [`pool`]: a pool's servers in twemproxy's order, hash tags, and the
//!   server a key goes to.

pub mod backend;
pub mod cli;
pub mod client;
pub mod command;
pub mod config;
pub mod distribution;
pub mod eject;
pub mod fanout;
pub mod hash;
pub mod listen;
pub mod metrics;
pub mod pool;
pub mod protocol;
pub mod proxy;
pub mod reload;
pub mod resolve;
pub mod stats;
