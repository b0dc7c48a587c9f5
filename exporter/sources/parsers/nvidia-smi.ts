import type { GpuReading } from '../system-source.ts';

/** What the agent asks nvidia-smi for, in this order (`--query-gpu=`). */
export const NVIDIA_SMI_QUERY = ['index', 'utilization.gpu', 'memory.used', 'memory.total', 'temperature.gpu'] as const;

/** `12`, `12.5`; `[N/A]`, `[Not Supported]`, `N/A` and anything else are "not known". */
function number(field: string | undefined): number | undefined {
  if (field === undefined || !/^\d+(\.\d+)?$/.test(field)) return undefined;
  return Number(field);
}

/**
 * One line of `nvidia-smi --query-gpu=<NVIDIA_SMI_QUERY> --format=csv,noheader,nounits`:
 * `0, 45, 1024, 16384, 63`. `undefined` for a line that is not one (a header, an error message
 * such as "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver", a torn
 * line); a field the GPU does not support is left out of the reading.
 */
export function parseNvidiaSmiLine(line: string): GpuReading | undefined {
  const fields = line.split(',').map((f) => f.trim());
  if (fields.length !== NVIDIA_SMI_QUERY.length) return undefined;
  const [index, utilization, used, total, temperature] = fields;
  if (index === undefined || !/^\d{1,3}$/.test(index)) return undefined;
  const util = number(utilization);
  const usedMiB = number(used);
  const totalMiB = number(total);
  const celsius = number(temperature);
  return {
    gpu: String(Number(index)),
    ...(util !== undefined && util <= 100 && { utilizationPercent: util }),
    ...(usedMiB !== undefined &&
      totalMiB !== undefined &&
      totalMiB > 0 &&
      usedMiB <= totalMiB && { memoryUsedPercent: (usedMiB / totalMiB) * 100 }),
    ...(celsius !== undefined && { celsius }),
  };
}
