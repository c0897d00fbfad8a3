// The deployment files under deploy/, run as far as this machine allows (docs/deployment.md
// "What is tested"). Everything here is a real process started by the test with its own ports
// and temp dirs, stopped by its PID:
// - docker-compose.yml: parsed; its three nodes are started from its own commands and
//   environment (with the image's ENV), on a throwaway Redis, and serve the proxy tests;
// - nginx and HAProxy run the committed configs, with only the addresses substituted: a
//   WebSocket through each gets a publication made through the API of another node;
// - the Dockerfile's final stage (ENV, ENTRYPOINT + CMD, HEALTHCHECK, STOPSIGNAL) runs from the
//   repository as uid 65534 (test/deployment-image.test.ts builds and runs the image itself);
// - the systemd unit passes `systemd-analyze verify`;
// - the Helm chart is rendered (helm, or test/helpers/helm-template.go) and every manifest is
//   validated against the Kubernetes OpenAPI schemas, then a real node runs from the rendered
//   Deployment's env and ConfigMap.
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { freePorts, startRedis, type RedisProcess } from '@switchboard/testing/internal';
import {
  durationMs,
  listeningAddresses,
  parseDockerfile,
  readRepoFile,
  REPO,
  stopBoundMs,
  substitute,
  verbatimBlocks,
  drainMs,
} from './helpers/deploy-files.js';
import { startHaproxy } from './helpers/haproxy.js';
import { SseReader } from './helpers/http-transport-peers.js';
import { startNginx } from './helpers/nginx.js';

const run = promisify(execFile);
const API_KEY = 'deployment-test-api-key-0123456789';
const dockerfile = parseDockerfile(readRepoFile('deploy/Dockerfile'));
const image = dockerfile.final;
const compose = parseYaml(readRepoFile('deploy/docker-compose.yml'), { merge: true }) as Compose;
const NODE_SERVICES = ['switchboard-1', 'switchboard-2', 'switchboard-3'];

interface ComposeService {
  build?: { context: string; dockerfile: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  volumes?: string[];
  stop_grace_period?: string;
  healthcheck?: { test: string[] };
}
interface Compose {
  services: Record<string, ComposeService>;
}

/** A `serve` process this test started, on a port it chose, once `/health/ready` answers 200. */
interface Node {
  child: ChildProcess;
  port: number;
  base: string;
  nodeId: string;
  log: () => string;
}

async function waitReady(base: string, child: ChildProcess, log: () => string, timeoutMs = 15_000): Promise<string> {
  for (const start = Date.now(); ; await sleep(100)) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${log()}`);
    const res = await fetch(`${base}/health/ready`).catch(() => undefined);
    if (res?.status === 200) return ((await res.json()) as { node: string }).node;
    if (Date.now() - start > timeoutMs) throw new Error(`serve did not become ready: ${log()}`);
  }
}

/** Runs `argv` with `env` (nothing inherited but PATH: a container's environment) and waits until ready on `port`. */
async function startProcess(
  argv: string[],
  env: Record<string, string>,
  port: number,
  extra: { uid?: number; gid?: number } = {},
): Promise<Node> {
  const child = spawn(argv[0], argv.slice(1), {
    cwd: REPO,
    env: { PATH: process.env.PATH!, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...extra,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  const log = () => out;
  const nodeId = await waitReady(base, child, log);
  return { child, port, base, nodeId, log };
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Compose's `${VAR:?message}` / `${VAR:-default}` / `${VAR}` interpolation, from `vars`. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_, name: string, op: string | undefined, arg: string) => {
    if (vars[name]) return vars[name];
    if (op === '?') throw new Error(`compose: ${name}: ${arg}`);
    return op === '-' ? arg : '';
  });
}

/** A raw WebSocket client (the `ws` package): connect, subscribe, and the publications it receives. */
async function subscriber(
  url: string,
  channel: string,
): Promise<{ node: string; publications: unknown[]; closes: Promise<number>; ws: WebSocket }> {
  const ws = new WebSocket(url, 'switchboard.v1.json');
  const publications: unknown[] = [];
  const replies = new Map<number, (r: any) => void>();
  ws.on('message', (raw) => {
    const msg = JSON.parse(String(raw));
    if (msg.id !== undefined) replies.get(msg.id)?.(msg);
    else if (msg.push === 'publication' && msg.channel === channel) publications.push(msg.pub.data);
  });
  const closes = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await once(ws, 'open');
  assert.equal(ws.protocol, 'switchboard.v1.json');
  const call = (id: number, method: string, params: object) =>
    new Promise<any>((resolve) => {
      replies.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  const connected = await call(1, 'connect', {});
  assert.ok(connected.result?.node, `connect: ${JSON.stringify(connected)}`);
  const subscribed = await call(2, 'subscribe', { channel });
  assert.ok(subscribed.result, `subscribe: ${JSON.stringify(subscribed)}`);
  return { node: connected.result.node as string, publications, closes, ws };
}

async function publish(base: string, channel: string, data: unknown): Promise<void> {
  const res = await fetch(`${base}/api/publish`, {
    method: 'POST',
    headers: { authorization: `apikey ${API_KEY}` },
    body: JSON.stringify({ channel, data }),
  });
  assert.equal(res.status, 200, await res.text());
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  for (const start = Date.now(); !(await check()); await sleep(20))
    if (Date.now() - start > timeoutMs) throw new Error(`timed out: ${what}`);
}

/**
 * Through a proxy at `base`: readiness passes, requests spread over every node, a WebSocket gets a publication made on
 * another node, SSE is not buffered.
 */
async function throughProxy(base: string, nodes: Node[], label: string): Promise<void> {
  // /health/ready passes through, and round robin reaches every node (the body names the node).
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const res = await fetch(`${base}/health/ready`);
    assert.equal(res.status, 200, `${label}: /health/ready`);
    seen.add(((await res.json()) as { node: string }).node);
  }
  assert.deepEqual(
    [...seen].sort(),
    nodes.map((n) => n.nodeId).sort(),
    `${label}: every node answers through the proxy`,
  );

  const channel = `chat:deploy-${label}-${process.pid}`;
  const sub = await subscriber(`${base.replace('http', 'ws')}/connection/websocket`, channel);
  const other = nodes.find((n) => n.nodeId !== sub.node)!;
  assert.ok(
    nodes.some((n) => n.nodeId === sub.node),
    `${label}: the WebSocket landed on one of the nodes`,
  );
  await publish(other.base, channel, { text: 'across nodes', via: label });
  await until(() => sub.publications.length === 1, `${label}: publication through the proxy`);
  assert.deepEqual(sub.publications, [{ text: 'across nodes', via: label }]);

  // SSE through the proxy: the event arrives while the response is still open (no buffering).
  const sse = await SseReader.open(`${base}/connection/sse?channel=${encodeURIComponent(channel)}`);
  for (let i = 0; sse.publications(channel).length === 0; i++) {
    assert.ok(i < 20, `${label}: no publication on the SSE stream`);
    await publish(other.base, channel, `sse-${i}`);
    await sse.until((events) => events.some((e) => e.event === 'message'), 500).catch(() => {});
  }
  sse.close();
  sub.ws.close();

  assert.equal((await fetch(`${base}/metrics`)).status, 404, `${label}: /metrics is not public`);
}

describe('deployment files', { timeout: 115_000 }, () => {
  let redis: RedisProcess;
  const nodes: Node[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];

  before(async () => {
    redis = await startRedis();
    const ports = await freePorts(NODE_SERVICES.length);
    // Each compose node as the container would run it: the image's ENTRYPOINT + the service's
    // command, the image's ENV + the service's environment. The only substitutions: the
    // service name `redis` → this test's Redis, and SWITCHBOARD_PORT → a free port.
    const started = await Promise.all(
      NODE_SERVICES.map((name, i) => {
        const service = compose.services[name];
        const env: Record<string, string> = { ...image.env };
        for (const [k, v] of Object.entries(service.environment ?? {}))
          env[k] = interpolate(String(v), { SWITCHBOARD_API_KEY: API_KEY });
        env.SWITCHBOARD_PORT = String(ports[i]);
        env.SWITCHBOARD_REDIS_PREFIX = `deploy:${process.pid}:`;
        const command = service.command!.map((a) => a.replace('redis://redis:6379', redis.url));
        return startProcess([...image.entrypoint, ...command], env, ports[i]);
      }),
    );
    nodes.push(...started);
    await sleep(300); // node announcements on the control bus
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await Promise.all(nodes.map((n) => stopProcess(n.child)));
    await redis?.stop();
  });

  it('docs/deployment.md shows the committed files verbatim', () => {
    const blocks = verbatimBlocks(readRepoFile('docs/deployment.md'));
    const files = [
      'deploy/Dockerfile',
      '.dockerignore',
      'deploy/docker-compose.yml',
      'deploy/nginx/switchboard.conf',
      'deploy/haproxy/switchboard.cfg',
      'deploy/systemd/switchboard.service',
    ];
    assert.deepEqual([...blocks.keys()].sort(), files.sort());
    for (const file of files) assert.equal(blocks.get(file), readRepoFile(file), `${file} in docs/deployment.md`);
  });

  it(
    'docker-compose.yml: 3 nodes on Redis behind nginx, ' + 'with real serve flags (the nodes above run its commands)',
    async () => {
      assert.deepEqual(Object.keys(compose.services).sort(), [...NODE_SERVICES, 'nginx', 'redis'].sort());
      const help = (await run(process.execPath, [join(REPO, 'packages/cli/bin/switchboard.js'), 'serve', '--help']))
        .stdout;
      for (const name of NODE_SERVICES) {
        const s = compose.services[name];
        assert.equal(
          resolve(REPO, 'deploy', s.build!.context),
          resolve(REPO),
          `${name}: build context is the repository root`,
        );
        assert.ok(
          existsSync(resolve(REPO, 'deploy', s.build!.context, s.build!.dockerfile)),
          `${name}: ${s.build!.dockerfile} exists`,
        );
        assert.equal(s.command![0], 'serve');
        for (const flag of s.command!.filter((a) => a.startsWith('--')))
          assert.match(help, new RegExp(`^\\s+${flag}\\b`, 'm'), `${name}: ${flag} is a serve flag`);
        assert.deepEqual(s.command!.slice(s.command!.indexOf('--engine'), s.command!.indexOf('--engine') + 2), [
          '--engine',
          'redis',
        ]);
        assert.ok(s.command!.includes('redis://redis:6379'), `${name}: the redis service`);
        // serve --help lists every variable serve reads (from its option schema).
        for (const key of Object.keys(s.environment!))
          assert.match(help, new RegExp(`^\\s+${key}\\b`, 'm'), `${name}: ${key} is read by serve`);
        assert.equal(s.environment!.SWITCHBOARD_NODE_NAME, name);
        assert.equal(s.depends_on?.redis?.condition, 'service_healthy');
        // The stop timeout exceeds the drain for the connections its comment names.
        const stated = /up to\s+#?\s*([\d,]+) connections/.exec(readRepoFile('deploy/docker-compose.yml'))!;
        assert.ok(
          durationMs(s.stop_grace_period!) > stopBoundMs(Number(stated[1].replaceAll(',', ''))),
          `${name}: stop_grace_period ${s.stop_grace_period}`,
        );
      }
      const nginx = compose.services.nginx;
      const [source, target] = nginx.volumes![0].split(':');
      assert.equal(resolve(REPO, 'deploy', source), resolve(REPO, 'deploy/nginx/switchboard.conf'));
      assert.equal(target, '/etc/nginx/conf.d/default.conf');
      for (const name of NODE_SERVICES) {
        assert.equal(nginx.depends_on?.[name]?.condition, 'service_healthy', `nginx waits for ${name}'s HEALTHCHECK`);
        // nginx's upstream names the compose services on the image's port.
        assert.ok(
          readRepoFile('deploy/nginx/switchboard.conf').includes(`server ${name}:${image.env.SWITCHBOARD_PORT} `),
          `nginx upstream has ${name}`,
        );
        assert.ok(
          readRepoFile('deploy/haproxy/switchboard.cfg').includes(
            `server ${name} ${name}:${image.env.SWITCHBOARD_PORT} check`,
          ),
          `haproxy backend has ${name}`,
        );
      }
      assert.deepEqual(compose.services.redis.healthcheck?.test, ['CMD', 'redis-cli', 'ping']);
      // And the nodes above, started from these commands, are one cluster on Redis.
      assert.equal(new Set(nodes.map((n) => n.nodeId)).size, 3);
      const info = await fetch(`${nodes[0].base}/api/info`, {
        method: 'POST',
        headers: { authorization: `apikey ${API_KEY}` },
        body: '{}',
      });
      const body = (await info.json()) as { nodes: { name: string }[] };
      assert.deepEqual(
        body.nodes.map((n) => n.name).sort(),
        NODE_SERVICES,
        'every node sees the others by their SWITCHBOARD_NODE_NAME',
      );
    },
  );

  it(
    'nginx runs deploy/nginx/switchboard.conf: WebSocket, a publication from another node, SSE unbuffered, ' +
      '/health/ready',
    async () => {
      // The documented substitution: each `server switchboard-N:8000` → a loopback port, `listen 80` → the test's port.
      const conf = substitute(readRepoFile('deploy/nginx/switchboard.conf'), [
        ...NODE_SERVICES.map((name, i) => ({
          from: `server ${name}:8000 `,
          to: `server 127.0.0.1:${nodes[i].port} `,
          count: 1,
        })),
        { from: 'listen 80;', to: 'listen 127.0.0.1:{{PORT}};', count: 1 },
      ]);
      const nginx = await startNginx(conf);
      cleanups.push(() => nginx.stop());
      await throughProxy(nginx.base, nodes, 'nginx');
    },
  );

  it(
    'HAProxy runs deploy/haproxy/switchboard.cfg: the same, ' + 'and its /health/ready check takes a drained node out',
    async () => {
      const [port] = await freePorts(1);
      const cfg = substitute(readRepoFile('deploy/haproxy/switchboard.cfg'), [
        ...NODE_SERVICES.map((name, i) => ({
          from: `server ${name} ${name}:8000 check`,
          to: `server ${name} 127.0.0.1:${nodes[i].port} check`,
          count: 1,
        })),
        { from: /^ {4}bind :80$/m, to: `    bind 127.0.0.1:${port}`, count: 1 },
      ]);
      const checkDir = mkdtempSync(join(tmpdir(), 'sb-haproxy-check-'));
      cleanups.push(() => rmSync(checkDir, { recursive: true, force: true }));
      writeFileSync(join(checkDir, 'haproxy.cfg'), cfg);
      const check = spawnSync('/usr/sbin/haproxy', ['-c', '-f', join(checkDir, 'haproxy.cfg')], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stdout + check.stderr);
      const haproxy = await startHaproxy(cfg, port);
      cleanups.push(() => haproxy.stop());
      await throughProxy(haproxy.base, nodes, 'haproxy');

      // Drain node 3 (readiness 503 from then on): within `fall` × `inter` (2 × 2 s) HAProxy stops sending to it.
      const drained = nodes[2];
      const res = await fetch(`${drained.base}/api/drain`, {
        method: 'POST',
        headers: { authorization: `apikey ${API_KEY}` },
        body: '{}',
      });
      assert.equal(res.status, 200);
      assert.equal((await fetch(`${drained.base}/health/ready`)).status, 503);
      const start = Date.now();
      let answered: string[] = [];
      await until(
        async () => {
          answered = [];
          for (let i = 0; i < 4; i++) {
            const r = await fetch(`${haproxy.base}/health/ready`);
            answered.push(r.status === 200 ? ((await r.json()) as { node: string }).node : String(r.status));
          }
          return answered.every((a) => a === nodes[0].nodeId || a === nodes[1].nodeId);
        },
        'haproxy takes the drained node out',
        15_000,
      );
      console.log(
        `# haproxy: drained node out of rotation after ${Date.now() - start} ms; answers ${answered.join(', ')}`,
      );
      const down = haproxy
        .output()
        .split('\n')
        .find((l) => l.includes('switchboard/switchboard-3 is DOWN'));
      assert.ok(down, haproxy.output());
      console.log(`# haproxy: ${down.replace(/^\[WARNING\]\s+\(\d+\) : /, '')}`);
    },
  );

  it(
    "the Dockerfile's final stage, run from the repository as uid 65534: binds 0.0.0.0, answers its HEALTHCHECK, " +
      'drains and exits 0 on STOPSIGNAL',
    async () => {
      assert.equal(dockerfile.stages.length, 2, 'multi-stage: build, then runtime');
      assert.equal(dockerfile.args.BASE, 'node:22-bookworm-slim');
      assert.deepEqual(image.entrypoint, ['node', 'packages/cli/bin/switchboard.js']);
      assert.deepEqual(image.cmd, ['serve']);
      assert.equal(image.env.SWITCHBOARD_HOST, '0.0.0.0');
      assert.equal(image.env.SWITCHBOARD_PORT, '8000');
      assert.deepEqual(image.expose, ['8000']);
      assert.equal(image.user, 'switchboard');
      assert.equal(image.stopSignal, 'SIGTERM');
      assert.match(
        readRepoFile('deploy/Dockerfile'),
        /ceil\(connections \/ drainBatchSize\) x drainIntervalMs \+ 5 s/,
        'the stop-timeout note',
      );
      assert.ok(
        image.healthcheck &&
          image.healthcheck.cmd[0] === 'node' &&
          image.healthcheck.cmd.join(' ').includes('/health/live'),
      );

      // As the container runs it, but with a free port instead of 8000 (this machine is shared),
      // as uid 65534 when that user can read the checkout (a clone under a private home cannot).
      const [port] = await freePorts(1);
      const env = { ...image.env, SWITCHBOARD_PORT: String(port) };
      const nobody = { uid: 65534, gid: 65534 };
      const readable =
        spawnSync(
          process.execPath,
          ['-e', `require('fs').accessSync(${JSON.stringify(join(REPO, image.entrypoint[1]))})`],
          { cwd: REPO, ...nobody },
        ).status === 0;
      const as = readable ? nobody : {};
      if (!readable) console.log('# image command: uid 65534 cannot read this checkout: running as the current user');
      const healthcheck = () =>
        spawnSync(image.healthcheck!.cmd[0], image.healthcheck!.cmd.slice(1), {
          env: { PATH: process.env.PATH!, ...env },
          timeout: durationMs(image.healthcheck!.options.timeout),
          ...as,
        }).status;
      assert.equal(healthcheck(), 1, 'HEALTHCHECK fails while nothing listens');
      const node = await startProcess([...image.entrypoint, ...image.cmd], env, port, as);
      cleanups.push(() => stopProcess(node.child));
      assert.deepEqual(listeningAddresses(port), ['0.0.0.0'], 'bound to every IPv4 address');
      assert.equal(healthcheck(), 0, 'HEALTHCHECK passes');

      const clients = await Promise.all(
        Array.from({ length: 20 }, () => subscriber(`ws://127.0.0.1:${port}/connection/websocket`, 'chat:drain')),
      );
      const started = Date.now();
      const exited = once(node.child, 'exit');
      node.child.kill(image.stopSignal as NodeJS.Signals);
      const [code, signal] = (await exited) as [number | null, string | null];
      const tookMs = Date.now() - started;
      console.log(
        `# image command: ${clients.length} connections drained, exit ${code} after ${tookMs} ` +
          `ms (bound ${stopBoundMs(clients.length)} ms)`,
      );
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, node.log());
      assert.ok(
        tookMs < stopBoundMs(clients.length),
        `exited within ceil(connections / drainBatchSize) x drainIntervalMs + 5 s`,
      );
      assert.deepEqual(
        new Set(await Promise.all(clients.map((c) => c.closes))),
        new Set([1012]),
        'every client closed with 1012',
      );
      assert.match(node.log(), /"msg":"drain started"/);
      assert.equal(healthcheck(), 1, 'HEALTHCHECK fails once stopped');
    },
  );

  it('the systemd unit passes systemd-analyze verify, with no warning', async () => {
    const unit = join(REPO, 'deploy/systemd/switchboard.service');
    const text = readRepoFile('deploy/systemd/switchboard.service');
    const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    console.log(
      `# systemd-analyze verify: exit ${verify.status}${verify.stderr ? `, ${verify.stderr.trim()}` : ', no output'}`,
    );
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(verify.stderr + verify.stdout, '', 'no warnings (unknown keys are warnings with exit 0)');
    // verify does read it: a misspelt key is reported.
    const dir = mkdtempSync(join(tmpdir(), 'sb-unit-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'switchboard.service'), text.replace('KillSignal=', 'KillSignl='));
    assert.match(
      spawnSync('systemd-analyze', ['verify', join(dir, 'switchboard.service')], { encoding: 'utf8' }).stderr,
      /Unknown key 'KillSignl'/,
    );

    const security = spawnSync('systemd-analyze', ['security', '--offline=yes', unit], { encoding: 'utf8' });
    const exposure = Number(/Overall exposure level for switchboard\.service: ([\d.]+)/.exec(security.stdout)?.[1]);
    console.log(`# systemd-analyze security --offline=yes: exposure ${exposure}`);
    assert.ok(exposure <= 2, `exposure ${exposure}`);

    const value = (key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]);
    assert.deepEqual(
      value('ExecStart'),
      [`/usr/bin/node /opt/switchboard/${image.entrypoint[1]} ${image.cmd.join(' ')}`],
      'the same command as the image',
    );
    assert.deepEqual(value('EnvironmentFile'), ['/etc/switchboard/env']);
    assert.deepEqual(value('KillSignal'), ['SIGTERM']);
    assert.deepEqual(value('Restart'), ['on-failure']);
    assert.deepEqual(value('User'), ['switchboard']);
    assert.ok(Number(value('LimitNOFILE')[0]) >= 65536);
    for (const key of ['NoNewPrivileges', 'ProtectSystem', 'ProtectHome', 'PrivateTmp'])
      assert.ok(value(key).length === 1, key);
    const stated = Number(/covers ([\d,]+) connections/.exec(text)![1].replaceAll(',', ''));
    assert.ok(
      durationMs(value('TimeoutStopSec')[0]) > stopBoundMs(stated),
      `TimeoutStopSec covers the drain of ${stated} connections`,
    );
  });

  it(
    'the Helm chart renders, validates against the Kubernetes schemas, ' + 'and its Deployment runs a real node',
    async () => {
      const { render, how } = await helmRenderer();
      const dir = mkdtempSync(join(tmpdir(), 'sb-helm-values-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const full = join(dir, 'full.yaml');
      writeFileSync(
        full,
        [
          'apiKey: { value: "helm-test-api-key-0123456789" }',
          'engine: { redisUrls: ["redis://r1:6379", "redis://r2:6379"], redisPrefix: "sb-helm:" }',
          'drain: { maxConnectionsPerPod: 20000, batchSize: 1000, intervalMs: 1000 }',
          'serviceMonitor: { enabled: true }',
          'autoscaling: { enabled: true }',
          'podAnnotations: { example.com/team: realtime }',
          'extraEnv: [{ name: SWITCHBOARD_LOG_LEVEL, value: debug }]',
        ].join('\n'),
      );
      const memory = join(dir, 'memory.yaml');
      writeFileSync(memory, 'engine: { type: memory }\n');
      const nats = join(dir, 'nats.yaml');
      writeFileSync(nats, 'engine: { type: nats, natsReplicas: 3 }\napiKey: { existingSecret: my-secret }\n');

      const defaults = await render([]);
      const featured = await render([full]);
      const natsRender = await render([nats]);
      await assert.rejects(render([memory]), /memory makes each pod an island/);
      const kinds = (docs: any[]) => docs.map((d) => d.kind).sort();
      assert.deepEqual(kinds(defaults), ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Secret', 'Service']);
      assert.deepEqual(kinds(featured), [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'PodDisruptionBudget',
        'Secret',
        'Service',
        'ServiceMonitor',
      ]);
      assert.deepEqual(
        kinds(natsRender),
        ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service'],
        'no Secret with existingSecret',
      );

      // Schema validation (kubernetes-models: the Kubernetes OpenAPI schemas; the prometheus-operator CRD's for
      // ServiceMonitor).
      let validated = 0;
      for (const doc of [...defaults, ...featured, ...natsRender]) {
        await validate(doc);
        validated++;
      }
      // A wrong type is caught, so the validation is real.
      const broken = structuredClone(defaults.find((d: any) => d.kind === 'Deployment'));
      broken.spec.template.spec.terminationGracePeriodSeconds = 'thirty';
      await assert.rejects(validate(broken), /terminationGracePeriodSeconds must be integer/);
      // Unknown fields: the OpenAPI schemas allow them, so the TypeScript types (excess property checks) catch typos.
      const strict = await strictTypes([...defaults, ...featured, ...natsRender]);
      console.log(`# helm chart: rendered with ${how}; ${validated} manifests valid against the schemas; ${strict}`);

      // The rendered objects fit together.
      const by = (docs: any[], kind: string) => docs.find((d) => d.kind === kind);
      for (const docs of [defaults, featured]) {
        const deploy = by(docs, 'Deployment');
        const pod = deploy.spec.template;
        const container = pod.spec.containers[0];
        assert.equal(container.readinessProbe.httpGet.path, '/health/ready');
        assert.equal(container.livenessProbe.httpGet.path, '/health/live');
        assert.deepEqual(container.lifecycle.preStop.exec.command, ['sleep', '5']);
        const imageUid = /useradd [^\n]*--uid (\d+)/.exec(readRepoFile('deploy/Dockerfile'))![1];
        assert.equal(String(pod.spec.securityContext.runAsUser), imageUid, "the image's user");
        const drain = docs === defaults ? drainMs(10_000, 500, 500) : drainMs(20_000, 1000, 1000);
        assert.equal(
          pod.spec.terminationGracePeriodSeconds,
          5 + Math.ceil(drain / 1000) + 10,
          'preStop + drain + 5 s + 5 s',
        );
        assert.deepEqual(by(docs, 'Service').spec.selector, deploy.spec.selector.matchLabels);
        assert.deepEqual(by(docs, 'PodDisruptionBudget').spec.selector, deploy.spec.selector);
        for (const [k, v] of Object.entries(deploy.spec.selector.matchLabels)) assert.equal(pod.metadata.labels[k], v);
        const keyRef = container.env.find((e: any) => e.name === 'SWITCHBOARD_API_KEY').valueFrom.secretKeyRef;
        assert.equal(keyRef.name, by(docs, 'Secret').metadata.name);
        assert.ok(by(docs, 'Secret').data[keyRef.key]);
      }
      const hpa = by(featured, 'HorizontalPodAutoscaler');
      const metricNames = [
        ...readRepoFile('packages/server/src/metrics/server-metrics.ts').matchAll(/name: '(switchboard_\w+)'/g),
      ].map((m) => m[1]);
      assert.ok(
        metricNames.includes(hpa.spec.metrics[0].pods.metric.name),
        `${hpa.spec.metrics[0].pods.metric.name} is a real gauge`,
      );
      assert.equal(hpa.spec.metrics[1].resource.name, 'cpu');
      assert.equal(hpa.spec.scaleTargetRef.name, by(featured, 'Deployment').metadata.name);
      assert.equal(by(featured, 'Deployment').spec.replicas, undefined, 'the HPA owns replicas');
      const monitor = by(featured, 'ServiceMonitor');
      assert.equal(monitor.spec.endpoints[0].port, by(featured, 'Service').spec.ports[0].name);
      assert.equal(monitor.spec.endpoints[0].authorization.credentials.name, by(featured, 'Secret').metadata.name);
      const natsEnv = Object.fromEntries(
        by(natsRender, 'Deployment').spec.template.spec.containers[0].env.map((e: any) => [
          e.name,
          e.value ?? e.valueFrom,
        ]),
      );
      assert.equal(natsEnv.SWITCHBOARD_NATS_REPLICAS, '3');
      assert.equal(natsEnv.SWITCHBOARD_REDIS_URL, undefined);
      assert.equal(natsEnv.SWITCHBOARD_API_KEY.secretKeyRef.name, 'my-secret');
      const notes = await render([full], true);
      assert.match(notes, /A pod stops in at most 35 s/);

      // A real node from the featured Deployment: its args after the image's ENTRYPOINT, its env
      // (secretKeyRef from the rendered Secret, fieldRef as the pod name), the ConfigMap as the
      // config file; substituted: the Redis URLs → this test's Redis, the port → a free one.
      const deploy = by(featured, 'Deployment');
      const container = deploy.spec.template.spec.containers[0];
      const configDir = join(dir, 'etc-switchboard');
      mkdirSync(configDir);
      writeFileSync(join(configDir, 'switchboard.json'), by(featured, 'ConfigMap').data['switchboard.json']);
      const [port] = await freePorts(1);
      const env: Record<string, string> = {};
      for (const e of container.env) {
        if (e.value !== undefined) env[e.name] = e.value;
        else if (e.valueFrom.secretKeyRef)
          env[e.name] = Buffer.from(by(featured, 'Secret').data[e.valueFrom.secretKeyRef.key], 'base64').toString();
        else if (e.valueFrom.fieldRef?.fieldPath === 'metadata.name') env[e.name] = 'sb-switchboard-7d9f-abcde';
      }
      env.SWITCHBOARD_CONFIG = join(configDir, 'switchboard.json');
      env.SWITCHBOARD_REDIS_URL = redis.url;
      env.SWITCHBOARD_PORT = String(port);
      assert.equal(container.ports[0].containerPort, Number(image.env.SWITCHBOARD_PORT));
      const node = await startProcess([...image.entrypoint, ...container.args], env, port);
      cleanups.push(() => stopProcess(node.child));
      for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe])
        assert.equal((await fetch(`${node.base}${probe.httpGet.path}`)).status, 200, probe.httpGet.path);
      const info = await fetch(`${node.base}/api/info`, {
        method: 'POST',
        headers: { authorization: `apikey ${env.SWITCHBOARD_API_KEY}` },
        body: '{}',
      });
      assert.equal(info.status, 200, 'the API key from the Secret');
      assert.ok(
        ((await info.json()) as { nodes: { name: string }[] }).nodes.some(
          (n) => n.name === 'sb-switchboard-7d9f-abcde',
        ),
      );
      const sub = await subscriber(`ws://127.0.0.1:${port}/connection/websocket`, 'chat:helm');
      const started = Date.now();
      const exited = once(node.child, 'exit');
      node.child.kill('SIGTERM');
      const [code] = (await exited) as [number];
      assert.equal(code, 0);
      assert.equal(await sub.closes, 1012);
      const graceMs = (deploy.spec.template.spec.terminationGracePeriodSeconds - 5) * 1000;
      assert.ok(Date.now() - started < graceMs, 'drained within the grace period after preStop');
      assert.match(node.log(), /"batchSize":1000,"intervalMs":1000,/, 'the drain settings from the ConfigMap');
      assert.match(node.log(), /"level":"debug"/, 'extraEnv: SWITCHBOARD_LOG_LEVEL=debug');
    },
  );
});

/**
 * `helm template` if the binary is here; otherwise test/helpers/helm-template.go (the same engine) built with Debian's
 * Go.
 */
async function helmRenderer(): Promise<{ how: string; render: (values: string[], notes?: boolean) => Promise<any> }> {
  const chart = join(REPO, 'deploy/helm/switchboard');
  const parse = (text: string) =>
    parseAllDocuments(text)
      .map((d) => d.toJS())
      .filter((d) => d);
  if (spawnSync('helm', ['version'], { encoding: 'utf8' }).status === 0) {
    return {
      how: 'helm template',
      render: async (values, notes = false) => {
        const args = ['template', 'sb', chart, '--namespace', 'default', ...values.flatMap((v) => ['-f', v])];
        if (notes) {
          const { stdout } = await run('helm', [
            'install',
            'sb',
            chart,
            '--dry-run',
            '--namespace',
            'default',
            ...values.flatMap((v) => ['-f', v]),
          ]);
          return stdout.slice(stdout.indexOf('NOTES:'));
        }
        return parse((await run('helm', args)).stdout);
      },
    };
  }
  const out = mkdtempSync(join(tmpdir(), 'sb-helm-template-'));
  const binary = join(out, 'helm-template');
  const build = spawnSync('go', ['build', '-o', binary, join(REPO, 'test/helpers/helm-template.go')], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH: '/usr/share/gocode',
      GOCACHE: join(tmpdir(), 'sb-helm-template-gocache'),
      GOFLAGS: '',
    },
  });
  assert.equal(
    build.status,
    0,
    `go build test/helpers/helm-template.go (apt-get install golang-go golang-github-masterminds-sprig-dev ` +
      `golang-gopkg-yaml.v2-dev): ${build.error ?? build.stderr}`,
  );
  process.on('exit', () => rmSync(out, { recursive: true, force: true }));
  return {
    how: 'test/helpers/helm-template.go (text/template + sprig, Helm 3 semantics)',
    render: async (values, notes = false) => {
      const { stdout } = await run(binary, [
        chart,
        'sb',
        'default',
        ...values.flatMap((v) => ['-f', v]),
        ...(notes ? ['--notes'] : []),
      ]);
      return notes ? stdout : parse(stdout);
    },
  };
}

const MODELS: Record<string, string> = {
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/Secret': 'kubernetes-models/v1/Secret',
  'v1/Service': 'kubernetes-models/v1/Service',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'policy/v1/PodDisruptionBudget': 'kubernetes-models/policy/v1/PodDisruptionBudget',
  'autoscaling/v2/HorizontalPodAutoscaler': 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
  'monitoring.coreos.com/v1/ServiceMonitor':
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
};

/** Validates one manifest with its kubernetes-models class (ajv against the API's OpenAPI schema). */
async function validate(doc: any): Promise<void> {
  const path = MODELS[`${doc.apiVersion}/${doc.kind}`];
  assert.ok(path, `no schema for ${doc.apiVersion} ${doc.kind}`);
  const mod = await import(path);
  const Model = mod[doc.kind];
  new Model(doc).validate();
}

/**
 * The manifests as object literals typed with kubernetes-models' interfaces, checked by tsc:
 * TypeScript's excess property check refuses a field the API does not have (which the OpenAPI
 * schemas, with no additionalProperties: false, let through).
 */
async function strictTypes(docs: any[]): Promise<string> {
  const dir = join(REPO, 'test-output', `helm-types-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const lines = [...new Set(docs.map((d) => `${d.apiVersion}/${d.kind}`))].map(
      (k) => `import type { I${k.split('/').pop()} } from '${MODELS[k]}';`,
    );
    docs.forEach((d, i) => lines.push(`export const m${i}: I${d.kind} = ${JSON.stringify(d, null, 1)};`));
    const typo = structuredClone(docs.find((d) => d.kind === 'Deployment'));
    typo.spec.template.spec.containers[0].readinessprobe = typo.spec.template.spec.containers[0].readinessProbe;
    const good = join(dir, 'manifests.ts');
    const bad = join(dir, 'typo.ts');
    writeFileSync(good, lines.join('\n'));
    writeFileSync(
      bad,
      `import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';\n` +
        `export const typo: IDeployment = ${JSON.stringify(typo)};\n`,
    );
    // One tsc run over both: the manifests must have no error, the typo exactly the excess property one.
    const tsc = spawnSync(
      process.execPath,
      [
        join(REPO, 'node_modules/typescript/bin/tsc'),
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        good,
        bad,
      ],
      { encoding: 'utf8', cwd: REPO },
    );
    const errors = tsc.stdout.trim().split('\n');
    assert.equal(errors.length, 1, tsc.stdout);
    assert.match(errors[0], /typo\.ts.*'"?readinessprobe"?' does not exist in type 'IContainer'/);
    return `${docs.length} manifests pass tsc's excess property checks (a misspelt readinessprobe is refused)`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
