// PusherConnection, sans I/O: Pusher frames → session commands, replies and pushes → Pusher frames, with no socket.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { PusherApp, PusherConnection, resolvePusherOptions } from '@switchboard/server/internal';
import type { Command, Push } from '@switchboard/wire';

const app = new PusherApp(
  resolvePusherOptions({ apps: [{ id: 'unit', key: 'unit-key', secret: 'unit-secret-123', clientEvents: true }] })
    .apps[0],
);
const CLIENT = '01234567-89ab-cdef-0123-456789abcdef';
const auth = (text: string) => `unit-key:${createHmac('sha256', 'unit-secret-123').update(text).digest('hex')}`;
const frames = (out: { frames: string[] }) =>
  out.frames.map((f) => JSON.parse(f) as { event: string; channel?: string; data: string });
const internal = (name: string) => app.channels.parse(name)!.internal;

/** A connection past `connection_established`, with its socket id. */
function established(): { conn: PusherConnection; socketId: string } {
  const conn = new PusherConnection(app, 0);
  const [connect] = conn.opening();
  assert.equal(connect.method, 'connect');
  const [hello] = frames(conn.reply({ id: connect.id!, result: { client: CLIENT, user: '', subs: {}, node: 'n' } }));
  assert.equal(hello.event, 'pusher:connection_established');
  const data = JSON.parse(hello.data) as { socket_id: string; activity_timeout: number };
  assert.match(data.socket_id, /^\d+\.\d+$/);
  assert.equal(data.activity_timeout, 120);
  return { conn, socketId: data.socket_id };
}

const join = (clientId: string, userId: string, channel: string): Push => ({
  push: 'join',
  channel: internal(channel),
  info: { clientId, userId: '', chanInfo: { user_id: userId } } as never,
});
const leave = (clientId: string, channel: string): Push => ({
  push: 'leave',
  channel: internal(channel),
  info: { clientId, userId: '' },
});

describe('PusherConnection (sans I/O)', () => {
  it(
    'frames before connection_established are ignored; ' + 'pusher:ping gets pusher:pong; bad JSON gets pusher:error',
    () => {
      const early = new PusherConnection(app, 0);
      assert.deepEqual(early.receive('{"event":"pusher:subscribe","data":{"channel":"a"}}', 0).commands, []);
      const { conn } = established();
      assert.equal(frames(conn.receive('{"event":"pusher:ping","data":{}}', 0))[0].event, 'pusher:pong');
      assert.equal(frames(conn.receive('{not json', 0))[0].event, 'pusher:error');
    },
  );

  it(
    'subscribe → one subscribe command in the app namespace → subscription_succeeded; unsubscribe → unsubscribe, ' +
      'and its pushes stop',
    () => {
      const { conn } = established();
      const [sub] = conn.receive(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'news' } }), 0)
        .commands as Command[];
      assert.deepEqual(sub.params, { channel: internal('news') });
      assert.match(internal('news'), /^pusher-[0-9a-f]{10}-pub:news$/);
      const [ok] = frames(conn.reply({ id: sub.id!, result: {} }));
      assert.deepEqual([ok.event, ok.channel, ok.data], ['pusher_internal:subscription_succeeded', 'news', '{}']);
      const publication: Push = {
        push: 'publication',
        channel: internal('news'),
        pub: { offset: 1, epoch: 'e', data: { e: 'hi', d: '{"a":1}' } },
      };
      assert.equal(conn.shared(publication), true);
      const [unsub] = conn.receive(
        JSON.stringify({ event: 'pusher:unsubscribe', data: { channel: 'news' } }),
        0,
      ).commands;
      assert.deepEqual([unsub.method, unsub.params], ['unsubscribe', { channel: internal('news') }]);
      assert.notEqual(conn.shared(publication), true);
    },
  );

  it('a private subscribe with a bad signature makes no command, only subscription_error 401', () => {
    const { conn, socketId } = established();
    const bad = conn.receive(
      JSON.stringify({
        event: 'pusher:subscribe',
        data: { channel: 'private-a', auth: auth(`${socketId}:private-b`) },
      }),
      0,
    );
    assert.deepEqual(bad.commands, []);
    const [error] = frames(bad);
    assert.equal(error.event, 'pusher:subscription_error');
    assert.equal(JSON.parse(error.data).status, 401);
    assert.equal(
      conn.receive(
        JSON.stringify({
          event: 'pusher:subscribe',
          data: { channel: 'private-a', auth: auth(`${socketId}:private-a`) },
        }),
        0,
      ).commands.length,
      1,
    );
  });

  it(
    'presence: the member list, then one member_added and one member_removed per user; pushes before the list wait ' +
      'for it',
    () => {
      const { conn, socketId } = established();
      const channelData = JSON.stringify({ user_id: 'me' });
      const [sub, members] = conn.receive(
        JSON.stringify({
          event: 'pusher:subscribe',
          data: {
            channel: 'presence-r',
            auth: auth(`${socketId}:presence-r:${channelData}`),
            channel_data: channelData,
          },
        }),
        0,
      ).commands;
      assert.deepEqual([sub.method, members.method], ['subscribe', 'presence']);
      assert.deepEqual(frames(conn.reply({ id: sub.id!, result: {} })), []);
      // A second tab of "bob" joins while the list is read: held, then counted.
      assert.notEqual(conn.shared(join('bob-2', 'bob', 'presence-r')), true);
      const listed = frames(
        conn.reply({
          id: members.id!,
          result: {
            clients: [
              { clientId: 'c-me', userId: '', chanInfo: { user_id: 'me' } },
              { clientId: 'bob-1', userId: '', chanInfo: { user_id: 'bob', user_info: { n: 1 } } },
            ],
          },
        }),
      );
      assert.deepEqual(JSON.parse(listed[0].data), {
        presence: { ids: ['me', 'bob'], hash: { me: null, bob: { n: 1 } }, count: 2 },
      });
      assert.equal(listed.length, 1, 'bob was in the list already: no member_added');
      assert.equal(conn.shared(join('eve-1', 'eve', 'presence-r')), true);
      assert.notEqual(conn.shared(join('eve-2', 'eve', 'presence-r')), true);
      assert.deepEqual(frames(conn.push(leave('bob-1', 'presence-r'))), []);
      const [removed] = frames(conn.push(leave('bob-2', 'presence-r')));
      assert.deepEqual(
        [removed.event, JSON.parse(removed.data)],
        ['pusher_internal:member_removed', { user_id: 'bob' }],
      );
    },
  );

  it('client events carry the sender socket (never echoed) and user_id on presence; 4301 past the rate', () => {
    const { conn, socketId } = established();
    const [sub] = conn.receive(
      JSON.stringify({
        event: 'pusher:subscribe',
        data: { channel: 'private-c', auth: auth(`${socketId}:private-c`) },
      }),
      0,
    ).commands;
    conn.reply({ id: sub.id!, result: {} });
    const [publish] = conn.receive(
      JSON.stringify({ event: 'client-typing', channel: 'private-c', data: { t: 1 } }),
      0,
    ).commands;
    assert.deepEqual(publish.params, {
      channel: internal('private-c'),
      data: { e: 'client-typing', d: { t: 1 }, x: socketId },
    });
    const echo: Push = {
      push: 'publication',
      channel: internal('private-c'),
      pub: { offset: 1, epoch: 'e', data: (publish.params as { data: unknown }).data },
    };
    assert.notEqual(conn.shared(echo), true);
    let refused: unknown;
    for (let i = 0; i < 20 && !refused; i++)
      refused = frames(
        conn.receive(JSON.stringify({ event: 'client-typing', channel: 'private-c', data: {} }), 0),
      ).find((f) => f.event === 'pusher:error');
    assert.equal(JSON.parse((refused as { data: string }).data).code, 4301);
    // A second later the bucket has refilled.
    assert.equal(
      conn.receive(JSON.stringify({ event: 'client-typing', channel: 'private-c', data: {} }), 1000).commands.length,
      1,
    );
  });

  it('closing maps disconnect codes to Pusher codes', () => {
    const { conn } = established();
    assert.deepEqual(
      [3001, 3401, 1012, 3012, 3400, 3008, 3504, 3502].map((c) => conn.closing(c, 'x').code),
      [4200, 4200, 4200, 4201, 4100, 4100, 4004, 4009],
    );
  });
});
