/** A parsed frame header (RFC 6455 §5.2). Frames are plain values. */
export interface FrameHeader {
  fin: boolean;
  /** RSV1..RSV3 as the high nibble bits 0x40, 0x20, 0x10. */
  rsv: number;
  opcode: number;
  masked: boolean;
  /** Payload length in bytes. */
  length: number;
}

/** A complete frame, as the serializer takes it. */
export interface Frame {
  fin: boolean;
  rsv: number;
  opcode: number;
  payload: Uint8Array;
}

export const Rsv = { Rsv1: 0x40, Rsv2: 0x20, Rsv3: 0x10 } as const;

/** Which side of the connection we are; it decides the masking rule (§5.1). */
export type Role = 'server' | 'client';

/** Fills `into` (4 bytes) with a fresh masking key (§5.3: unpredictable, per frame). */
export type MaskSource = (into: Uint8Array) => void;
