/** A session's life: `connecting` until its `connect` succeeds, then `connected`, then `closed`. */
export const SessionState = { Connecting: 'connecting', Connected: 'connected', Closed: 'closed' } as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];
