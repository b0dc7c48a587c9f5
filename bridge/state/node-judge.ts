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
 * new NodeState then). Nodes whose levels come out the same (every node of a group without levels of
 * its own) share one compiled object: a node costs a WeakMap entry, not a Map of levels and a closure.
 * Held per NodeState object in a WeakMap: a forgotten node takes its entry with it.
 */
export class CompiledThresholds {
  private compiled = new WeakMap<NodeState, Compiled>();
  /** This generation's compiled levels by their content; as many as distinct level sets in the file. */
  private shared = new Map<string, Compiled>();
  private sharedGeneration = -1;

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
      if (this.sharedGeneration !== generation) {
        this.shared = new Map();
        this.sharedGeneration = generation;
      }
      const levels = this.thresholds.forNode(node.name, node.group);
      const content = contentOf(levels);
      c = this.shared.get(content);
      if (c === undefined) {
        c = { generation, levels, judge: (key, value) => levelStatus(levels.get(key), value) };
        this.shared.set(content, c);
      }
      this.compiled.set(node, c);
    }
    return c;
  }
}

/** The levels as one string: equal strings, equal levels (keys are protocol keys, levels numbers). */
function contentOf(levels: NodeLevels): string {
  let text = '';
  for (const [key, l] of levels) text += `${key} ${l.warning} ${l.error}\n`;
  return text;
}

/** Without thresholds every value is ok (tables built by tests and tools that judge nothing). */
export const JUDGE_NOTHING: NodeJudge = () => () => 'ok';
