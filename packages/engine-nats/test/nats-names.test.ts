// Channel names, node ids and client ids become one subject token each: any string must
// round-trip, and the token must be legal in a subject and a KV key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { NatsNames, profileOf } from '../src/nats-names.js';

describe('NatsNames', () => {
  it('encodes any string as one token that is legal in subjects and KV keys, and decodes it back', () => {
    fc.assert(
      fc.property(fc.fullUnicodeString(), (text) => {
        const token = NatsNames.token(text);
        assert.match(token, /^[-/=\w]+$/, 'KV key characters, no ".", "*", ">" or spaces');
        assert.equal(NatsNames.untoken(token), text);
      }),
    );
    assert.equal(NatsNames.token(''), '=');
    assert.notEqual(NatsNames.token('a.b'), NatsNames.token('a*b'));
  });

  it('names streams per profile and reads the profile back; refuses prefixes that would break names', () => {
    const names = new NatsNames('sb');
    const profile = profileOf({ size: 100, ttlMs: 50 });
    assert.deepEqual(profile, { size: 100, ttlMs: 100 }, 'TTLs under 100 ms are raised to JetStream’s minimum max_age');
    assert.equal(names.historyStream(profile), 'sb_h_100_100');
    assert.deepEqual(names.profileOfStream('sb_h_100_100'), profile);
    assert.equal(names.profileOfStream('other_h_1_2'), undefined);
    assert.equal(names.historySubject(profile, 'chat:room.1'), `sb.h.100_100.${NatsNames.token('chat:room.1')}`);
    assert.equal(names.ttlOfPresenceBucket('KV_sb_p_60000'), 60000);
    for (const bad of ['', 'a.b', 'a b', 'a*', 'a>']) assert.throws(() => new NatsNames(bad), /prefix must match/);
  });
});
