/** Shared by the real-time server's bench process and the load generator. */
export const CHANNEL = 'bench:room';
/** The HTTP API key (at least 16 characters); loopback only, never a secret. */
export const API_KEY = 'bench-api-key-not-a-secret';
/** The Pusher app of scenario P (the same server), and its channel (Pusher names have no colon). */
export const PUSHER_APP = { id: 'bench', key: 'bench-key', secret: 'bench-secret-not-a-secret' };
export const PUSHER_CHANNEL = 'bench-room';
