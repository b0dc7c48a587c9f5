import { ProcfsSource } from './procfs.ts';
import type { MountSelection, SystemSource } from './system-source.ts';

/** Which implementation reads the machine; `auto` = procfs on Linux, systeminformation elsewhere. */
export type SourceKind = 'auto' | 'procfs' | 'systeminformation';

export interface SourceConfig {
  readonly kind: SourceKind;
  readonly mounts: MountSelection;
  readonly warn?: (key: string, message: string) => void;
}

/**
 * The source for this platform. systeminformation is imported only when chosen: on Linux the agent
 * never loads it.
 */
export async function createSource(
  config: SourceConfig,
  platform: NodeJS.Platform = process.platform,
): Promise<SystemSource> {
  const kind = config.kind === 'auto' ? (platform === 'linux' ? 'procfs' : 'systeminformation') : config.kind;
  if (kind === 'procfs')
    return new ProcfsSource({ mounts: config.mounts, ...(config.warn === undefined ? {} : { warn: config.warn }) });
  const { SiSource } = await import('./si.ts');
  return new SiSource({ mounts: config.mounts });
}
