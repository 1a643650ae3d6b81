//! What the proxy remembers about one client (its id, name, protocol and
//! whether it authenticated), the checks every request meets, and the
//! commands the proxy answers itself: PING, ECHO, QUIT, SELECT, AUTH,
//! CLIENT and HELLO here, INFO and COMMAND in [`crate::introspect`].

use bytes::{Bytes, BytesMut};

use crate::command::{lookup, Command, Route};
use crate::introspect;
use crate::pool::{Pending, PoolRuntime};
use crate::protocol::{bulk_reply, error_reply, null_reply, ok_reply, wrong_arity, Protocol};

/// One client's state.
#[derive(Debug)]
pub struct Session {
    id: u64,
    authenticated: bool,
    name: Option<Bytes>,
    protocol: Protocol,
}

impl Session {
    /// A new client `id` of a pool whose clients must AUTH when
    /// `needs_auth`.
    pub fn new(id: u64, needs_auth: bool) -> Session {
        Session {
            id,
            authenticated: !needs_auth,
            name: None,
            protocol: Protocol::Resp2,
        }
    }

    /// The client's id (`CLIENT ID`).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Serves one request: checked in Redis's order (unknown command,
    /// arity, authentication), then answered here or routed to servers.
    pub fn handle(&mut self, args: Vec<Bytes>, raw: Option<Bytes>, pool: &PoolRuntime) -> Pending {
        let Some(command) = lookup(&args[0]) else {
            return Pending::Ready(error_reply(&format!(
                "unknown or unsupported command '{}'",
                String::from_utf8_lossy(&args[0])
            )));
        };
        let origin = pool.count(command, self.id, self.protocol);
        let pending = if args.len() < command.min_args {
            Pending::Ready(wrong_arity(&args[0]))
        } else if !self.authenticated && !matches!(command.name, "AUTH" | "QUIT" | "HELLO") {
            Pending::Ready(error_reply("NOAUTH Authentication required."))
        } else {
            match command.route {
                Route::Local => match command.name {
                    "INFO" => introspect::info(pool, origin, &args[1..]),
                    "COMMAND" => introspect::command(pool, origin, &args),
                    _ => self.local(command, &args, pool),
                },
                Route::Unsupported(why) => Pending::Ready(error_reply(&format!(
                    "'{}' is not supported by ambassador-proxy: {why}",
                    command.name
                ))),
                // Counts its replies itself, when they come.
                _ => return pool.route(command, args, raw, origin),
            }
        };
        if let Pending::Ready(reply) | Pending::Close(reply) = &pending {
            pool.stats.replied(origin.command, reply, None);
        }
        pending
    }

    /// The commands answered from the session alone.
    fn local(&mut self, command: &Command, args: &[Bytes], pool: &PoolRuntime) -> Pending {
        Pending::Ready(match command.name {
            "PING" => match args.get(1) {
                Some(message) => bulk_reply(message),
                None => Bytes::from_static(b"+PONG\r\n"),
            },
            "ECHO" => bulk_reply(&args[1]),
            "QUIT" => return Pending::Close(ok_reply()),
            "SELECT" => match std::str::from_utf8(&args[1])
                .ok()
                .and_then(|db| db.parse::<u32>().ok())
            {
                Some(db) if db == pool.config.redis_db => ok_reply(),
                _ => error_reply(&format!(
                    "only database {} is served by this proxy (redis_db)",
                    pool.config.redis_db
                )),
            },
            "AUTH" => self.auth(&args[1..], pool),
            "CLIENT" => self.client(args),
            "HELLO" => self.hello(args, pool),
            _ => error_reply("not a local command"),
        })
    }

    fn client(&mut self, args: &[Bytes]) -> Bytes {
        match String::from_utf8_lossy(&args[1]).to_uppercase().as_str() {
            "SETNAME" if args.len() == 3 => {
                self.name = Some(args[2].clone());
                ok_reply()
            }
            "GETNAME" => self
                .name
                .as_deref()
                .map_or_else(|| null_reply(self.protocol), bulk_reply),
            "SETINFO" => ok_reply(),
            "ID" => Bytes::from(format!(":{}\r\n", self.id)),
            _ => error_reply("CLIENT supports SETNAME, GETNAME, SETINFO and ID through this proxy"),
        }
    }

    fn auth(&mut self, credentials: &[Bytes], pool: &PoolRuntime) -> Bytes {
        let Some(expected) = &pool.config.redis_auth else {
            return error_reply("Client sent AUTH, but no password is set");
        };
        let given: Vec<String> = credentials
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        let expected: Vec<&str> = expected.split_whitespace().collect();
        // `AUTH password` also matches an ACL `user password` setting by its password.
        let matches = given.iter().map(String::as_str).eq(expected.iter().copied())
            || (given.len() == 1 && expected.last() == Some(&given[0].as_str()));
        self.authenticated = matches;
        if matches {
            ok_reply()
        } else {
            error_reply("WRONGPASS invalid username-password pair or user is disabled.")
        }
    }

    /// `HELLO [protover [AUTH user pass] [SETNAME name]]`: switches the
    /// protocol, and answers with the server map as Redis does (a map in
    /// RESP3, a flat array in RESP2).
    fn hello(&mut self, args: &[Bytes], pool: &PoolRuntime) -> Bytes {
        let protocol = match args.get(1).map(|v| String::from_utf8_lossy(v).into_owned()) {
            None => self.protocol,
            Some(version) => match version.parse::<i64>() {
                Ok(2) => Protocol::Resp2,
                Ok(3) => Protocol::Resp3,
                Ok(_) => return error_reply("NOPROTO unsupported protocol version"),
                Err(_) => return error_reply("Protocol version is not an integer or out of range"),
            },
        };
        let mut i = 2;
        while i < args.len() {
            match String::from_utf8_lossy(&args[i]).to_uppercase().as_str() {
                "AUTH" if i + 2 < args.len() => {
                    let reply = self.auth(&args[i + 1..i + 3], pool);
                    if reply.first() == Some(&b'-') {
                        return reply;
                    }
                    i += 3;
                }
                "SETNAME" if i + 1 < args.len() => {
                    self.name = Some(args[i + 1].clone());
                    i += 2;
                }
                _ => {
                    return error_reply(&format!(
                        "Syntax error in HELLO option '{}'",
                        String::from_utf8_lossy(&args[i])
                    ))
                }
            }
        }
        if !self.authenticated {
            return error_reply(
                "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
                 HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and \
                 select the RESP protocol version at the same time",
            );
        }
        self.protocol = protocol;
        let proto: &'static [u8] = match protocol {
            Protocol::Resp2 => b":2\r\n",
            Protocol::Resp3 => b":3\r\n",
        };
        let fields: [(&str, Bytes); 7] = [
            ("server", bulk_reply(b"ambassador-proxy")),
            ("version", bulk_reply(env!("CARGO_PKG_VERSION").as_bytes())),
            ("proto", Bytes::from_static(proto)),
            ("id", Bytes::from(format!(":{}\r\n", self.id))),
            ("mode", bulk_reply(b"proxy")),
            ("role", bulk_reply(b"master")),
            ("modules", Bytes::from_static(b"*0\r\n")),
        ];
        let mut out = BytesMut::new();
        out.extend_from_slice(
            match protocol {
                Protocol::Resp2 => format!("*{}\r\n", fields.len() * 2),
                Protocol::Resp3 => format!("%{}\r\n", fields.len()),
            }
            .as_bytes(),
        );
        for (name, value) in fields {
            out.extend_from_slice(&bulk_reply(name.as_bytes()));
            out.extend_from_slice(&value);
        }
        out.freeze()
    }
}
