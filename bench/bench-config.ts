/** Sizes and repetitions of one run; `--smoke` shrinks everything so CI can prove the scripts work. */
export interface BenchConfig {
  readonly smoke: boolean;
  /** Repetitions of each measurement (SAMPLES, default 3); tables show the median and the range. */
  readonly samples: number;
  /**
   * Windows or rounds of a measurement whose figure is a median of paired ratios (bridge and floor in
   * the same window, drain and restart in the same round): at least 5, as a pair's ratio moves by
   * ±20 % from one to the next on this machine; SAMPLES in a smoke run.
   */
  readonly pairedSamples: number;
  /** Ingest throughput: seconds per sample window. */
  readonly floodSeconds: number;
  readonly floodConnections: number;
  readonly floodNodes: number;
  /** Steady state: node counts, and the report interval. */
  readonly steadyNodes: readonly number[];
  readonly intervalMs: number;
  /** Pushgateway: node counts (each also in steadyNodes) and whether its consistency check is on. */
  readonly pushgatewayRuns: readonly { readonly nodes: number; readonly consistencyCheck: boolean }[];
  /** Storage: points per write measurement. */
  readonly storagePoints: number;
  /** Agent: its --interval (s; the default 10 as deployed: a colder process costs more per cycle), collection cycles per sample, and node_exporter scrapes per sample. */
  readonly agentIntervalS: number;
  readonly agentCycles: number;
  readonly nodeExporterScrapes: number;
}

export function benchConfig(smoke: boolean, env: NodeJS.ProcessEnv): BenchConfig {
  const samples = Math.max(1, Number(env['SAMPLES'] ?? (smoke ? 1 : 3)));
  const nodes = env['NODES']
    ?.split(',')
    .map(Number)
    .filter((n) => n > 0);
  if (smoke) {
    return {
      smoke,
      samples,
      pairedSamples: samples,
      floodSeconds: 0.5,
      floodConnections: 4,
      floodNodes: 100,
      steadyNodes: nodes ?? [50],
      intervalMs: 1000,
      pushgatewayRuns: (nodes ?? [50]).flatMap((n) => [
        { nodes: n, consistencyCheck: true },
        { nodes: n, consistencyCheck: false },
      ]),
      storagePoints: 2000,
      agentIntervalS: 0.5,
      agentCycles: 2,
      nodeExporterScrapes: 2,
    };
  }
  return {
    smoke,
    samples,
    pairedSamples: Math.max(5, samples),
    floodSeconds: 5,
    floodConnections: 50,
    floodNodes: 10_000,
    steadyNodes: nodes ?? [1000, 10_000, 50_000],
    intervalMs: 10_000,
    pushgatewayRuns: nodes
      ? nodes
          .filter((n) => n <= 10_000)
          .flatMap((n) => [
            { nodes: n, consistencyCheck: true },
            { nodes: n, consistencyCheck: false },
          ])
      : [
          { nodes: 1000, consistencyCheck: true },
          { nodes: 10_000, consistencyCheck: true },
          { nodes: 10_000, consistencyCheck: false },
        ],
    storagePoints: 200_000,
    agentIntervalS: 10,
    agentCycles: 6,
    nodeExporterScrapes: 10,
  };
}
