"""One application's session through a Redis endpoint, with redis-py or valkey-py.

Run by tests/clients.rs against a plain redis-server (the control: every
check must pass there, or this script is wrong) and against the proxy. The
client is built with the library's defaults: only the port, and the
protocol when --protocol is given, are set.

Prints one line per check; on the first failure prints `FAIL <check>: ...`
to stderr and exits 1.
"""

import argparse
import importlib
import sys
import traceback


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--module", default="redis", choices=["redis", "valkey"])
    parser.add_argument(
        "--protocol",
        default="default",
        choices=["default", "2", "3"],
        help="RESP version to ask for; 'default' leaves the library's own",
    )
    parser.add_argument("--expect-version", help="fail unless the library is this version")
    args = parser.parse_args()

    lib = importlib.import_module(args.module)
    print(f"library: {args.module} {lib.__version__} from {lib.__file__}", flush=True)
    if args.expect_version and lib.__version__ != args.expect_version:
        fail("library version", f"expected {args.expect_version}, imported {lib.__version__}")

    options = {"port": args.port}
    if args.protocol != "default":
        options["protocol"] = int(args.protocol)
    client = getattr(lib, "Redis")(**options)

    # redis-py connects on the first command: with protocol 3 (redis-py 8's
    # default) that is where HELLO 3 is sent.
    check("ping", lambda: expect(client.ping(), True))

    def set_get():
        values = {"greeting": "hello", "unicode": "h\u00e9llo \u2603", "empty": ""}
        for key, value in values.items():
            expect(client.set(key, value), True, f"SET {key}")
        for key, value in values.items():
            expect(client.get(key), value.encode(), f"GET {key}")
        return f"{len(values)} keys"

    check("set/get", set_get)
    check("get missing key", lambda: expect(client.get("no-such-key"), None))

    def pipeline():
        # Non-transactional: twemproxy (and so the proxy) has no MULTI/EXEC,
        # and applications behind it pipeline with transaction=False. The
        # keys differ in their first bytes: twemproxy's fnv1a_64 keeps the
        # hash's low 32 bits, which put keys differing only at the end
        # (spread:0, spread:1...) next to each other on the ring.
        keys = [f"{i}:spread" for i in range(20)]
        pipe = client.pipeline(transaction=False)
        for i, key in enumerate(keys):
            pipe.set(key, f"v{i}")
        pipe.delete("counter")
        pipe.incr("counter")
        pipe.incr("counter")
        pipe.mget(keys + ["missing:spread"])
        replies = pipe.execute()
        expect(replies[: len(keys)], [True] * len(keys), "pipelined SETs")
        expect(replies[len(keys) + 1 : len(keys) + 3], [1, 2], "pipelined INCRs after DEL")
        expected = [f"v{i}".encode() for i in range(len(keys))] + [None]
        expect(replies[-1], expected, "pipelined MGET")
        return f"{len(replies)} replies, MGET of {len(keys) + 1} keys"

    check("pipeline with MGET", pipeline)

    def hash_():
        fields = {"name": "ada", "lang": "en", "visits": "3"}
        client.delete("user:1")
        expect(client.hset("user:1", mapping=fields), len(fields), "HSET")
        got = client.hgetall("user:1")
        expected = {k.encode(): v.encode() for k, v in fields.items()}
        expect(got, expected, "HGETALL")
        expect(type(got), dict, "HGETALL's type")
        return f"{len(got)} fields"

    check("hgetall", hash_)
    check("hgetall missing key", lambda: expect(client.hgetall("no-such-hash"), {}))
    client.close()
    print("all checks passed", flush=True)


class Mismatch(Exception):
    pass


def expect(got, want, what="reply"):
    if got != want:
        raise Mismatch(f"{what}: expected {want!r}, got {got!r}")


def check(name, body):
    try:
        detail = body()
    except Mismatch as e:
        fail(name, str(e))
    except Exception as e:  # noqa: BLE001 - any client error is a failed check
        fail(name, f"{type(e).__module__}.{type(e).__name__}: {e}", traceback.format_exc(limit=-3))
    print(f"ok {name}" + (f": {detail}" if detail else ""), flush=True)


def fail(name, message, details=None):
    if details:
        print(details, file=sys.stderr)
    print(f"FAIL {name}: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


if __name__ == "__main__":
    main()
