// What the load generator needs of the Switchboard protocol, per codec: the subprotocol it offers, its
// connect + subscribe messages, and how a join reply reads.
import { JsonCodec, type Codec } from '@switchboard/wire';
import { MsgpackCodec } from '@switchboard/wire/msgpack';
import { CHANNEL } from './realtime-bench.js';

export type SwitchboardProtocol = 'switchboard' | 'switchboard-msgpack';

export function switchboardCodec(protocol: SwitchboardProtocol): Codec {
  return protocol === 'switchboard-msgpack' ? new MsgpackCodec() : new JsonCodec();
}

/** `connect`, then `subscribe` to the bench channel, as payloads of the codec's frame type. */
export function joinMessages(codec: Codec): Buffer[] {
  return [
    codec.encodeCommand({ id: 1, method: 'connect', params: {} }),
    codec.encodeCommand({ id: 2, method: 'subscribe', params: { channel: CHANNEL } }),
  ].map((m) => Buffer.from(m));
}

/** The id (1 or 2) of a successful join reply; throws on anything else. */
export function joinReplyId(codec: Codec, frame: Buffer): number {
  const message = codec.decodeMessage(codec.binary ? new Uint8Array(frame) : frame.toString());
  if (!('id' in message) || !('result' in message)) throw new Error(`join failed: ${JSON.stringify(message)}`);
  return message.id;
}
