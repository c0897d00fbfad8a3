/** Milliseconds on a clock shared by processes on this machine, with sub-millisecond resolution. */
export const now = (): number => performance.timeOrigin + performance.now();
