/** Shared by the real-time server's bench process and the load generator. */
export const CHANNEL = 'bench:room';
/** The HTTP API key (at least 16 characters); loopback only, never a secret. */
export const API_KEY = 'bench-api-key-not-a-secret';
