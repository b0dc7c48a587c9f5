import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Thresholds, worst } from '../../../bridge/state/thresholds.ts';
import { ConfigError } from '../../../config/config-error.ts';

function file(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'obsmon-thr-')), 't.yaml');
  writeFileSync(path, content);
  return path;
}

describe('Thresholds', () => {
  const thresholds = new Thresholds({
    defaults: { disk: { warning: 80, error: 90 }, cpu: { warning: 85, error: 95 } },
    groups: { cameras: { disk: { warning: 90, error: 95 } } },
    nodes: { ccd07: { disk: { warning: 60, error: 70 } } },
  });

  test('node override beats group override beats default', () => {
    expect(thresholds.levels('web1', 'default', 'disk')).toEqual({ warning: 80, error: 90 });
    expect(thresholds.levels('ccd01', 'cameras', 'disk')).toEqual({ warning: 90, error: 95 });
    expect(thresholds.levels('ccd07', 'cameras', 'disk')).toEqual({ warning: 60, error: 70 });
    expect(thresholds.levels('ccd07', 'cameras', 'cpu')).toEqual({ warning: 85, error: 95 });
  });

  test('status is warning at the warning level and error at the error level', () => {
    expect(thresholds.status('web1', 'default', 'disk', 79.9)).toBe('ok');
    expect(thresholds.status('web1', 'default', 'disk', 80)).toBe('warning');
    expect(thresholds.status('web1', 'default', 'disk', 90)).toBe('error');
    expect(thresholds.status('web1', 'default', 'load1', 1e6)).toBe('ok');
  });

  // Names, groups and keys come from agents: Object.prototype member names are names like any other.
  const prototypeNames = [...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__', 'prototype'])];

  test.each(prototypeNames)('%s as node, group or key has no levels of its own', (name) => {
    expect(thresholds.levels(name, 'default', 'nokey')).toBeUndefined();
    expect(thresholds.levels('web1', name, 'nokey')).toBeUndefined();
    expect(thresholds.levels('web1', 'default', name)).toBeUndefined();
    expect(thresholds.levels(name, name, name)).toBeUndefined();
    expect(thresholds.levels(name, name, 'disk')).toEqual({ warning: 80, error: 90 });
    expect(thresholds.status(name, name, name, 1e9)).toBe('ok');
    expect(thresholds.defaultLevels(name)).toBeUndefined();
  });

  test('lists every metric with levels anywhere', () => {
    expect(thresholds.metrics()).toEqual(['cpu', 'disk']);
  });

  test('worst orders error > warning > stale > ok', () => {
    expect(worst('ok', 'warning')).toBe('warning');
    expect(worst('error', 'warning')).toBe('error');
    expect(worst('stale', 'ok')).toBe('stale');
  });

  test('the built-in thresholds file loads and has the LAMOST 80 % disk warning', () => {
    expect(Thresholds.load().levels('x', 'default', 'disk')?.warning).toBe(80);
  });

  test('a file with warning above error is refused with a message naming the path', () => {
    const path = file('defaults:\n  disk: { warning: 95, error: 90 }\n');
    expect(() => Thresholds.load(path)).toThrow(ConfigError);
    expect(() => Thresholds.load(path)).toThrow(`${path}:2: defaults.disk: warning must not be above error`);
  });

  test('a file with an unknown section is refused at its line, with the closest section', () => {
    const path = file('# levels\ndefault:\n  disk: { warning: 1, error: 2 }\n');
    expect(() => Thresholds.load(path)).toThrow(
      `${path}:2: unknown key "default" (expected custom_metrics, defaults, groups, nodes; did you mean "defaults"?)`,
    );
  });
});
