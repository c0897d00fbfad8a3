import { connect, headers } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startNatsCluster } from '@switchboard/testing';
const c = await startNatsCluster();
try {
  const ncs = await Promise.all(c.urls.map((u) => connect({ servers: [u] })));
  const jsm = await jetstreamManager(ncs[0]);
  await jsm.streams.add({ name: 'X', subjects: ['x.*'], num_replicas: 3, allow_direct: true, max_msgs_per_subject: 1000 });
  await new Promise((r) => setTimeout(r, 1000));
  const jss = ncs.map((nc) => jetstream(nc));
  for (let round = 0; round < 3; round++) {
    // same msgID, concurrent from 3 servers
    const acks = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => jss[i % 3].publish('x.a', 'm', { msgID: `id-${round}` })));
    console.log('same msgID: fresh', acks.filter((a) => a.status === 'fulfilled' && !a.value.duplicate).length, 'dup', acks.filter((a) => a.status === 'fulfilled' && a.value.duplicate).length, 'rejected', acks.filter((a) => a.status === 'rejected').map((a) => (a as any).reason.message).slice(0, 2));
    const last = (await jsm.streams.getMessage('X', { last_by_subj: 'x.b' }))?.seq ?? 0;
    const occ = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => jss[i % 3].publish('x.b', 'm', { expect: { lastSubjectSequence: last } })));
    console.log('same expected subject seq: accepted', occ.filter((a) => a.status === 'fulfilled').length);
    const lastAll = (await jsm.streams.info('X')).state.last_seq;
    const occ2 = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => jss[i % 3].publish('x.c', 'm', { expect: { lastSequence: lastAll } })));
    console.log('same expected stream seq: accepted', occ2.filter((a) => a.status === 'fulfilled').length);
  }
  await Promise.all(ncs.map((nc) => nc.close()));
} finally { await c.stop(); }
