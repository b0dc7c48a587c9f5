import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sample } from '../../protocol/line.ts';
import { seriesId } from '../../protocol/series-id.ts';
import { parseTextfile, TEXTFILE_LINE_REASONS } from '../sources/parsers/textfile.ts';
import type { Collector } from './collector.ts';

/** Files read per cycle (in name order), bytes per file, values and their bytes in one report. */
export const TEXTFILE_LIMITS = { files: 64, fileBytes: 64 * 1024, keys: 64, reportBytes: 2048 } as const;

/**
 * Why a line or a file was left out: the line reasons, a series already given (`duplicate_key`),
 * a value past TEXTFILE_LIMITS (`over_limit`), a file too big, unreadable, or past the file limit.
 */
export const TEXTFILE_SKIP_REASONS = [
  ...TEXTFILE_LINE_REASONS,
  'duplicate_key',
  'over_limit',
  'too_large',
  'unreadable',
  'too_many_files',
] as const;

// `*.txt` only, not hidden: a writer puts `humidity.txt.tmp` (or `.humidity.txt`) and renames it over
// `humidity.txt`, so a half-written file is never read.
const TEXTFILE_NAME = /^[^.].*\.txt$/;

/** The text of a regular file of at most `max` bytes; `too_large` or `unreadable` otherwise, `gone` if it vanished. */
async function readBounded(path: string, max: number): Promise<string | 'too_large' | 'unreadable' | 'gone'> {
  let handle;
  try {
    handle = await open(path, 'r');
    // fstat on the open descriptor: a rename over the name after open cannot swap the file measured.
    const stat = await handle.stat();
    if (!stat.isFile()) return 'unreadable';
    if (stat.size > max) return 'too_large';
    const buffer = Buffer.alloc(max + 1);
    const { bytesRead } = await handle.read(buffer, 0, max + 1, 0);
    return bytesRead > max ? 'too_large' : buffer.toString('latin1', 0, bytesRead);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'unreadable';
  } finally {
    await handle?.close();
  }
}

/**
 * Custom keys from `--textfile-dir` (node_exporter's textfile collector for the line protocol): each
 * `*.txt` file holds `key=value` lines, written by any script (dome humidity, CCD set point) and read
 * again every cycle. Bounded by TEXTFILE_LIMITS; every line or file left out is reported through
 * `config.textfile.skipped`. Quiet without `--textfile-dir`.
 */
export const textfileCollector: Collector = {
  name: 'textfile',
  defaultEnabled: true,
  keys: ['<custom key>'],
  async collect(_source, state) {
    const config = state.config.textfile;
    if (config === undefined) return [];
    const names = (await readdir(config.dir)).filter((n) => TEXTFILE_NAME.test(n)).sort();
    for (const name of names.slice(TEXTFILE_LIMITS.files)) config.skipped('too_many_files', name);
    const samples: Sample[] = [];
    const seen = new Set<string>();
    let bytes = 0;
    for (const name of names.slice(0, TEXTFILE_LIMITS.files)) {
      const text = await readBounded(join(config.dir, name), TEXTFILE_LIMITS.fileBytes);
      if (text === 'gone') continue;
      if (text === 'too_large' || text === 'unreadable') {
        config.skipped(text, name);
        continue;
      }
      const parsed = parseTextfile(text);
      for (const { line, reason } of parsed.skipped) config.skipped(reason, `${name}:${line}`);
      for (const sample of parsed.samples) {
        const series = seriesId(sample.key, sample.qualifier);
        // As encodeReport writes it: `series=value` and a space.
        const size = series.length + String(sample.value).length + 2;
        if (seen.has(series)) {
          config.skipped('duplicate_key', `${name}: ${series}`);
        } else if (samples.length >= TEXTFILE_LIMITS.keys || bytes + size > TEXTFILE_LIMITS.reportBytes) {
          config.skipped('over_limit', `${name}: ${series}`);
        } else {
          seen.add(series);
          bytes += size;
          samples.push(sample);
        }
      }
    }
    return samples;
  },
};
