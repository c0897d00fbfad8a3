/**
 * @switchboard/client/msgpack: the binary codec, opt-in so the default client
 * does not carry its library: `new Client(url, { codec: new MsgpackCodec() })`.
 */
export { MsgpackCodec, type MsgpackCodecOptions } from '@switchboard/wire/msgpack';
