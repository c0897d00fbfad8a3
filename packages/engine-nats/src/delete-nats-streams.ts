import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/**
 * Deletes every stream and KV bucket that engines with this prefix made on a
 * NATS: a reset of one deployment's history and presence (and how tests clean
 * up after themselves on a shared server). Other prefixes are left alone.
 */
export async function deleteNatsStreams(servers: string[], prefix: string): Promise<void> {
  const nc = await connect({ servers, timeout: 2000 });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const name of jsm.streams.names())
      if (name.startsWith(`${prefix}_`) || name.startsWith(`KV_${prefix}_`)) names.push(name);
    await Promise.all(names.map((name) => jsm.streams.delete(name)));
  } finally {
    await nc.close();
  }
}
