import type { NodeLevels, Thresholds } from '../../config/thresholds.ts';
import { levelStatus, type LevelStatus } from '../../protocol/status.ts';
import type { NodeState } from './node-table.ts';

/** Judges one value of a node: its status at the node's levels. */
export type ValueJudge = (key: string, value: number) => LevelStatus;

/** The judge of a node's values; NodeTable.accept calls it once per report (bridge/state/node-table.ts). */
export type NodeJudge = (node: NodeState) => ValueJudge;

interface Compiled {
  readonly generation: number;
  readonly levels: NodeLevels;
  readonly judge: ValueJudge;
}

/**
 * Thresholds compiled per node: the levels of every key resolved once for the node's name and group,
 * so judging a value at ingest is one Map lookup and two comparisons. Compiled again after a SIGHUP
 * reload (Thresholds.generation moved) and for a node whose inventory group changed (the table makes a
 * new NodeState then). Held per NodeState object in a WeakMap: a forgotten node takes its levels with it.
 */
export class CompiledThresholds {
  private compiled = new WeakMap<NodeState, Compiled>();

  constructor(private readonly thresholds: Thresholds) {}

  /** The judge to pass to NodeTable. */
  readonly judge: NodeJudge = (node) => this.of(node).judge;

  /** The node's levels per key (for the API view and anything else that shows them). */
  levels(node: NodeState): NodeLevels {
    return this.of(node).levels;
  }

  private of(node: NodeState): Compiled {
    const generation = this.thresholds.generation;
    let c = this.compiled.get(node);
    if (c === undefined || c.generation !== generation) {
      const levels = this.thresholds.forNode(node.name, node.group);
      c = { generation, levels, judge: (key, value) => levelStatus(levels.get(key), value) };
      this.compiled.set(node, c);
    }
    return c;
  }
}

/** Without thresholds every value is ok (tables built by tests and tools that judge nothing). */
export const JUDGE_NOTHING: NodeJudge = () => () => 'ok';
