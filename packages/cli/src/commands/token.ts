import { parseArgs } from 'node:util';
import { signToken, type TokenClaims } from '@switchboard/server';
import { UsageError, integerOption } from '../usage-error.js';

const HELP = `Usage: switchboard token --sub USER [options]

Prints an HS256 JWT for development and tests, in the claim format the server
reads (docs/operations.md#authentication). Production tokens come from your own
auth service.

Options:
  --secret S          HMAC secret, at least 32 characters (default: $SWITCHBOARD_JWT_SECRET,
                      which keeps it out of the process list)
  --sub USER          the user id (sub claim); required
  --ttl SECONDS       lifetime (default 3600)
  --channel C         a subscribe token for channel C (allowSubscribe: "token" namespaces)
                      instead of a connection token
  --info JSON         connection info shared in presence (info claim)
  -h, --help          show this help

Example:
  export SWITCHBOARD_JWT_SECRET="$(openssl rand -base64 32)"
  npx switchboard serve --config switchboard.json &
  npx switchboard token --sub alice --info '{"name":"Alice"}'`;

export async function runToken(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      secret: { type: 'string' },
      sub: { type: 'string' },
      ttl: { type: 'string' },
      channel: { type: 'string' },
      info: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const secret = values.secret ?? process.env.SWITCHBOARD_JWT_SECRET;
  if (!secret) throw new UsageError('token needs --secret S or SWITCHBOARD_JWT_SECRET');
  if (!values.sub) throw new UsageError('token needs --sub USER');
  const ttlSeconds = integerOption('ttl', values.ttl, 3600);
  if (ttlSeconds === 0) throw new UsageError('--ttl must be at least 1 second');
  if (values.channel !== undefined && values.info !== undefined)
    throw new UsageError('--info is for connection tokens, not subscribe tokens (--channel)');
  const claims: TokenClaims = { sub: values.sub };
  if (values.channel !== undefined) claims.channel = values.channel;
  if (values.info !== undefined) {
    try {
      claims.info = JSON.parse(values.info);
    } catch (error) {
      throw new UsageError(`--info must be JSON: ${(error as Error).message}`);
    }
  }
  try {
    console.log(await signToken(claims, { secret, ttlSeconds }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
