import { describe, expect, test } from 'vitest';
import { REJECT_REASONS } from '../../../protocol/reject-reasons.ts';
import {
  encodeAgent,
  encodeAuth,
  encodeErr,
  encodePing,
  encodePong,
  ERR_REASONS,
  parseAgent,
  parseAuth,
  parsePing,
  parseReply,
} from '../../../protocol/session.ts';

describe('session lines (docs/protocol.md §9)', () => {
  test.each([
    ['AUTH s3cret', 's3cret'],
    ['AUTH s3cret\r', 's3cret'],
    ['AUTH !"#$%&~', '!"#$%&~'],
    ['AUTH', undefined],
    ['AUTH ', undefined],
    ['AUTH two words', undefined],
    ['AUTH t\u0000k', undefined],
    ['AUTH tök', undefined],
    ['auth s3cret', undefined],
    [' AUTH s3cret', undefined],
  ])('parseAuth(%j) is %j', (line, token) => expect(parseAuth(line)).toBe(token));

  test.each([
    ['PING 1', '1'],
    ['PING a1\r', 'a1'],
    [`PING ${'x'.repeat(64)}`, 'x'.repeat(64)],
    [`PING ${'x'.repeat(65)}`, undefined],
    ['PING', undefined],
    ['PING ', undefined],
    ['PING 1 2', undefined],
  ])('parsePing(%j) is %j', (line, token) => expect(parsePing(line)).toBe(token));

  test.each([
    ['AGENT obsmon-exporter/0.1.0', 'obsmon-exporter/0.1.0'],
    ['AGENT my-agent/2.0-rc1\r', 'my-agent/2.0-rc1'],
    ['AGENT sh/a/b', 'sh/a/b'],
    [`AGENT a/${'x'.repeat(62)}`, `a/${'x'.repeat(62)}`],
    [`AGENT a/${'x'.repeat(63)}`, undefined],
    ['AGENT', undefined],
    ['AGENT ', undefined],
    ['AGENT noslash', undefined],
    ['AGENT /1.0', undefined],
    ['AGENT name/', undefined],
    ['AGENT name/1 extra', undefined],
    ['AGENT n\u0000/1', undefined],
    ['AGENT agënt/1', undefined],
    ['agent a/1', undefined],
  ])('parseAgent(%j) is %j', (line, agent) => expect(parseAgent(line)).toBe(agent));

  test.each([
    ['PONG 7', { kind: 'pong', token: '7' }],
    ['ERR bad_value', { kind: 'err', reason: 'bad_value' }],
    ['ERR bad_token', { kind: 'err', reason: 'bad_token' }],
    ['ERR constructor', { kind: 'err', reason: 'other' }],
    ['ERR something_new', { kind: 'err', reason: 'other' }],
    ['ERR something odd', { kind: 'err', reason: 'other' }],
    ['ERR ', { kind: 'err', reason: 'other' }],
    ['ERR', undefined],
    ['HTTP/1.1 400 Bad Request', undefined],
    ['PONG', undefined],
  ])('parseReply(%j) is %j', (line, reply) => expect(parseReply(line)).toEqual(reply));

  test('every ERR word round-trips; the set is the reject reasons plus bad_token', () => {
    expect(ERR_REASONS).toEqual([...REJECT_REASONS, 'bad_token']);
    for (const reason of ERR_REASONS) expect(parseReply(encodeErr(reason).trimEnd())).toEqual({ kind: 'err', reason });
    expect(parseAuth(encodeAuth('tok').trimEnd())).toBe('tok');
    expect(parsePing(encodePing(42).trimEnd())).toBe('42');
    expect(parseAgent(encodeAgent('obsmon-exporter/1.2.3').trimEnd())).toBe('obsmon-exporter/1.2.3');
    expect(parseReply(encodePong('42').trimEnd())).toEqual({ kind: 'pong', token: '42' });
  });
});
