// The dashboard: polls POST /admin/api/stats once a second (every node answers over the control bus),
// turns cumulative counters into per-second rates, and renders with plain DOM and SVG.
'use strict';
const $ = (id) => document.getElementById(id);
let auth = sessionStorage.getItem('sb-admin-auth');
let previous; // the last stats answer, for rates
const history = []; // [{at, connections, out}] for the chart
const HISTORY_S = 120;

async function call(method, body = {}) {
  const res = await fetch(`/admin/api/${method}`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({ error: { message: `HTTP ${res.status}` } }));
  if (!res.ok) throw Object.assign(new Error(json.error?.message ?? `HTTP ${res.status}`), { status: res.status });
  return json;
}

const sum = (o) => Object.values(o ?? {}).reduce((a, b) => a + b, 0);
const fmt = (n) => (!Number.isFinite(n) ? '–' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const count = (n) => Math.round(n).toLocaleString('en-US');
const bytes = (n) =>
  n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
const uptime = (ms) => {
  const s = Math.floor(ms / 1000);
  return s >= 3600
    ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} m`
    : s >= 60
      ? `${Math.floor(s / 60)} m ${s % 60} s`
      : `${s} s`;
};
function cell(row, text, title) {
  const td = row.insertCell();
  td.textContent = text;
  if (title) td.title = title;
  return td;
}

function rates(node, before, seconds) {
  const d = (f) => (before ? Math.max(0, f(node) - f(before)) / seconds : NaN);
  return {
    handshakes: d((n) => n.handshakesByStatus['101'] ?? 0),
    refused: d((n) => n.handshakesByStatus['503'] ?? 0),
    abnormal: d((n) => n.disconnectsByCode['1006'] ?? 0),
    reconnects: d((n) => n.reconnects),
    pubs: d((n) => n.publications),
    out: d((n) => n.messagesSent),
    cpu: d((n) => n.cpuSeconds) * 100,
    connectMs:
      before && node.connect.count > before.connect.count
        ? ((node.connect.sum - before.connect.sum) / (node.connect.count - before.connect.count)) * 1000
        : NaN,
  };
}

function render(stats) {
  const seconds = previous ? (stats.at - previous.at) / 1000 : 1;
  const beforeOf = new Map((previous?.nodes ?? []).map((n) => [n.nodeId, n]));
  const body = $('nodes').tBodies[0];
  body.replaceChildren();
  const total = { connections: 0, handshakes: 0, out: 0, pubs: 0, abnormal: 0 };
  const closes = {};
  const channels = new Map();
  for (const node of [...stats.nodes].sort((a, b) => (a.name + a.nodeId).localeCompare(b.name + b.nodeId))) {
    const r = rates(node, beforeOf.get(node.nodeId), seconds);
    const connections = sum(node.connectionsByTransport);
    total.connections += connections;
    for (const k of ['handshakes', 'out', 'pubs', 'abnormal']) total[k] += Number.isFinite(r[k]) ? r[k] : 0;
    for (const [code, n] of Object.entries(node.disconnectsByCode)) closes[code] = (closes[code] ?? 0) + n;
    for (const [name, n] of node.topChannels) channels.set(name, (channels.get(name) ?? 0) + n);
    const row = body.insertRow();
    row.dataset.node = node.nodeId;
    cell(row, `${node.name || 'node'} ${node.nodeId}`);
    cell(row, node.version);
    cell(row, uptime(node.uptimeMs));
    cell(
      row,
      count(connections),
      Object.entries(node.connectionsByTransport)
        .map(([t, n]) => `${t}: ${n}`)
        .join(', ') || 'none',
    ).className = 'connections';
    cell(row, fmt(r.handshakes));
    cell(row, fmt(r.refused));
    cell(row, Number.isFinite(r.connectMs) ? `${r.connectMs.toFixed(1)} ms` : '–');
    cell(row, fmt(r.abnormal));
    cell(row, fmt(r.reconnects));
    cell(row, bytes(node.bufferedBytes));
    cell(
      row,
      count(sum(node.slowConsumer)),
      Object.entries(node.slowConsumer)
        .map(([k, n]) => `${k}: ${n}`)
        .join(', ') || 'none',
    );
    cell(row, fmt(r.pubs));
    cell(row, fmt(r.out));
    cell(row, Number.isFinite(r.cpu) ? `${r.cpu.toFixed(0)} %` : '–');
    cell(row, `${(node.eventLoopLagSeconds * 1000).toFixed(1)} ms`);
    const button = document.createElement('button');
    button.className = 'danger';
    button.textContent = 'Drain';
    button.onclick = () =>
      confirm(`Drain node ${node.nodeId}? Its clients move to other nodes.`) &&
      act('drain', { node: node.nodeId, code: 1012 });
    row.insertCell().append(button);
  }
  $('tiles').replaceChildren(
    ...[
      ['nodes', stats.nodes.length],
      ['connections', total.connections],
      ['handshakes/s', total.handshakes],
      ['1006 closes/s', total.abnormal],
      ['publications in/s', total.pubs],
      ['messages out/s', total.out],
    ].map(([label, value]) => {
      const tile = document.createElement('div');
      tile.className = 'tile';
      tile.innerHTML = '<b></b><span></span>';
      tile.firstChild.textContent = label === 'nodes' || label === 'connections' ? count(value) : fmt(value);
      tile.lastChild.textContent = label;
      tile.dataset.metric = label;
      return tile;
    }),
  );
  const closeRows = $('closes').tBodies[0];
  closeRows.replaceChildren();
  for (const [code, n] of Object.entries(closes).sort((a, b) => b[1] - a[1])) {
    const row = closeRows.insertRow();
    cell(row, code);
    cell(row, count(n));
  }
  const channelRows = $('channels').tBodies[0];
  channelRows.replaceChildren();
  for (const [name, n] of [...channels].sort((a, b) => b[1] - a[1]).slice(0, 10)) {
    const row = channelRows.insertRow();
    cell(row, name);
    cell(row, count(n));
  }
  history.push({ at: stats.at, connections: total.connections, out: total.out });
  while (history.length && history[0].at < stats.at - HISTORY_S * 1000) history.shift();
  chart();
  previous = stats;
}

function chart() {
  const line = (key, color) => {
    const max = Math.max(1, ...history.map((h) => h[key]));
    const t0 = history[0].at;
    const points = history
      .map((h) => `${(((h.at - t0) / (HISTORY_S * 1000)) * 600).toFixed(1)},${(88 - (h[key] / max) * 84).toFixed(1)}`)
      .join(' ');
    return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>`;
  };
  $('chart').innerHTML = history.length > 1 ? line('connections', '#3b6cf6') + line('out', '#2bb673') : '';
}

async function act(method, body) {
  try {
    $('result').textContent = JSON.stringify(await call(method, body), null, 2);
  } catch (error) {
    $('result').textContent = `error: ${error.message}`;
  }
}

async function poll() {
  try {
    render(await call('stats'));
    $('status').textContent = `live · ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    $('status').textContent = `error: ${error.message}`;
    if (error.status === 401) return signOut(error.message);
  }
  setTimeout(poll, 1000);
}

function signOut(message) {
  sessionStorage.removeItem('sb-admin-auth');
  auth = null;
  $('board').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message ?? '';
}

function start() {
  $('login').hidden = true;
  $('board').hidden = false;
  void poll();
}

$('login-form').onsubmit = (e) => {
  e.preventDefault();
  auth = `${$('use-admin').checked ? 'admin' : 'apikey'} ${$('secret').value}`;
  sessionStorage.setItem('sb-admin-auth', auth);
  start();
};
$('publish-form').onsubmit = (e) => {
  e.preventDefault();
  let data;
  try {
    data = JSON.parse($('pub-data').value);
  } catch {
    $('result').textContent = 'error: data is not JSON';
    return;
  }
  void act('publish', { channel: $('pub-channel').value, data });
};
$('disconnect-form').onsubmit = (e) => {
  e.preventDefault();
  void act('disconnect', { user: $('dis-user').value });
};
$('lookup-form').onsubmit = (e) => {
  e.preventDefault();
  const method = e.submitter?.value === 'history' ? 'history' : 'presence';
  void act(
    method,
    method === 'history' ? { channel: $('look-channel').value, limit: 20 } : { channel: $('look-channel').value },
  );
};
if (auth) start();
