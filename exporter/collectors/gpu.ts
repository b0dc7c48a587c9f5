import type { Sample } from '../../protocol/line.ts';
import type { Collector } from './collector.ts';

/**
 * `gpu@<n>` (utilisation), `gpu_mem@<n>` (memory in use) and `gpu_temp@<n>` for each NVIDIA GPU, from
 * the one nvidia-smi child the agent keeps (sources/nvidia-smi.ts). Always qualified, even with one
 * GPU: there is no all-GPUs value. Off by default; quiet when nvidia-smi is absent.
 */
export const gpuCollector: Collector = {
  name: 'gpu',
  defaultEnabled: false,
  keys: ['gpu@<gpu>', 'gpu_mem@<gpu>', 'gpu_temp@<gpu>'],
  async collect(_source, state) {
    const samples: Sample[] = [];
    for (const g of state.config.gpus?.gpus() ?? []) {
      const qualifier = g.gpu;
      if (g.utilizationPercent !== undefined) samples.push({ key: 'gpu', qualifier, value: g.utilizationPercent });
      if (g.memoryUsedPercent !== undefined) samples.push({ key: 'gpu_mem', qualifier, value: g.memoryUsedPercent });
      if (g.celsius !== undefined) samples.push({ key: 'gpu_temp', qualifier, value: g.celsius });
    }
    return samples;
  },
};
