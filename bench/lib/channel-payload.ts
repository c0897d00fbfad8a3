// Publications of the channel fan-out: JSON objects of a fixed size whose sequence number has a
// fixed width, so a subscriber finds it at the same offset in every frame without decoding it.
import { CHANNEL, PUSHER_CHANNEL } from './realtime-bench.js';
import { switchboardCodec } from './switchboard-wire.js';

export type Protocol = 'ws' | 'socketio' | 'switchboard' | 'switchboard-msgpack' | 'pusher';

/** Sequence numbers start here so that they always have 8 digits (and stay valid JSON numbers). */
const SEQ_BASE = 10_000_000;
const SEQ_KEY = Buffer.from('"seq":');
/** In a Pusher frame the publication is a JSON string inside the frame: its quotes are escaped. */
const SEQ_KEY_PUSHER = Buffer.from('\\"seq\\":');
/** In MessagePack: the key `seq` (fixstr a3), then a uint32 (ce) whose 4 big-endian bytes follow. */
const SEQ_KEY_MSGPACK = Buffer.from([0xa3, 0x73, 0x65, 0x71, 0xce]);

/** The data of publication `i`: `{"seq":1000000i,"pad":"xx…"}`, `size` bytes long. */
export function publicationText(i: number, size: number): string {
  const bare = `{"seq":${SEQ_BASE + i},"pad":""}`;
  return bare.replace('""', `"${'x'.repeat(Math.max(0, size - bare.length))}"`);
}

/** Where the sequence number starts in a frame of `protocol`, or -1. */
export function seqOffset(frame: Buffer, protocol: Protocol): number {
  const key = protocol === 'switchboard-msgpack' ? SEQ_KEY_MSGPACK : protocol === 'pusher' ? SEQ_KEY_PUSHER : SEQ_KEY;
  const at = frame.indexOf(key);
  return at < 0 ? -1 : at + key.length;
}

/** The publication index whose number starts at `at`: 8 digits, or a MessagePack uint32. */
export function readSeq(frame: Buffer, at: number, protocol: Protocol): number {
  if (protocol === 'switchboard-msgpack') return frame.readUInt32BE(at) - SEQ_BASE;
  let seq = 0;
  for (let k = at; k < at + 8; k++) seq = seq * 10 + frame[k] - 0x30;
  return seq - SEQ_BASE;
}

/** The publication data in one received frame, as each protocol wraps it; undefined when it is something else. */
export function publicationData(frame: Buffer, protocol: Protocol): unknown {
  if (protocol === 'ws') return JSON.parse(frame.toString());
  if (protocol === 'socketio') {
    const text = frame.toString();
    const [event, data] = text.startsWith('42') ? JSON.parse(text.slice(2)) : [];
    return event === 'm' ? data : undefined;
  }
  if (protocol === 'pusher') {
    const event = JSON.parse(frame.toString()) as { event: string; channel?: string; data: string };
    return event.event === 'p' && event.channel === PUSHER_CHANNEL ? JSON.parse(event.data) : undefined;
  }
  const codec = switchboardCodec(protocol);
  const message = codec.decodeMessage(codec.binary ? new Uint8Array(frame) : frame.toString());
  return 'push' in message && message.push === 'publication' && message.channel === CHANNEL
    ? message.pub.data
    : undefined;
}
