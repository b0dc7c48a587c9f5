import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { Levels } from '../bridge/state/thresholds.ts';

/**
 * Writes an edited default level back into the thresholds file, keeping its comments and layout,
 * via a temporary file and rename so a crash never leaves half a file. The bridge reads the file at
 * start-up and on SIGHUP, so the change reaches it (and through it the alert rules) on its next reload.
 */
export function saveDefaultLevels(path: string, key: string, levels: Levels): void {
  const doc = parseDocument(readFileSync(path, 'utf8'));
  doc.setIn(['defaults', key, 'warning'], levels.warning);
  doc.setIn(['defaults', key, 'error'], levels.error);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, doc.toString());
  renameSync(temporary, path);
}
