// The errno a reader gets for each typed error (src/fuse/errno.ts): a missing object is ENOENT, a
// refused token EACCES, a write EROFS, a malformed name ENOENT when looked up, and everything else —
// the network, the server, a bug — EIO. Expected numbers come from node's os.constants, not from us.
import test from 'ava';
import { constants } from 'node:os';
import * as errors from '../src/errors.js';
import { errnoFor } from '../src/fuse/errno.js';

const E = constants.errno;
type ErrnoName = 'ENOENT' | 'EACCES' | 'EROFS' | 'EIO';

/** Every concrete error class of src/errors.ts, an instance of it, and what a reader gets on lookup and on read. */
const TABLE: Record<string, { make: () => Error; lookup: ErrnoName; io: ErrnoName }> = {
  NotFound: { make: () => new errors.NotFound('no such object'), lookup: 'ENOENT', io: 'ENOENT' },
  AccessDenied: { make: () => new errors.AccessDenied('token rejected', 'token'), lookup: 'EACCES', io: 'EACCES' },
  ReadOnly: { make: () => new errors.ReadOnly('read-only filesystem'), lookup: 'EROFS', io: 'EROFS' },
  InvalidInput: { make: () => new errors.InvalidInput('seq1:200-100: start after end'), lookup: 'ENOENT', io: 'EIO' },
  Unavailable: { make: () => new errors.Unavailable('read deadline passed'), lookup: 'EIO', io: 'EIO' },
  TransientError: { make: () => new errors.TransientError('503', 503), lookup: 'EIO', io: 'EIO' },
  ProtocolError: { make: () => new errors.ProtocolError('bad Content-Range'), lookup: 'EIO', io: 'EIO' },
  BadRequest: { make: () => new errors.BadRequest('analysis not published'), lookup: 'EIO', io: 'EIO' },
};

test('the table names every error class of src/errors.ts, so a new one needs its errno decided here', (t) => {
  const classes = Object.entries(errors)
    .filter(([, v]) => typeof v === 'function' && v.prototype instanceof errors.ScorefsError)
    .map(([name]) => name);
  t.deepEqual(classes.sort(), Object.keys(TABLE).sort());
  for (const [name, { make }] of Object.entries(TABLE)) t.is(make().constructor.name, name, `the table makes a ${name}`);
});

for (const [name, { make, lookup, io }] of Object.entries(TABLE)) {
  test(`${name} is ${lookup} when a name is looked up and ${io} on a read`, (t) => {
    t.is(errnoFor(make(), 'lookup'), -E[lookup]);
    t.is(errnoFor(make(), 'io'), -E[io]);
  });
}

test('AccessDenied is EACCES whether the token was rejected or lacks the scope', (t) => {
  t.is(errnoFor(new errors.AccessDenied('401', 'token'), 'io'), -E.EACCES);
  t.is(errnoFor(new errors.AccessDenied('403', 'scope'), 'io'), -E.EACCES);
});

test('a subclass keeps the errno of its class', (t) => {
  class ObjectGone extends errors.NotFound {}
  class Refused extends errors.AccessDenied {}
  t.is(errnoFor(new ObjectGone('gone'), 'io'), -E.ENOENT);
  t.is(errnoFor(new Refused('no', 'scope'), 'lookup'), -E.EACCES);
});

test('unknown errors are EIO, also ones that look like another errno', (t) => {
  const fsError = Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT', errno: -E.ENOENT });
  for (const err of [new Error('boom'), new TypeError('x is undefined'), fsError, 'a string', undefined, null, { code: 'NOT_FOUND' }]) {
    t.is(errnoFor(err, 'lookup'), -E.EIO, String(err));
    t.is(errnoFor(err, 'io'), -E.EIO, String(err));
  }
});
