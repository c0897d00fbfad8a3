import { readFileSync } from 'node:fs';

const TICK_US = 1_000_000 / 100; // USER_HZ is 100 on Linux

/** CPU time (user + system) a process has used, in microseconds. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US; // utime, stime
}

/** Write-family syscalls the process has made (/proc/PID/io `syscw`): one per socket write on Linux. */
export function writeSyscalls(pid: number): number {
  return Number(/syscw:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN);
}

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** Kernel memory in TCP socket buffers, machine-wide, in bytes (/proc/net/sockstat "TCP … mem" pages). */
export function tcpSocketMemory(): number {
  const sockstat = readFileSync('/proc/net/sockstat', 'utf8');
  return Number(/TCP:.* mem (\d+)/.exec(sockstat)?.[1] ?? 0) * 4096;
}
