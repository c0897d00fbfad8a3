import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** Deletes the streams (and so the KV buckets) a cluster with this NATS prefix made on a shared server. */
export async function deleteNatsStreams(servers: string[], prefix: string): Promise<void> {
  const nc = await connect({ servers, timeout: 2000 });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) if (name.startsWith(`${prefix}_`) || name.startsWith(`KV_${prefix}_`)) names.push(name);
    await Promise.all(names.map((name) => jsm.streams.delete(name)));
  } finally {
    await nc.close();
  }
}
