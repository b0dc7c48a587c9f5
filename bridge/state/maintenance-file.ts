import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { describeWindow, maintenanceWindowSchema, type MaintenanceWindow } from './maintenance-windows.ts';

/** Far above MAX_RUNTIME_WINDOWS windows of a few hundred bytes: a bigger file is not ours. */
const MAX_FILE_BYTES = 1024 * 1024;

/** Runtime maintenance windows are kept next to the node state: `nodes.json` → `nodes.maintenance.json`. */
export function maintenanceFilePath(statePath: string): string {
  return statePath.replace(/(\.json)?$/, '.maintenance.json');
}

export interface SavedWindows {
  readonly nextId: number;
  readonly windows: ReadonlyArray<readonly [string, MaintenanceWindow]>;
}

/** Written whole through a temporary file renamed over it (a crash leaves the old or the new file). */
export function saveMaintenanceFile(path: string, saved: SavedWindows): void {
  const body = JSON.stringify({
    version: 1,
    nextId: saved.nextId,
    windows: saved.windows.map(([id, w]) => ({ id, ...describeWindow(w) })),
  });
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/**
 * The saved windows, each validated as if posted again; invalid entries are left out and named in
 * `problems`. A missing file is an empty list (the first start).
 */
export function readMaintenanceFile(
  path: string,
  maxWindows: number,
): SavedWindows & { readonly problems: readonly string[] } {
  let text: string;
  try {
    if (statSync(path).size > MAX_FILE_BYTES)
      return { nextId: 1, windows: [], problems: [`larger than ${MAX_FILE_BYTES} bytes, ignored`] };
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { nextId: 1, windows: [], problems: [] };
    return { nextId: 1, windows: [], problems: [(error as Error).message] };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { nextId: 1, windows: [], problems: ['not JSON, ignored'] };
  }
  const file = data as { version?: unknown; nextId?: unknown; windows?: unknown } | null;
  if (file === null || typeof file !== 'object' || file.version !== 1 || !Array.isArray(file.windows))
    return { nextId: 1, windows: [], problems: ['not a version 1 maintenance file, ignored'] };
  const problems: string[] = [];
  const windows: Array<[string, MaintenanceWindow]> = [];
  const ids = new Set<string>();
  for (const entry of file.windows.slice(0, maxWindows) as unknown[]) {
    if (entry === null || typeof entry !== 'object') continue;
    const { id, source: _source, ...spec } = entry as { id?: unknown; source?: unknown };
    const parsed = maintenanceWindowSchema.safeParse(spec);
    if (typeof id !== 'string' || !/^m\d{1,15}$/.test(id) || ids.has(id) || !parsed.success) {
      problems.push(`window ${JSON.stringify(String(id)).slice(0, 40)} invalid, left out`);
      continue;
    }
    ids.add(id);
    windows.push([id, parsed.data]);
  }
  if (file.windows.length > maxWindows) problems.push(`more than ${maxWindows} windows, the rest left out`);
  const highest = Math.max(0, ...windows.map(([id]) => Number(id.slice(1))));
  const nextId =
    typeof file.nextId === 'number' && Number.isSafeInteger(file.nextId) && file.nextId > highest
      ? file.nextId
      : highest + 1;
  return { nextId, windows, problems };
}
