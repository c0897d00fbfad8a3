// Publications of the channel fan-out: JSON objects of a fixed size whose sequence number has a
// fixed width, so a subscriber finds it at the same offset in every frame without parsing JSON.
import { CHANNEL } from './realtime-bench.js';

/** Sequence numbers start here so that they always have 8 digits (and stay valid JSON numbers). */
const SEQ_BASE = 10_000_000;
export const SEQ_KEY = Buffer.from('"seq":');

/** The data of publication `i`: `{"seq":1000000i,"pad":"xx…"}`, `size` bytes long. */
export function publicationText(i: number, size: number): string {
  const bare = `{"seq":${SEQ_BASE + i},"pad":""}`;
  return bare.replace('""', `"${'x'.repeat(Math.max(0, size - bare.length))}"`);
}

/** The publication index whose 8 digits start at `at`. */
export function readSeq(frame: Buffer, at: number): number {
  let seq = 0;
  for (let k = at; k < at + 8; k++) seq = seq * 10 + frame[k] - 0x30;
  return seq - SEQ_BASE;
}

/** The publication data in one received frame, as each protocol wraps it; undefined when it is something else. */
export function publicationData(frame: string, protocol: 'ws' | 'socketio' | 'switchboard'): unknown {
  if (protocol === 'ws') return JSON.parse(frame);
  if (protocol === 'socketio') {
    const [event, data] = frame.startsWith('42') ? JSON.parse(frame.slice(2)) : [];
    return event === 'm' ? data : undefined;
  }
  const push = JSON.parse(frame);
  return push.push === 'publication' && push.channel === CHANNEL ? push.pub?.data : undefined;
}
