import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@switchboard/testing/internal';

/** Debian's nginx, started by a test with its own prefix, config and port, stopped by its PID. */
export interface Nginx {
  child: ChildProcess;
  port: number;
  base: string;
  stop(): Promise<void>;
}

/**
 * Runs `nginx -p <tmp> -c nginx.conf -g 'daemon off;'` in the foreground (so
 * the child's PID is the master's), with `http` holding the server block(s);
 * `{{PORT}}` in it is replaced by the listening port.
 */
export async function startNginx(http: string): Promise<Nginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'sb-nginx-'));
  for (const d of ['logs', 'tmp/body', 'tmp/proxy']) mkdirSync(join(prefix, d), { recursive: true });
  const port = await freePort();
  // As root, workers would switch to `nobody`, who cannot use this private prefix.
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `${user}
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/proxy; uwsgi_temp_path ${prefix}/tmp/proxy; scgi_temp_path ${prefix}/tmp/proxy;
  ${http.replaceAll('{{PORT}}', String(port))}
}
`,
  );
  const child = spawn('/usr/sbin/nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (i > 100) throw new Error('nginx did not start listening');
    await sleep(50);
  }
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGQUIT'); // graceful, by the master's PID
        const exited = once(child, 'exit');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
