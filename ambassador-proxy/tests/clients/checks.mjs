// Helpers shared by node_client.mjs and ioredis_client.mjs: argument
// parsing, loading the pinned library from the install directory, the
// application session both run (`session`), and the checks' output (one
// line per check; `FAIL <check>: ...` on stderr and exit code 1 at the
// first failure).

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual, inspect } from 'node:util';

/** How long one check may take before it fails (a proxy that never answers). */
const CHECK_TIMEOUT_MS = 10_000;

/** `--name value` pairs from the command line. */
export function parseArgs(defaults) {
  const args = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in args) || i + 1 >= argv.length) {
      fail('arguments', `unknown or incomplete argument ${argv[i]}; known: ${Object.keys(args).join(', ')}`);
    }
    args[name] = argv[i + 1];
  }
  for (const [name, value] of Object.entries(args)) {
    if (value === undefined) fail('arguments', `--${name} is required`);
  }
  return args;
}

/**
 * `require`s package `name` from `modulesDir` (the directory holding the
 * installed node_modules, under target/), prints its version, and fails
 * unless it is `expectVersion` (when given).
 */
export function load(modulesDir, name, expectVersion) {
  const require = createRequire(join(modulesDir, 'node_modules', '_'));
  const packageJson = join(modulesDir, 'node_modules', name, 'package.json');
  let version;
  try {
    version = JSON.parse(readFileSync(packageJson, 'utf8')).version;
  } catch (e) {
    fail('library', `cannot read ${packageJson}: ${e.message}`);
  }
  console.log(`library: ${name} ${version} from ${join(modulesDir, 'node_modules', name)}`);
  if (expectVersion && version !== expectVersion) {
    fail('library version', `expected ${expectVersion}, found ${version}`);
  }
  return require(name);
}

export class Mismatch extends Error {}

/** Throws a Mismatch unless `got` deep-equals `want`. */
export function expect(got, want, what = 'reply') {
  if (!isDeepStrictEqual(got, want)) {
    throw new Mismatch(`${what}: expected ${inspect(want)}, got ${inspect(got)}`);
  }
}

/**
 * Checks that `got` is a plain JavaScript object (what HGETALL gives an
 * application: `reply.name`) with exactly the fields of `want`.
 */
export function expectObject(got, want, what) {
  const kind = got === null ? 'null' : typeof got === 'object' ? got.constructor?.name ?? 'Object(null prototype)' : typeof got;
  if (got === null || typeof got !== 'object' || Array.isArray(got) || got instanceof Map) {
    throw new Mismatch(`${what}: expected an object ${inspect(want)}, got ${kind} ${inspect(got)}`);
  }
  expect({ ...got }, want, what);
}

/** Context for failures: the client's last 'error' event, if any. */
export const lastError = { error: null };

/** Runs one check: prints `ok <name>[: detail]`, or fails. */
export async function check(name, body) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Mismatch(`no answer within ${CHECK_TIMEOUT_MS / 1000}s`)),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    const detail = await Promise.race([body(), timeout]);
    console.log(`ok ${name}${detail ? `: ${detail}` : ''}`);
  } catch (e) {
    const message = e instanceof Mismatch ? e.message : `${e?.constructor?.name}: ${e?.message ?? e}`;
    const context = lastError.error && lastError.error !== e
      ? ` (the client's last 'error' event: ${lastError.error.constructor?.name}: ${lastError.error.message})`
      : '';
    if (!(e instanceof Mismatch) && e?.stack) console.error(e.stack);
    fail(name, message + context);
  } finally {
    clearTimeout(timer);
  }
}

/** Reports a failed check and exits 1. */
export function fail(name, message) {
  console.error(`FAIL ${name}: ${message}`);
  process.exit(1);
}

/**
 * The keys of the pipeline check, spread over both of the proxy's servers:
 * they differ in their first bytes, since twemproxy's fnv1a_64 keeps the
 * hash's low 32 bits, which put keys differing only at the end (spread:0,
 * spread:1...) next to each other on the ring.
 */
export const SPREAD_KEYS = Array.from({ length: 20 }, (_, i) => `${i}:spread`);

export const HASH_FIELDS = { name: 'ada', lang: 'en', visits: '3' };

export const VALUES = { greeting: 'hello', unicode: 'h\u00e9llo \u2603', empty: '' };

/**
 * One application's session with a connected `client`: PING, SET/GET, a
 * missing key, a pipeline with MGET spread over the servers, HGETALL.
 * `api` holds what the libraries spell differently: `pipeline(build)`
 * (runs the commands `build` adds to a pipeline, resolves to the replies),
 * `mget(pipe, keys)`, `hset(key, fields)` and `hgetall(key)`.
 */
export async function session(client, api) {
  await check('ping', async () => expect(await client.ping(), 'PONG'));

  await check('set/get', async () => {
    for (const [key, value] of Object.entries(VALUES)) expect(await client.set(key, value), 'OK', `SET ${key}`);
    for (const [key, value] of Object.entries(VALUES)) expect(await client.get(key), value, `GET ${key}`);
    return `${Object.keys(VALUES).length} keys`;
  });
  await check('get missing key', async () => expect(await client.get('no-such-key'), null));

  await check('pipeline with MGET', async () => {
    const replies = await api.pipeline((pipe) => {
      SPREAD_KEYS.forEach((key, i) => pipe.set(key, `v${i}`));
      api.mget(pipe.del('counter').incr('counter').incr('counter'), [...SPREAD_KEYS, 'missing:spread']);
    });
    const n = SPREAD_KEYS.length;
    expect(replies.slice(0, n), Array(n).fill('OK'), 'pipelined SETs');
    expect(replies.slice(n + 1, n + 3), [1, 2], 'pipelined INCRs after DEL');
    expect(replies[n + 3], [...SPREAD_KEYS.map((_, i) => `v${i}`), null], 'pipelined MGET');
    return `${replies.length} replies, MGET of ${n + 1} keys`;
  });

  await check('hgetall', async () => {
    await client.del('user:1');
    expect(await api.hset('user:1', HASH_FIELDS), Object.keys(HASH_FIELDS).length, 'HSET');
    const got = await api.hgetall('user:1');
    expectObject(got, HASH_FIELDS, 'HGETALL');
    return `${Object.keys(got).length} fields`;
  });
  await check('hgetall missing key', async () => expectObject(await api.hgetall('no-such-hash'), {}, 'HGETALL'));
}
