import { keyKind } from '../../../protocol/keys.ts';
import { parseLine, type Sample } from '../../../protocol/line.ts';

/** Why a line of a textfile was not reported (a closed set: it labels a self-metric). */
export const TEXTFILE_LINE_REASONS = ['malformed', 'bad_key', 'reserved_key', 'standard_key', 'bad_value'] as const;
export type TextfileLineReason = (typeof TEXTFILE_LINE_REASONS)[number];

export interface TextfileParse {
  readonly samples: Sample[];
  /** 1-based line numbers of the lines left out, with why. */
  readonly skipped: Array<{ readonly line: number; readonly reason: TextfileLineReason }>;
}

/**
 * One file of the `--textfile-dir`: `key=value` or `key@qualifier=value` lines, `#` comments and
 * blank lines. Each line is checked by the protocol decoder itself, so a line passes here exactly
 * when the bridge would take it as a custom key: CUSTOM_KEY_PATTERN, no reserved name, a finite plain
 * decimal. Standard keys and LAMOST aliases are refused (`standard_key`): they belong to the
 * collectors, and a file must not override the measured `cpu`. Repeated series are left to the caller.
 */
export function parseTextfile(text: string): TextfileParse {
  const samples: Sample[] = [];
  const skipped: Array<{ line: number; reason: TextfileLineReason }> = [];
  const lines = text.split('\n');
  // A file cut mid-write by a writer that does not rename has a last line without `\n`: still read.
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, index) => {
    const field = raw.trim();
    if (field === '' || field.startsWith('#')) return;
    const skip = (reason: TextfileLineReason) => skipped.push({ line: index + 1, reason });
    // One field: a space or tab inside would make the decoder read several samples (or none).
    if (/\s/.test(field)) return skip('malformed');
    const parsed = parseLine(`t 1 ${field}`);
    if (!parsed.ok) return skip(TEXTFILE_LINE_REASONS.find((r) => r === parsed.reason) ?? 'malformed');
    const [sample] = parsed.report.samples;
    if (sample === undefined) return skip('malformed');
    if (keyKind(sample.key) !== 'custom') return skip('standard_key');
    samples.push(sample);
  });
  return { samples, skipped };
}
