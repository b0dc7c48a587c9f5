import { connect } from 'node:net';
import { Backoff, type BackoffOptions } from '../lib/backoff.ts';
import type { Logger } from '../lib/logger.ts';
import { CommandQueue } from './command-queue.ts';
import { LineConnection } from './line-connection.ts';
import { NOTIFICATIONS } from './notifications.ts';
import { isCommandReturn, returnCode, type Rts2Line } from './protocol/decode.ts';
import { returnLine } from './protocol/encode.ts';
import { ok, systemError, unknownCommand, type CommandReturn } from './protocol/return-codes.ts';
import { DEVICE_TYPE_SENSOR } from './protocol/state-bits.ts';

/** Messages kept while centrald is away; older ones are dropped. */
export const MAX_HELD_MESSAGES = 50;

export interface CentraldLinkOptions {
  readonly host: string;
  readonly port: number;
  readonly deviceName: string;
  /** Host and port clients are told to connect to (`register`). */
  readonly advertisedHost: string;
  readonly advertisedPort: number;
  /** Reconnection delays; RTS2 itself retries every 60 s. */
  readonly retry: BackoffOptions;
}

/** What the link needs from the device. */
export interface CentraldDevice {
  /** `E`+`V` of every value, sent on `A registered_as` (docs/rts2-wire.md §3). */
  metaLines(): string[];
  /** `S <state>`, sent after registration and on `status_info`. */
  stateLine(): string;
  /** The end of an `authorize` started by `authorize()`. */
  authorizationResult(clientId: number, authorized: boolean): void;
}

/**
 * The connection to rts2-centrald: registers as a SENSOR, answers `status_info` and `T ready`,
 * brokers client authorisation, and starts over after any loss (centrald restart, rejected name).
 */
export class CentraldLink {
  private conn: LineConnection | undefined;
  private queue: CommandQueue | undefined;
  private registeredAs: number | undefined;
  private readonly pendingAuth = new Set<number>();
  private readonly backoff: Backoff;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastProblem = '';
  private readonly heldMessages: string[] = [];
  /** Held messages dropped (older than the newest MAX_HELD_MESSAGES) since the last registration. */
  private droppedSinceRegistration = 0;
  private droppedTotal = 0;

  constructor(
    private readonly options: CentraldLinkOptions,
    private readonly device: CentraldDevice,
    private readonly log: Logger,
  ) {
    this.backoff = new Backoff(options.retry);
  }

  /** True once centrald said `A registered_as`: values and messages may flow. */
  get registered(): boolean {
    return this.registeredAs !== undefined && this.conn?.isOpen === true;
  }

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.conn?.destroy();
  }

  /** Lines for centrald (values, state, messages); dropped while not registered, as in RTS2. */
  send(...lines: string[]): void {
    if (this.registered) this.conn?.send(...lines);
  }

  /**
   * `M` lines: sent at once while registered, otherwise kept (the newest MAX_HELD_MESSAGES) and sent
   * after the next registration, so a problem present at start-up or during a centrald restart
   * still reaches the monitors, with the time it happened.
   */
  message(...lines: string[]): void {
    if (this.registered) {
      this.conn?.send(...lines);
      return;
    }
    this.heldMessages.push(...lines);
    const dropped = this.heldMessages.splice(0, Math.max(0, this.heldMessages.length - MAX_HELD_MESSAGES)).length;
    this.droppedSinceRegistration += dropped;
    this.droppedTotal += dropped;
  }

  /** Messages dropped while centrald was away (only the newest MAX_HELD_MESSAGES are held), since start. */
  get droppedHeldMessages(): number {
    return this.droppedTotal;
  }

  /** Ask centrald whether `key` is the key it gave client `clientId`; false when not connected. */
  authorize(clientId: number, key: number): boolean {
    const queue = this.queue;
    if (queue === undefined || this.conn?.isOpen !== true) return false;
    this.pendingAuth.add(clientId);
    queue.send(`authorize ${clientId} ${key}`, () => this.finishAuth(clientId, false), true);
    return true;
  }

  private connect(): void {
    const { host, port } = this.options;
    const socket = connect({ host, port });
    const queue = new CommandQueue((line) => conn.send(line));
    const conn = new LineConnection(socket, (line) => this.onLine(conn, queue, line), this.log, 'centrald');
    this.conn = conn;
    this.queue = queue;
    socket.once('connect', () => {
      const { deviceName, advertisedHost, advertisedPort } = this.options;
      queue.send(`register 0 ${deviceName} ${DEVICE_TYPE_SENSOR} ${advertisedHost} ${advertisedPort}`, (ret) =>
        this.onRegisterReturn(conn, ret),
      );
    });
    socket.on('error', (error) => this.problem(`Cannot reach rts2-centrald ${host}:${port}: ${error.message}`));
    socket.once('close', () => {
      if (this.registeredAs !== undefined)
        this.log.warn(`Lost rts2-centrald ${host}:${port}; registering again when it is back`);
      this.registeredAs = undefined;
      queue.fail(systemError('centrald connection lost'));
      if (this.stopped) return;
      this.timer = setTimeout(() => this.connect(), this.backoff.next());
    });
  }

  private onRegisterReturn(conn: LineConnection, ret: CommandReturn): void {
    if (ret.code !== 0) {
      // e.g. "-5 name OBSMON already registered with id 6": a previous instance centrald has not dropped yet.
      this.problem(`rts2-centrald refused registration: ${ret.code} ${ret.text}`);
      conn.destroy();
      return;
    }
    this.backoff.reset();
    this.lastProblem = '';
    this.log.info(
      `Registered with rts2-centrald ${this.options.host}:${this.options.port} as ${this.options.deviceName} (id ${this.registeredAs ?? '?'})`,
    );
    conn.send(this.device.stateLine(), ...this.heldMessages.splice(0));
    // Logged once per time away, at the registration that ends it: the monitors only get the newest.
    if (this.droppedSinceRegistration > 0)
      this.log.warn(
        `Dropped ${this.droppedSinceRegistration} messages from while rts2-centrald was away; sent the newest ${MAX_HELD_MESSAGES}`,
      );
    this.droppedSinceRegistration = 0;
  }

  private onLine(conn: LineConnection, queue: CommandQueue, line: Rts2Line): void {
    const { command, params } = line;
    if (isCommandReturn(command)) {
      queue.returned({ code: returnCode(command), text: params.join(' ') });
    } else if (command === 'A') {
      this.onA(conn, params);
    } else if (command === 'status_info') {
      // Mandatory: centrald holds every further command for this device until it gets the return (§4.2).
      conn.send(this.device.stateLine(), returnLine(ok()));
    } else if (command === 'T') {
      if (params[0] === 'ready') conn.send('T OK');
    } else if (!NOTIFICATIONS.has(command)) {
      conn.send(returnLine(unknownCommand(command)));
    }
  }

  private onA(conn: LineConnection, params: readonly string[]): void {
    const [what, id] = params;
    const n = Number(id);
    if (what === 'registered_as' && Number.isInteger(n)) {
      this.registeredAs = n;
      conn.send(...this.device.metaLines());
    } else if (what === 'authorization_ok' && Number.isInteger(n)) {
      this.finishAuth(n, true);
    } else if (what === 'authorization_failed' && Number.isInteger(n)) {
      this.finishAuth(n, false);
    }
  }

  private finishAuth(clientId: number, authorized: boolean): void {
    if (!this.pendingAuth.delete(clientId)) return;
    this.device.authorizationResult(clientId, authorized);
  }

  /** Log a connection problem once, not on every retry. */
  private problem(message: string): void {
    if (message === this.lastProblem) return;
    this.lastProblem = message;
    this.log.warn(message);
  }
}
