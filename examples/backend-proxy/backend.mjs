// A small application backend for Switchboard's proxies: plain node:http, no dependencies.
// Switchboard POSTs one JSON object per event to /switchboard/<event>; this answers
// {result}, {error: {code, message}} or {disconnect: {code, reason}} (docs/server-api.md#backend-proxies).
import { createServer } from 'node:http';

const PORT = Number(process.env.PORT ?? 3000);
/** The app's own sessions: an opaque token → a user. Any scheme works; this one is not a JWT. */
const SESSIONS = new Map([
  ['alice-session', { user: 'alice', name: 'Alice' }],
  ['bob-session', { user: 'bob', name: 'Bob' }],
]);
const BANNED = new Set(['mallory-session']);

const events = {
  connect({ token, headers }) {
    if (BANNED.has(token)) return { disconnect: { code: 4503, reason: 'banned' } };
    const session = SESSIONS.get(token) ?? SESSIONS.get(cookie(headers.cookie, 'app_session'));
    if (!session) return { error: { code: 1401, message: 'unknown session' } };
    // Credentials last a minute; Switchboard then calls /switchboard/refresh.
    return {
      result: {
        user: session.user,
        info: { name: session.name },
        channels: [`notifications:${session.user}`],
        expiresAt: Date.now() + 60_000,
      },
    };
  },
  refresh: ({ user }) =>
    SESSIONS.size && [...SESSIONS.values()].some((s) => s.user === user)
      ? { result: { expiresAt: Date.now() + 60_000 } }
      : { result: { expired: true } },
  subscribe({ user, channel }) {
    if (channel === 'room:staff' && user !== 'alice') return { error: { code: 1403, message: 'staff only' } };
    return { result: { info: { joinedAt: new Date().toISOString() } } };
  },
  publish({ user, data }) {
    if (typeof data?.text !== 'string' || data.text.length > 500)
      return { error: { code: 1422, message: 'a message is {text} of at most 500 characters' } };
    // The backend rewrites what is published: the author is the authenticated user, not what the client claims.
    return { result: { data: { text: data.text, from: user, at: Date.now() } } };
  },
  rpc({ user, method, data }) {
    if (method === 'whoami') return { result: { data: { user } } };
    if (method === 'add') return { result: { data: { sum: Number(data?.a) + Number(data?.b) } } };
    return { error: { code: 1404, message: `no method ${method}` } };
  },
  sub_refresh: () => ({ result: { expiresAt: Date.now() + 60_000 } }),
};

function cookie(header, name) {
  for (const pair of (header ?? '').split(';')) {
    const [k, v] = pair.trim().split('=');
    if (k === name) return v;
  }
  return undefined;
}

createServer(async (req, res) => {
  const event = req.url?.replace('/switchboard/', '');
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
  const handler = Object.hasOwn(events, event) ? events[event] : undefined;
  if (!handler) return void res.writeHead(404).end();
  const answer = handler(body);
  const { token: _token, headers: _headers, ...shown } = body;
  console.log(`${event.padEnd(11)} ${JSON.stringify(shown)} -> ${JSON.stringify(answer)}`);
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
}).listen(PORT, '127.0.0.1', () => console.log(`backend on http://127.0.0.1:${PORT}`));
