// One application's session through a Redis endpoint with ioredis, built
// with the library's default options (only the address is set: the ready
// check sends INFO before any command). Run by tests/clients.rs against a
// plain redis-server (the control) and against the proxy.
//
//   node ioredis_client.mjs --port N --modules DIR [--package ioredis] [--expect-version X.Y.Z]
//
// DIR holds the npm-installed node_modules (target/test-clients/node).

import {
  parseArgs, load, check, expect, expectObject, lastError,
  SPREAD_KEYS, HASH_FIELDS, VALUES,
} from './checks.mjs';

const args = parseArgs({ port: undefined, modules: undefined, package: 'ioredis', 'expect-version': '' });
const { Redis } = load(args.modules, args.package, args['expect-version']);

const client = new Redis({ host: '127.0.0.1', port: Number(args.port) });
client.on('error', (e) => { lastError.error = e; });

// Commands wait in the offline queue until the ready check (INFO) passes.
await check('ready (INFO ready check)', () => new Promise((resolve, reject) => {
  if (client.status === 'ready') resolve();
  client.once('ready', resolve);
  // ioredis would log the error and reconnect forever; the first one is
  // what an application sees go wrong.
  client.once('error', reject);
}));
await check('ping', async () => expect(await client.ping(), 'PONG'));

await check('set/get', async () => {
  for (const [key, value] of Object.entries(VALUES)) expect(await client.set(key, value), 'OK', `SET ${key}`);
  for (const [key, value] of Object.entries(VALUES)) expect(await client.get(key), value, `GET ${key}`);
  return `${Object.keys(VALUES).length} keys`;
});
await check('get missing key', async () => expect(await client.get('no-such-key'), null));

await check('pipeline with MGET', async () => {
  const pipe = client.pipeline();
  SPREAD_KEYS.forEach((key, i) => pipe.set(key, `v${i}`));
  pipe.del('counter').incr('counter').incr('counter').mget([...SPREAD_KEYS, 'missing:spread']);
  const results = await pipe.exec();
  const failed = results.findIndex(([err]) => err);
  if (failed >= 0) throw results[failed][0];
  const replies = results.map(([, reply]) => reply);
  const n = SPREAD_KEYS.length;
  expect(replies.slice(0, n), Array(n).fill('OK'), 'pipelined SETs');
  expect(replies.slice(n + 1, n + 3), [1, 2], 'pipelined INCRs after DEL');
  expect(replies[n + 3], [...SPREAD_KEYS.map((_, i) => `v${i}`), null], 'pipelined MGET');
  return `${replies.length} replies, MGET of ${n + 1} keys`;
});

await check('hgetall', async () => {
  await client.del('user:1');
  expect(await client.hset('user:1', HASH_FIELDS), Object.keys(HASH_FIELDS).length, 'HSET');
  const got = await client.hgetall('user:1');
  expectObject(got, HASH_FIELDS, 'HGETALL');
  return `${Object.keys(got).length} fields`;
});
await check('hgetall missing key', async () => expectObject(await client.hgetall('no-such-hash'), {}, 'HGETALL'));

client.disconnect();
console.log('all checks passed');
process.exit(0);
