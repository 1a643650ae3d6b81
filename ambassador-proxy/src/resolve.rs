//! Server names to addresses without libc: the images are a static binary
//! FROM scratch, where glibc's `getaddrinfo` has no NSS modules to load.
//!
//! A name is looked up in the hosts file first (read again at every lookup,
//! so an edited file counts at once), then in DNS as `/etc/resolv.conf`
//! says (name servers, search domains, ndots), with hickory-resolver. DNS
//! answers are kept at most for the refresh interval, so a StatefulSet pod
//! that comes back with a new IP is found within it.
//!
//! When DNS does not answer at all (a timeout, an unreachable name server:
//! CoreDNS restarting, a UDP packet lost), the name's last answer is used,
//! as Envoy does: a DNS outage alone must not take the servers away. A
//! name that DNS says does not exist, or has no address, is not.

use std::collections::HashMap;
use std::fs::File;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use hickory_resolver::config::{ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::op::Query;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::{Hosts, TokioResolver};
use tracing::warn;

/// Where the resolver reads its configuration.
#[derive(Debug, Clone)]
pub struct ResolverFiles {
    /// The hosts file (`/etc/hosts`).
    pub hosts: PathBuf,
    /// The DNS configuration (`/etc/resolv.conf`).
    pub resolv_conf: PathBuf,
}

impl Default for ResolverFiles {
    fn default() -> Self {
        ResolverFiles {
            hosts: PathBuf::from("/etc/hosts"),
            resolv_conf: PathBuf::from("/etc/resolv.conf"),
        }
    }
}

/// Why a name has no address.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("cannot resolve '{name}': {reason}")]
pub struct ResolveError {
    /// The name.
    pub name: String,
    /// What went wrong.
    pub reason: String,
}

/// Resolves server names; shared by every server connection.
#[derive(Debug)]
pub struct Resolver {
    hosts: PathBuf,
    dns: TokioResolver,
    /// Each name's last DNS answer, for when DNS does not answer.
    last_answers: Mutex<HashMap<String, Vec<IpAddr>>>,
    /// How often a connected server's name is looked up again.
    pub refresh: Duration,
}

impl Resolver {
    /// A resolver reading `files`, keeping DNS answers at most `refresh`.
    pub fn new(files: &ResolverFiles, refresh: Duration) -> Resolver {
        let config = match std::fs::read(&files.resolv_conf)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                hickory_resolver::system_conf::parse_resolv_conf(text).map_err(|e| e.to_string())
            }) {
            Ok((config, options)) => (config, options),
            Err(e) => {
                // Names in the hosts file, and addresses, still work.
                warn!(file = %files.resolv_conf.display(), error = %e, "no DNS: cannot read the resolver configuration");
                (ResolverConfig::new(), ResolverOpts::default())
            }
        };
        let (config, options) = config;
        Resolver::with_dns(files.hosts.clone(), config, options, refresh)
    }

    fn with_dns(
        hosts: PathBuf,
        config: ResolverConfig,
        mut options: ResolverOpts,
        refresh: Duration,
    ) -> Resolver {
        options.use_hosts_file = ResolveHosts::Never;
        options.positive_max_ttl = Some(refresh);
        options.negative_max_ttl = Some(refresh);
        let dns = TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
            .with_options(options)
            .build();
        Resolver {
            hosts,
            dns,
            last_answers: Mutex::new(HashMap::new()),
            refresh,
        }
    }

    /// The addresses of `host`: itself when it is an address, else from the
    /// hosts file, else from DNS. DNS that gives no answer within `limit`
    /// (when given) counts as not answering: the last answer is used.
    pub async fn resolve(&self, host: &str, limit: Option<Duration>) -> Result<Vec<IpAddr>, ResolveError> {
        if let Ok(address) = host.parse::<IpAddr>() {
            return Ok(vec![address]);
        }
        let fail = |reason: String| ResolveError {
            name: host.to_owned(),
            reason,
        };
        let name = Name::from_str(host).map_err(|e| fail(e.to_string()))?;
        let from_hosts = hosts_lookup(&self.hosts, &name);
        if !from_hosts.is_empty() {
            return Ok(from_hosts);
        }
        let lookup = self.dns.lookup_ip(name);
        let looked_up = match limit {
            Some(limit) => tokio::time::timeout(limit, lookup)
                .await
                .map_err(|_| format!("no answer from DNS within {limit:?}")),
            None => Ok(lookup.await),
        };
        let no_answer = match looked_up {
            Ok(Ok(found)) => {
                let addresses: Vec<IpAddr> = found.iter().collect();
                self.last_answers().insert(host.to_owned(), addresses.clone());
                return Ok(addresses);
            }
            // DNS answered: the name has no address (any more).
            Ok(Err(e)) if e.is_nx_domain() || e.is_no_records_found() => return Err(fail(e.to_string())),
            Ok(Err(e)) => e.to_string(),
            Err(elapsed) => elapsed,
        };
        match self.last_answers().get(host) {
            Some(addresses) => {
                warn!(name = host, error = %no_answer, addresses = ?addresses, "DNS did not answer; using the name's last addresses");
                Ok(addresses.clone())
            }
            None => Err(fail(no_answer)),
        }
    }

    fn last_answers(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<IpAddr>>> {
        // Plain data, whole after any panic of a holder.
        self.last_answers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The addresses of `name` in the hosts file at `path`; none when the file
/// cannot be read or does not name it.
fn hosts_lookup(path: &Path, name: &Name) -> Vec<IpAddr> {
    let mut hosts = Hosts::default();
    if File::open(path)
        .and_then(|file| hosts.read_hosts_conf(file))
        .is_err()
    {
        return Vec::new();
    }
    [RecordType::A, RecordType::AAAA]
        .into_iter()
        .filter_map(|kind| hosts.lookup_static_host(&Query::query(name.clone(), kind)))
        .flat_map(|lookup| {
            lookup
                .iter()
                .filter_map(|data| match data {
                    RData::A(a) => Some(IpAddr::V4(a.0)),
                    RData::AAAA(aaaa) => Some(IpAddr::V6(aaaa.0)),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(hosts: &str, resolv_conf: &str) -> (Resolver, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let files = ResolverFiles {
            hosts: dir.path().join("hosts"),
            resolv_conf: dir.path().join("resolv.conf"),
        };
        std::fs::write(&files.hosts, hosts).unwrap();
        std::fs::write(&files.resolv_conf, resolv_conf).unwrap();
        (Resolver::new(&files, Duration::from_secs(5)), dir)
    }

    #[tokio::test]
    async fn addresses_are_themselves_and_names_come_from_the_hosts_file_read_each_time() {
        let (resolver, dir) = resolver(
            "# comment\n127.0.0.2 redis-st-0 redis-st-0.redis-svc\n::1 six\n",
            "nameserver 127.0.0.1\n",
        );
        assert_eq!(
            resolver.resolve("10.1.2.3", None).await.unwrap(),
            ["10.1.2.3".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(
            resolver.resolve("redis-st-0.redis-svc", None).await.unwrap(),
            ["127.0.0.2".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(
            resolver.resolve("six", None).await.unwrap(),
            ["::1".parse::<IpAddr>().unwrap()]
        );
        std::fs::write(dir.path().join("hosts"), "127.0.0.3 redis-st-0\n").unwrap();
        assert_eq!(
            resolver.resolve("redis-st-0", None).await.unwrap(),
            ["127.0.0.3".parse::<IpAddr>().unwrap()]
        );
    }

    /// What the test's DNS server does with a query.
    #[derive(Debug, Clone, Copy)]
    enum Answer {
        Address(std::net::Ipv4Addr),
        NoSuchName,
        Silence,
    }

    /// A real DNS server on a UDP port of 127.0.0.1, answering A queries
    /// as `answer` says at the time.
    async fn dns_server(answer: std::sync::Arc<Mutex<Answer>>) -> u16 {
        use hickory_resolver::proto::op::{Message, MessageType, OpCode, ResponseCode};
        use hickory_resolver::proto::rr::{rdata::A, Record};
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = socket.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = socket.recv_from(&mut buf).await {
                let query = Message::from_vec(&buf[..n]).unwrap();
                let mut reply = Message::new();
                reply
                    .set_id(query.id())
                    .set_message_type(MessageType::Response)
                    .set_op_code(OpCode::Query)
                    .set_recursion_desired(true)
                    .set_recursion_available(true)
                    .add_queries(query.queries().to_vec());
                let answer = *answer.lock().unwrap();
                match answer {
                    Answer::Silence => continue,
                    Answer::NoSuchName => {
                        reply.set_response_code(ResponseCode::NXDomain);
                    }
                    Answer::Address(address) => {
                        for asked in query.queries() {
                            if asked.query_type() == RecordType::A {
                                let data = RData::A(A(address));
                                reply.add_answer(Record::from_rdata(asked.name().clone(), 0, data));
                            }
                        }
                    }
                }
                socket.send_to(&reply.to_vec().unwrap(), from).await.unwrap();
            }
        });
        port
    }

    #[tokio::test]
    async fn when_dns_does_not_answer_the_last_answer_is_used_but_not_for_a_name_that_is_gone() {
        use hickory_resolver::config::NameServerConfigGroup;
        let answer = std::sync::Arc::new(Mutex::new(Answer::Address("10.0.0.7".parse().unwrap())));
        let port = dns_server(answer.clone()).await;
        let servers = NameServerConfigGroup::from_ips_clear(&["127.0.0.1".parse().unwrap()], port, true);
        let dir = tempfile::tempdir().unwrap();
        // hickory's own defaults: 5 s per attempt, 2 attempts.
        let resolver = Resolver::with_dns(
            dir.path().join("no-hosts-file"),
            ResolverConfig::from_parts(None, vec![], servers),
            ResolverOpts::default(),
            Duration::from_secs(5),
        );
        // Within 300 ms when DNS is silent, long before hickory gives up.
        let limit = Some(Duration::from_millis(300));
        let resolve = |name: &'static str| {
            let resolver = &resolver;
            async move {
                tokio::time::timeout(Duration::from_secs(3), resolver.resolve(name, limit))
                    .await
                    .expect("the limit bounds the lookup")
            }
        };
        let found = |addresses: &[&str]| {
            Ok::<_, ResolveError>(addresses.iter().map(|a| a.parse::<IpAddr>().unwrap()).collect())
        };
        assert_eq!(resolve("redis-st-0.redis-svc").await, found(&["10.0.0.7"]));

        *answer.lock().unwrap() = Answer::Silence;
        assert_eq!(resolve("redis-st-0.redis-svc").await, found(&["10.0.0.7"]));
        let error = resolve("never-answered.redis-svc").await.unwrap_err();
        assert_eq!(error.reason, "no answer from DNS within 300ms");

        *answer.lock().unwrap() = Answer::Address("10.0.0.8".parse().unwrap());
        assert_eq!(resolve("redis-st-0.redis-svc").await, found(&["10.0.0.8"]));

        *answer.lock().unwrap() = Answer::NoSuchName;
        let error = resolve("redis-st-0.redis-svc").await.unwrap_err();
        assert_eq!(error.name, "redis-st-0.redis-svc");
        assert!(error.reason.contains("no records found"), "{error}");
    }

    #[tokio::test]
    async fn an_unknown_name_is_an_error_that_names_it() {
        // No name server: DNS cannot answer, the error says which name.
        let (resolver, _dir) = resolver("127.0.0.2 known\n", "");
        let error = resolver.resolve("unknown.invalid", None).await.unwrap_err();
        assert_eq!(error.name, "unknown.invalid");
    }
}
