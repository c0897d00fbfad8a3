// The Switchboard real-time server (@switchboard/server) under load: anonymous clients connect and
// subscribe to one channel over its JSON protocol (or Pusher's); publications come in through its HTTP API
// (POST /api/publish), the way a backend publishes, and go out once encoded to every subscriber.
// ENGINE=redis (with REDIS_PREFIX) or ENGINE=nats (with NATS_URL, NATS_PREFIX) makes it one node of a
// cluster: see switchboard-cluster.ts.
import { natsEngine } from '@switchboard/engine-nats';
import { redisEngine } from '@switchboard/engine-redis';
import { createServer } from '@switchboard/server';
import { API_KEY, PUSHER_APP } from '../lib/realtime-bench.js';

const engine =
  process.env.ENGINE === 'redis'
    ? redisEngine({ prefix: process.env.REDIS_PREFIX })
    : process.env.ENGINE === 'nats'
      ? natsEngine({ servers: [process.env.NATS_URL!], prefix: process.env.NATS_PREFIX })
      : undefined;
// COMPRESSION=1: permessage-deflate for clients that offer it, every message compressed (threshold 0).
const compression = process.env.COMPRESSION ? { threshold: Number(process.env.COMPRESSION_THRESHOLD ?? 0) } : false;
// WEBHOOK_URL and WEBHOOK_SECRET (both): lifecycle events go to that webhook (scenarios G with webhooks on, and W).
const webhooks =
  process.env.WEBHOOK_URL && process.env.WEBHOOK_SECRET
    ? [{ url: process.env.WEBHOOK_URL, secret: process.env.WEBHOOK_SECRET }]
    : undefined;
// The Pusher app of scenario P, on the same server: its subscribers connect at /app/{key}.
const server = createServer({
  allowAnonymous: true,
  apiKey: API_KEY,
  namespaces: { bench: {} },
  acceptRate: false,
  engine,
  compression,
  webhooks,
  pusher: { apps: [PUSHER_APP] },
});
const { port } = await server.listen(0, '127.0.0.1');
console.log(`READY ${port}`);

// Exit normally on signals so --cpu-prof can write its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
