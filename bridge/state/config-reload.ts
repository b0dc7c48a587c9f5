import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../lib/logger.ts';
import { plural } from '../../lib/plural.ts';
import { inventoryChanges, readInventoryFile, type InventoryEntry } from './inventory.ts';
import type { MaintenanceWindow } from './maintenance-windows.ts';
import type { NodeTable } from './node-table.ts';
import { loadSafetyRules, unmatchedRules, type SafetyRule } from './safety-rules.ts';
import {
  countChangedLevels,
  loadThresholdsConfig,
  Thresholds,
  type ThresholdsConfig,
} from '../../config/thresholds.ts';

export interface ReloadOutcome {
  /** Every file was valid and is in use now. */
  readonly ok: boolean;
  /** The one log line, e.g. `Reloaded thresholds: 3 levels changed; inventory: +2 nodes, -1`. */
  readonly summary: string;
  /** One line per invalid file (file, line, problem); its previous content stays in use. */
  readonly errors: readonly string[];
}

const FILES = ['thresholds', 'inventory', 'safety_rules'] as const;

/**
 * Re-reads the thresholds, inventory and safety rules files (SIGHUP). Each file is validated completely before it
 * replaces anything; an invalid one is logged with file and line and its previous content kept, so a
 * typo never takes levels or nodes away from a running bridge.
 */
export class ConfigReloader {
  private thresholdsConfig: ThresholdsConfig;
  private inventory: ReadonlyMap<string, InventoryEntry>;
  private latest: Thresholds;
  private rules: readonly SafetyRule[];
  private readonly reloads: Counter<'file' | 'result'>;
  private readonly lastOk: Gauge;

  constructor(
    private readonly paths: {
      readonly thresholds: string | undefined;
      readonly inventory: string | undefined;
      readonly safetyRules?: string | undefined;
    },
    private readonly live: {
      readonly thresholds: Thresholds;
      readonly thresholdsConfig: ThresholdsConfig;
      readonly table: NodeTable;
      readonly inventory: ReadonlyMap<string, InventoryEntry>;
      readonly safetyRules?: readonly SafetyRule[];
      /** Told every inventory that replaced the previous one (the probes of agentless devices). */
      readonly onInventory?: (next: ReadonlyMap<string, InventoryEntry>) => void;
      /** Told the maintenance windows of every inventory that replaced the previous one. */
      readonly onMaintenance?: (next: readonly MaintenanceWindow[]) => void;
    },
    registry: Registry,
    private readonly log: Logger,
  ) {
    this.thresholdsConfig = live.thresholdsConfig;
    this.inventory = live.inventory;
    this.latest = live.thresholds;
    this.rules = live.safetyRules ?? [];
    this.reloads = new Counter({
      name: 'obsmon_bridge_config_reloads_total',
      help: 'Reloads of the thresholds, inventory and safety rules files (SIGHUP), by file and result; on failure the previous content stays in use',
      labelNames: ['file', 'result'] as const,
      registers: [registry],
    });
    for (const file of FILES) for (const result of ['success', 'failure']) this.reloads.labels(file, result).inc(0);
    this.lastOk = new Gauge({
      name: 'obsmon_bridge_config_last_reload_successful',
      help: '1 if the last reload read every file, 0 if one was invalid and kept',
      registers: [registry],
    });
    this.lastOk.set(1);
  }

  /**
   * The thresholds as last loaded, a new object per successful reload: the node exposition caches
   * rendered levels per Thresholds object, so it must see a new one when the levels change.
   */
  get thresholds(): Thresholds {
    return this.latest;
  }

  /** The `--safety-rules` as last loaded (none without the option). */
  get safetyRules(): readonly SafetyRule[] {
    return this.rules;
  }

  reload(): ReloadOutcome {
    const parts: string[] = [];
    const errors: string[] = [];
    try {
      const next = loadThresholdsConfig(this.paths.thresholds);
      const changed = countChangedLevels(this.thresholdsConfig, next);
      const fresh = new Thresholds(next);
      this.live.thresholds.replaceWith(fresh);
      // Live values carry their status from ingest: judge them again at the new levels now, so the
      // API shows them at once and the next report announces any crossing the reload made.
      this.live.table.rejudge();
      this.latest = fresh;
      this.thresholdsConfig = next;
      this.reloads.labels('thresholds', 'success').inc();
      parts.push(
        `thresholds: ${changed === 0 ? 'unchanged' : `${changed} ${changed === 1 ? 'level' : 'levels'} changed`}`,
      );
    } catch (error) {
      this.reloads.labels('thresholds', 'failure').inc();
      errors.push((error as Error).message);
      parts.push('thresholds: invalid, previous kept');
    }
    if (this.paths.inventory !== undefined) {
      try {
        const { nodes: next, maintenance } = readInventoryFile(this.paths.inventory);
        const { added, removed, changed } = inventoryChanges(this.inventory, next);
        this.live.table.replaceInventory(next);
        this.live.onInventory?.(next);
        this.live.onMaintenance?.(maintenance);
        this.inventory = next;
        this.reloads.labels('inventory', 'success').inc();
        parts.push(
          `inventory: +${added} ${added === 1 ? 'node' : 'nodes'}, -${removed}${changed === 0 ? '' : `, ${changed} changed`}${maintenance.length === 0 ? '' : `, ${plural(maintenance.length, 'maintenance window')}`}`,
        );
      } catch (error) {
        this.reloads.labels('inventory', 'failure').inc();
        errors.push((error as Error).message);
        parts.push('inventory: invalid, previous kept');
      }
    }
    if (this.paths.safetyRules !== undefined) {
      try {
        const next = loadSafetyRules(this.paths.safetyRules);
        this.rules = next;
        this.reloads.labels('safety_rules', 'success').inc();
        parts.push(`safety rules: ${next.length} ${next.length === 1 ? 'rule' : 'rules'}`);
      } catch (error) {
        this.reloads.labels('safety_rules', 'failure').inc();
        errors.push((error as Error).message);
        parts.push('safety rules: invalid, previous kept');
      }
      if (this.paths.inventory !== undefined)
        for (const w of unmatchedRules(this.rules, this.inventory))
          this.log.warn(`Safety rules ${this.paths.safetyRules}: ${w}`);
    }
    this.lastOk.set(errors.length === 0 ? 1 : 0);
    const summary = `${errors.length === 0 ? 'Reloaded' : 'Reload incomplete:'} ${parts.join('; ')}`;
    for (const e of errors) this.log.error(`Reload: ${e}`);
    (errors.length === 0 ? this.log.info : this.log.warn)(summary);
    return { ok: errors.length === 0, summary, errors };
  }
}
