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

import { parseArgs, load, check, session, lastError } from './checks.mjs';

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
await session(client, {
  // Non-transactional: twemproxy (and so the proxy) has no MULTI/EXEC.
  pipeline: (build) => {
    const pipe = client.multi();
    build(pipe);
    return pipe.execAsPipeline();
  },
  mget: (pipe, keys) => pipe.mGet(keys),
  hset: (key, fields) => client.hSet(key, fields),
  hgetall: (key) => client.hGetAll(key),
});

client.destroy();
console.log('all checks passed');
process.exit(0);
