// Reading the deployment files under deploy/ as their tools do, so that tests run exactly what
// is committed: the Dockerfile's final stage, the proxies' configs with their addresses
// substituted, the docs' verbatim copies.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const readRepoFile = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The final stage of a Dockerfile: its instructions, with ENV merged as `docker build` does. */
export interface DockerStage {
  from: string;
  env: Record<string, string>;
  user: string | undefined;
  workdir: string | undefined;
  expose: string[];
  entrypoint: string[];
  cmd: string[];
  healthcheck: { options: Record<string, string>; cmd: string[] } | undefined;
  stopSignal: string | undefined;
}

/** Joins continuation lines and drops comments (Dockerfile syntax: `\` at the end of a line, `#` at its start). */
function instructions(text: string): [string, string][] {
  const out: [string, string][] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (pending && line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = '';
    const space = whole.search(/\s/);
    out.push([whole.slice(0, space).toUpperCase(), whole.slice(space + 1).trim()]);
  }
  return out;
}

/** `ENV A=1 B="two words"`, or the legacy `ENV A value`. */
function parseEnv(args: string, env: Record<string, string>): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const [key, ...rest] = args.split(/\s+/);
    env[key] = rest.join(' ');
    return;
  }
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)) env[m[1]] = m[3] ?? m[2];
}

/** The exec (JSON) form only: the shell form would run through /bin/sh -c, which this image does not use. */
function execForm(args: string, what: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string'))
    throw new Error(`${what} is not in exec form: ${args}`);
  return parsed;
}

export function parseDockerfile(text: string): { stages: string[]; final: DockerStage; args: Record<string, string> } {
  const stages: string[] = [];
  const args: Record<string, string> = {};
  let stage: DockerStage | undefined;
  for (const [op, rest] of instructions(text)) {
    if (op === 'ARG' && !stage) {
      const [k, v] = rest.split('=');
      args[k] = v ?? '';
    } else if (op === 'FROM') {
      stages.push(rest);
      stage = {
        from: rest.split(/\s+/)[0].replace(/\$\{(\w+)\}/g, (_, k: string) => args[k] ?? ''),
        env: {},
        user: undefined,
        workdir: undefined,
        expose: [],
        entrypoint: [],
        cmd: [],
        healthcheck: undefined,
        stopSignal: undefined,
      };
    } else if (!stage) {
      throw new Error(`${op} before FROM`);
    } else if (op === 'ENV') parseEnv(rest, stage.env);
    else if (op === 'USER') stage.user = rest;
    else if (op === 'WORKDIR') stage.workdir = rest;
    else if (op === 'EXPOSE') stage.expose.push(...rest.split(/\s+/));
    else if (op === 'ENTRYPOINT') stage.entrypoint = execForm(rest, 'ENTRYPOINT');
    else if (op === 'CMD') stage.cmd = execForm(rest, 'CMD');
    else if (op === 'STOPSIGNAL') stage.stopSignal = rest;
    else if (op === 'HEALTHCHECK') {
      const m = /^((?:--[a-z-]+=\S+\s+)*)CMD\s+(.*)$/s.exec(rest);
      if (!m) throw new Error(`HEALTHCHECK not understood: ${rest}`);
      const options: Record<string, string> = {};
      for (const o of m[1].matchAll(/--([a-z-]+)=(\S+)/g)) options[o[1]] = o[2];
      stage.healthcheck = { options, cmd: execForm(m[2], 'HEALTHCHECK CMD') };
    }
  }
  if (!stage) throw new Error('no FROM');
  return { stages, final: stage, args };
}

/** Docker's duration syntax as HEALTHCHECK and compose use it: `10s`, `1m30s`, `500ms`. */
export function durationMs(text: string): number {
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
    ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return ms;
}

/**
 * The documented substitution that turns a committed proxy config into one for a test: each
 * `from` must occur exactly `count` times (so that the file's structure is what the test
 * thinks), and is replaced by `to`. Nothing else in the file changes.
 */
export function substitute(text: string, replacements: { from: string | RegExp; to: string; count: number }[]): string {
  let out = text;
  for (const { from, to, count } of replacements) {
    const pattern =
      typeof from === 'string'
        ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g')
        : new RegExp(from.source, from.flags.includes('g') ? from.flags : `${from.flags}g`);
    const found = out.match(pattern)?.length ?? 0;
    if (found !== count) throw new Error(`expected ${count} × ${pattern} in the config, found ${found}`);
    out = out.replace(pattern, to);
  }
  return out;
}

/** The fenced blocks of a Markdown file that follow a `<!-- file: PATH -->` line, by PATH. */
export function verbatimBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of markdown.matchAll(/<!-- file: (\S+) -->\n(`{3,})[^\n]*\n([\s\S]*?)\n\2\n/g))
    blocks.set(m[1], `${m[3]}\n`);
  return blocks;
}

/** The staggered drain's length (docs/operations.md "Shutdown"): ceil(connections / batch) × interval. */
export const drainMs = (connections: number, batchSize = 500, intervalMs = 500): number =>
  Math.ceil(connections / batchSize) * intervalMs;

/** The longest `serve` takes to exit after SIGTERM: the drain, then at most 5 s more. */
export const stopBoundMs = (connections: number, batchSize = 500, intervalMs = 500): number =>
  drainMs(connections, batchSize, intervalMs) + 5000;

/** Loopback TCP listeners of the machine with the address they are bound to, from /proc/net/tcp{,6}. */
export function listeningAddresses(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // 0A: LISTEN
      const [addr, hexPort] = cols[1].split(':');
      if (parseInt(hexPort, 16) !== port) continue;
      if (file.endsWith('6')) out.push(/^0+$/.test(addr) ? '::' : addr);
      else
        out.push(
          addr
            .match(/../g)!
            .reverse()
            .map((h) => parseInt(h, 16))
            .join('.'),
        );
    }
  }
  return out;
}
