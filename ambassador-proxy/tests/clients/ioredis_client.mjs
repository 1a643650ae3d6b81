// One application's session through a Redis endpoint with ioredis, built
// with the library's default options (only the address is set: the ready
// check sends INFO before any command). Run by tests/clients.rs against a
// plain redis-server (the control) and against the proxy.
//
//   node ioredis_client.mjs --port N --modules DIR [--package ioredis] [--expect-version X.Y.Z]
//
// DIR holds the npm-installed node_modules (target/test-clients/node).

import { parseArgs, load, check, session, lastError } from './checks.mjs';

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
await session(client, {
  pipeline: async (build) => {
    const pipe = client.pipeline();
    build(pipe);
    const results = await pipe.exec();
    const failed = results.findIndex(([err]) => err);
    if (failed >= 0) throw results[failed][0];
    return results.map(([, reply]) => reply);
  },
  mget: (pipe, keys) => pipe.mget(keys),
  hset: (key, fields) => client.hset(key, fields),
  hgetall: (key) => client.hgetall(key),
});

client.disconnect();
console.log('all checks passed');
process.exit(0);
