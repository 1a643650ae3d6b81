// One application's session through a Redis endpoint with node-redis
// (`redis` on npm), built with the library's defaults: only the address,
// and RESP when --resp is given, are set. Run by tests/clients.rs against a
// plain redis-server (the control) and against the proxy.
//
//   node node_client.mjs --port N --modules DIR [--package redis] [--resp 2|3|default]
//                        [--expect-version X.Y.Z]
//
// DIR holds the npm-installed node_modules (target/test-clients/node).
// --package names the installed package, so that an npm alias of another
// major version (redis6) can be run by the same script.

import {
  parseArgs, load, check, expect, expectObject, lastError,
  SPREAD_KEYS, HASH_FIELDS, VALUES,
} from './checks.mjs';

const args = parseArgs({
  port: undefined, modules: undefined, package: 'redis', resp: 'default', 'expect-version': '',
});
const { createClient } = load(args.modules, args.package, args['expect-version']);

const options = { socket: { host: '127.0.0.1', port: Number(args.port) } };
if (args.resp !== 'default') options.RESP = Number(args.resp);
const client = createClient(options);
client.on('error', (e) => { lastError.error = e; });

// Connecting sends the handshake: HELLO when RESP is set (or is the
// library's default), and CLIENT SETINFO. A failed handshake does not reject
// connect(): node-redis emits 'error' and reconnects forever, so the first
// error is what an application sees go wrong.
await check('connect', () => new Promise((resolve, reject) => {
  client.once('error', reject);
  client.connect().then(() => resolve(), reject);
}));
await check('ping', async () => expect(await client.ping(), 'PONG'));

await check('set/get', async () => {
  for (const [key, value] of Object.entries(VALUES)) expect(await client.set(key, value), 'OK', `SET ${key}`);
  for (const [key, value] of Object.entries(VALUES)) expect(await client.get(key), value, `GET ${key}`);
  return `${Object.keys(VALUES).length} keys`;
});
await check('get missing key', async () => expect(await client.get('no-such-key'), null));

await check('pipeline with MGET', async () => {
  // Non-transactional: twemproxy (and so the proxy) has no MULTI/EXEC.
  const pipe = client.multi();
  SPREAD_KEYS.forEach((key, i) => pipe.set(key, `v${i}`));
  pipe.del('counter').incr('counter').incr('counter').mGet([...SPREAD_KEYS, 'missing:spread']);
  const replies = await pipe.execAsPipeline();
  const n = SPREAD_KEYS.length;
  expect(replies.slice(0, n), Array(n).fill('OK'), 'pipelined SETs');
  expect(replies.slice(n + 1, n + 3), [1, 2], 'pipelined INCRs after DEL');
  expect(replies[n + 3], [...SPREAD_KEYS.map((_, i) => `v${i}`), null], 'pipelined MGET');
  return `${replies.length} replies, MGET of ${n + 1} keys`;
});

await check('hgetall', async () => {
  await client.del('user:1');
  expect(await client.hSet('user:1', HASH_FIELDS), Object.keys(HASH_FIELDS).length, 'HSET');
  const got = await client.hGetAll('user:1');
  expectObject(got, HASH_FIELDS, 'HGETALL');
  return `${Object.keys(got).length} fields`;
});
await check('hgetall missing key', async () => expectObject(await client.hGetAll('no-such-hash'), {}, 'HGETALL'));

client.destroy();
console.log('all checks passed');
process.exit(0);
