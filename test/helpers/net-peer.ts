// A peer process for the network-fault tests, run inside a network namespace
// (`ip netns exec NS node --import tsx net-peer.ts ROLE ARGS`). It speaks JSON
// lines: commands on stdin, events and results on stdout. Times are Date.now()
// of this machine's one clock, so the parent can subtract across processes.
//   subscribe CHANNEL GROUPS   SDK subscribers ([{url, count}]); prints {ready}; then
//                              stdin {expect: N, deadlineMs} → waits until each holds 1..N → {result}
//   publish CHANNEL FROM TO RATE BASES   LedgerPublisher over the nodes' API → {result}
//   presence BASE CHANNEL      polls /api/presence every 50 ms; prints {present} and {gone}
//   victim URL CHANNEL         one SDK client with presence on CHANNEL; prints {ready}; idles
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppSubscriber, LedgerPublisher, api, type Node } from './cluster.js';

const [role, ...args] = process.argv.slice(2);
const emit = (event: object) => process.stdout.write(`${JSON.stringify(event)}\n`);
const lines = createInterface({ input: process.stdin });
const nextLine = () => new Promise<string>((resolve) => lines.once('line', resolve));
const asNodes = (bases: string[]) => bases.map((base) => ({ base }) as Node);

async function subscribe(channel: string, groups: { url: string; count: number }[]) {
  const subs: { node: string; sub: AppSubscriber; firstAt: Map<number, number> }[] = [];
  for (const { url, count } of groups) {
    for (let i = 0; i < count; i++) {
      const firstAt = new Map<number, number>();
      const sub = new AppSubscriber(url, channel, undefined, (seq) => firstAt.has(seq) || firstAt.set(seq, Date.now()));
      subs.push({ node: url, sub, firstAt });
    }
  }
  while (!subs.every((s) => s.sub.ready)) await sleep(20);
  emit({ ready: subs.length });
  const { expect, deadlineMs } = JSON.parse(await nextLine()) as { expect: number; deadlineMs: number };
  const complete = (s: (typeof subs)[number]) =>
    s.firstAt.size >= expect && [...Array(expect).keys()].every((i) => s.firstAt.has(i + 1));
  while (!subs.every(complete) && Date.now() < deadlineMs) await sleep(20);
  emit({
    result: subs.map(({ node, sub, firstAt }) => ({
      node,
      firstAt: Object.fromEntries(firstAt),
      duplicates: sub.duplicates,
      outOfOrder: sub.outOfOrder,
      gaps: sub.gaps,
      resubscribes: sub.resubscribes,
      closes: sub.closes,
    })),
  });
  for (const s of subs) s.sub.client.disconnect();
}

async function publish(channel: string, from: number, to: number, rate: number, bases: string[]) {
  const ledger = new LedgerPublisher(() => asNodes(bases), channel);
  const sentAt: Record<number, number> = {};
  await ledger.run(from, to, rate, (seq) => void (sentAt[seq] = Date.now()));
  emit({ result: { sentAt, acked: ledger.acked.size, failures: Object.fromEntries(ledger.failures) } });
}

async function presence(base: string, channel: string) {
  let seen = false;
  for (;;) {
    const at = Date.now();
    const { status, body } = await api({ base } as Node, 'presence', { channel }).catch(() => ({
      status: 0,
      body: {},
    }));
    const count = status === 200 ? Object.keys(body.clients ?? {}).length : -1;
    if (count > 0 && !seen) emit({ present: at }), (seen = true);
    if (count === 0 && seen) return emit({ gone: at });
    await sleep(50);
  }
}

async function victim(url: string, channel: string) {
  const sub = new AppSubscriber(url, channel, undefined);
  while (!sub.ready) await sleep(20);
  emit({ ready: Date.now() });
  await new Promise(() => {});
}

const run: Record<string, () => Promise<void>> = {
  subscribe: () => subscribe(args[0], JSON.parse(args[1])),
  publish: () => publish(args[0], Number(args[1]), Number(args[2]), Number(args[3]), JSON.parse(args[4])),
  presence: () => presence(args[0], args[1]),
  victim: () => victim(args[0], args[1]),
};
await run[role]();
process.exit(0);
