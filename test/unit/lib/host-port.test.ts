import { expect, test } from 'vitest';
import { parseHostPort } from '../../../lib/host-port.ts';

test.each([
  ['10.0.0.5:7070', { host: '10.0.0.5', port: 7070 }],
  ['bridge.example.org:1', { host: 'bridge.example.org', port: 1 }],
  ['[::1]:7070', { host: '::1', port: 7070 }],
  ['[::ffff:10.0.0.1]:65535', { host: '::ffff:10.0.0.1', port: 65535 }],
  ['host', undefined],
  ['[::1]', undefined],
  ['::1', undefined],
  ['fe80::1:7070', undefined],
  ['host:0', undefined],
  ['host:65536', undefined],
  ['host:', undefined],
  [':7070', undefined],
  ['a b:1', undefined],
  ['', undefined],
])('without a default port, %j is %j', (text, expected) => {
  expect(parseHostPort(text)).toEqual(expected);
});

test.each([
  ['localhost', { host: 'localhost', port: 617 }],
  ['10.0.0.1:1617', { host: '10.0.0.1', port: 1617 }],
  ['[::1]', { host: '::1', port: 617 }],
  ['::1', { host: '::1', port: 617 }],
  ['fe80::1:7070', { host: 'fe80::1:7070', port: 617 }],
  ['host:0', undefined],
  ['a/b', undefined],
])('with default port 617, %j is %j', (text, expected) => {
  expect(parseHostPort(text, 617)).toEqual(expected);
});
