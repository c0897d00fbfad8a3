// The image itself: deploy/Dockerfile built with Debian's buildah and run (docs/deployment.md
// "What is tested"). The base is a Debian bookworm made by mmdebstrap with this machine's Node
// and npm copied in, passed as the Dockerfile's BASE (the official node image cannot be pulled
// here: only the npm registry and Debian's archive are reachable). It is kept in the local
// image store between runs, keyed by the Node version. `podman run` is tried first; this
// sandbox refuses it (crun cannot set RLIMIT_NOFILE), and then the container's process runs
// under `buildah run --isolation chroot`, which applies the image's USER, WORKDIR and ENV.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { freePorts } from '@switchboard/testing/internal';
import {
  durationMs,
  listeningAddresses,
  parseDockerfile,
  readRepoFile,
  REPO,
  stopBoundMs,
} from './helpers/deploy-files.js';

/** Runs a command with no stdin (buildah hands its stdin to the build's RUN steps), resolving with its stdout. */
function run(command: string, args: string[], options: { cwd?: string } = {}): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d));
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve({ stdout })
        : reject(new Error(`${command} ${args.join(' ')}: exit ${code}: ${stderr.slice(-2000)}`)),
    );
  });
}
const TAG = `localhost/switchboard:deploy-test-${process.pid}`;
const BASE = `localhost/switchboard-test-base:node${process.versions.node}-bookworm`;
const image = parseDockerfile(readRepoFile('deploy/Dockerfile')).final;

/**
 * Makes the local base once: mmdebstrap (minbase + ca-certificates), then Node, npm and the host's CA bundle on top.
 */
async function ensureBase(): Promise<string> {
  if (spawnSync('buildah', ['inspect', '--type', 'image', BASE], { stdio: 'ignore' }).status === 0) return 'cached';
  const dir = mkdtempSync(join(tmpdir(), 'sb-image-base-'));
  try {
    const rootfs = join(dir, 'rootfs.tar');
    await run('mmdebstrap', ['--variant=minbase', '--include=ca-certificates', 'bookworm', rootfs]);
    const debian = `${BASE}-rootfs`;
    await run('buildah', ['import', rootfs, debian]).catch(() => run('podman', ['import', rootfs, debian]));
    copyFileSync(process.execPath, join(dir, 'node'));
    cpSync(join(process.execPath, '../../lib/node_modules/npm'), join(dir, 'npm'), { recursive: true });
    // The host reaches the npm registry through whatever CAs it trusts; so must the build.
    copyFileSync('/etc/ssl/certs/ca-certificates.crt', join(dir, 'host-ca.crt'));
    writeFileSync(
      join(dir, 'Containerfile'),
      `FROM ${debian}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY host-ca.crt /usr/local/share/host-ca.crt
ENV NPM_CONFIG_CAFILE=/usr/local/share/host-ca.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js \
/usr/local/bin/npx && node -v && npm -v
`,
    );
    await run('buildah', ['bud', '--isolation', 'chroot', '-t', BASE, dir]);
    return 'made with mmdebstrap';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The listening process on `port` (the container's PID 1 as the host sees it), from `ss`. */
function pidOnPort(port: number): number | undefined {
  const out = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' }).stdout;
  const m = /pid=(\d+)/.exec(out);
  return m ? Number(m[1]) : undefined;
}

describe('the image built from deploy/Dockerfile', { timeout: 200_000 }, () => {
  const containers: string[] = [];
  const children: ChildProcess[] = [];
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const c of containers) spawnSync('buildah', ['rm', c], { stdio: 'ignore' });
    spawnSync('buildah', ['rmi', TAG], { stdio: 'ignore' });
  });

  it('builds, runs as its non-root user on 0.0.0.0, answers its HEALTHCHECK, and drains on STOPSIGNAL', async () => {
    const base = await ensureBase();
    const started = Date.now();
    // --format docker keeps HEALTHCHECK (OCI image configs have no such field); --network host: npm ci reaches the
    // registry.
    await run(
      'buildah',
      [
        'bud',
        '--isolation',
        'chroot',
        '--network',
        'host',
        '--format',
        'docker',
        '--build-arg',
        `BASE=${BASE}`,
        '-f',
        'deploy/Dockerfile',
        '-t',
        TAG,
        '.',
      ],
      { cwd: REPO },
    );
    const buildMs = Date.now() - started;

    // The image's config is the Dockerfile's final stage.
    const config = JSON.parse((await run('buildah', ['inspect', '--type', 'image', TAG])).stdout);
    const docker = config.Docker.config;
    assert.deepEqual(docker.Entrypoint, image.entrypoint);
    assert.deepEqual(docker.Cmd, image.cmd);
    assert.equal(docker.User, 'switchboard');
    assert.equal(docker.WorkingDir, '/app');
    assert.deepEqual(Object.keys(docker.ExposedPorts), ['8000/tcp']);
    assert.equal(docker.StopSignal, 'SIGTERM');
    assert.deepEqual(docker.Healthcheck.Test, ['CMD', ...image.healthcheck!.cmd]);
    for (const [k, v] of Object.entries(image.env))
      assert.ok(docker.Env.includes(`${k}=${v}`), `${k}=${v} in the image`);
    const size = (await run('buildah', ['images', '--format', '{{.Size}}', TAG])).stdout.trim();
    const baseSize = (await run('buildah', ['images', '--format', '{{.Size}}', BASE])).stdout.trim();

    // podman run is what a user would do; this sandbox refuses it.
    const podman = spawnSync('podman', ['run', '--rm', TAG, 'serve', '--help'], { encoding: 'utf8', timeout: 60_000 });
    const podmanRan = podman.status === 0;
    if (!podmanRan)
      assert.match(
        podman.stderr,
        /crun: setrlimit `RLIMIT_NOFILE`: Operation not permitted/,
        `the documented refusal, not another: ${podman.stderr}`,
      );

    // The container's process under buildah run (USER, WORKDIR and ENV from the image), on a free port.
    const [port] = await freePorts(1);
    const container = (await run('buildah', ['from', TAG])).stdout.trim();
    containers.push(container);
    await run('buildah', ['config', '--env', `SWITCHBOARD_PORT=${port}`, container]);
    const inContainer = (argv: string[]) => [
      'run',
      '--isolation',
      'chroot',
      '--network',
      'host',
      container,
      '--',
      ...argv,
    ];
    const whoami = (
      await run(
        'buildah',
        inContainer([
          'sh',
          '-c',
          'id -u; pwd; ls node_modules/.bin | grep -c . ; test -d node_modules/typescript && echo dev-deps || ' +
            'echo no-dev-deps',
        ]),
      )
    ).stdout
      .trim()
      .split('\n');
    assert.equal(whoami[0], '10001');
    assert.equal(whoami[1], '/app');
    assert.equal(whoami[3], 'no-dev-deps', 'only production dependencies');
    const healthcheck = () =>
      spawnSync('buildah', inContainer(image.healthcheck!.cmd), {
        timeout: durationMs(image.healthcheck!.options.timeout) + 5000,
      }).status;

    const server = spawn('buildah', inContainer([...image.entrypoint, ...image.cmd]), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(server);
    let log = '';
    server.stdout!.on('data', (d: Buffer) => (log += d));
    server.stderr!.on('data', (d: Buffer) => (log += d));
    for (
      const t = Date.now();
      (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.status !== 200;
      await sleep(100)
    ) {
      assert.ok(Date.now() - t < 20_000 && server.exitCode === null, `the server in the image did not start: ${log}`);
    }
    assert.deepEqual(listeningAddresses(port), ['0.0.0.0']);
    const pid = pidOnPort(port)!;
    assert.ok(pid, 'the listening process');
    assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^Uid:\s+10001\s/m, 'runs as uid 10001');
    assert.equal(healthcheck(), 0, 'the image HEALTHCHECK passes');

    const sockets = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/connection/websocket`, 'switchboard.v1.json');
        await once(ws, 'open');
        ws.send(JSON.stringify({ id: 1, method: 'connect', params: {} }));
        await once(ws, 'message');
        // Wrapped: an async function returning a promise would wait for it (the close, after the drain).
        return { closed: new Promise<number>((resolve) => ws.on('close', (code) => resolve(code))) };
      }),
    );
    // The runtime sends STOPSIGNAL to the container's PID 1; `buildah run` does not forward signals, so the test sends
    // it.
    const stopAt = Date.now();
    process.kill(pid, image.stopSignal as NodeJS.Signals);
    const [code] = (await once(server, 'exit')) as [number];
    const stopMs = Date.now() - stopAt;
    assert.equal(code, 0, log);
    assert.ok(stopMs < stopBoundMs(sockets.length), `stopped in ${stopMs} ms`);
    assert.deepEqual(new Set(await Promise.all(sockets.map((s) => s.closed))), new Set([1012]));
    assert.notEqual(healthcheck(), 0, 'HEALTHCHECK fails once stopped');
    console.log(
      `# image: base ${base}, built in ${buildMs} ms, ${size} (base ${baseSize}); ` +
        `podman run: ${podmanRan ? 'ran' : podman.stderr.split('\n').find((l) => l.startsWith('Error:'))}; ` +
        `buildah run: uid 10001 on 0.0.0.0:${port}, HEALTHCHECK 0, SIGTERM → ${sockets.length} × 1012, ` +
        `exit 0 in ${stopMs} ms`,
    );
  });

  it('has a .dockerignore that keeps node_modules, dist and the tests out of the context', () => {
    assert.ok(existsSync(join(REPO, '.dockerignore')));
    const lines = readRepoFile('.dockerignore').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.git', 'test']) assert.ok(lines.includes(entry), entry);
  });
});
