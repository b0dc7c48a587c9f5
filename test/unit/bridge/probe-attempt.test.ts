import { afterEach, expect, test, vi } from 'vitest';
import { probeAttempt, type ProbeResult } from '../../../bridge/probes/probe-result.ts';

afterEach(() => {
  vi.useRealTimers();
});

test('the first finish wins and closes the connection once; later answers are ignored', async () => {
  let finish!: (result: ProbeResult) => void;
  const close = vi.fn();
  const attempt = probeAttempt('response', 1000, new AbortController().signal, (f) => ((finish = f), close));
  finish({ up: false, reason: 'ECONNREFUSED' });
  finish({ up: true, rttSeconds: 0.001 });
  expect(await attempt).toEqual({ up: false, reason: 'ECONNREFUSED' });
  expect(close).toHaveBeenCalledTimes(1);
});

test('silence until the timeout is down, "no <what> within N s", and closes', async () => {
  vi.useFakeTimers();
  const close = vi.fn();
  const attempt = probeAttempt('connection', 2500, new AbortController().signal, () => close);
  await vi.advanceTimersByTimeAsync(2500);
  expect(await attempt).toEqual({ up: false, reason: 'no connection within 2.5 s' });
  expect(close).toHaveBeenCalledTimes(1);
});

test('an abort while waiting ends the attempt as "stopped" and closes; an aborted signal opens nothing', async () => {
  const controller = new AbortController();
  const close = vi.fn();
  const attempt = probeAttempt('response', 60_000, controller.signal, () => close);
  controller.abort();
  expect(await attempt).toEqual({ up: false, reason: 'stopped' });
  expect(close).toHaveBeenCalledTimes(1);

  const start = vi.fn(() => close);
  expect(await probeAttempt('response', 60_000, AbortSignal.abort(), start)).toEqual({ up: false, reason: 'stopped' });
  expect(start).not.toHaveBeenCalled();
});

test('a finish while starting (an error emitted at once) still closes what the start opened', async () => {
  const close = vi.fn();
  const attempt = probeAttempt('response', 60_000, new AbortController().signal, (finish) => {
    finish({ up: false, reason: 'EINVAL' });
    return close;
  });
  expect(await attempt).toEqual({ up: false, reason: 'EINVAL' });
  expect(close).toHaveBeenCalledTimes(1);
});
