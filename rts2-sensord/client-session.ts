import { COMMANDS } from './commands/index.ts';
import type { DeviceControl } from './commands/command.ts';
import type { LineConnection } from './line-connection.ts';
import { NOTIFICATIONS } from './notifications.ts';
import { isCommandReturn, type Rts2Line } from './protocol/decode.ts';
import { bopLine, returnLine } from './protocol/encode.ts';
import { badParameters, ok, systemError, unknownCommand, type CommandReturn } from './protocol/return-codes.ts';

/** Asks centrald about a client's key; false when it cannot be asked now. */
export type AuthBroker = (clientId: number, key: number) => boolean;

/** Lines a client may send while its `auth` is being checked; they run afterwards, in order. */
const MAX_HELD_LINES = 1000;

const INTEGER = /^[+-]?\d{1,10}$/;

/**
 * One client (rts2-mon, rts2-scriptexec, another device) on the device's port. Before `auth`
 * succeeds only `auth` and `T ready` are served (docs/rts2-wire.md §4; RTS2's acceptance of `X`
 * before auth is not copied). While `auth` is pending, later lines wait, as RTS2's
 * `commandInProgress` makes them.
 */
export class ClientSession {
  private phase: 'new' | 'pending' | 'authorized';
  private pendingClientId: number | undefined;
  private readonly held: Rts2Line[] = [];

  constructor(
    readonly conn: LineConnection,
    private readonly device: DeviceControl,
    private readonly broker: AuthBroker,
    requireAuth: boolean,
  ) {
    this.phase = requireAuth ? 'new' : 'authorized';
  }

  /** The centrald id of the client whose `auth` is pending, if any. */
  get waitingFor(): number | undefined {
    return this.phase === 'pending' ? this.pendingClientId : undefined;
  }

  onLine(line: Rts2Line): void {
    if (this.phase === 'pending') {
      if (this.held.length >= MAX_HELD_LINES) this.conn.destroy();
      else this.held.push(line);
      return;
    }
    this.handle(line);
  }

  /** The end of this session's `auth` (docs/rts2-wire.md §4). */
  authorizationResult(authorized: boolean): void {
    if (this.phase !== 'pending') return;
    if (!authorized) {
      this.conn.send(returnLine(systemError('authorization failed')));
      this.conn.end();
      return;
    }
    this.phase = 'authorized';
    // The client learns the device state from this B line; the sequence has no S (§7).
    this.conn.send(
      ...this.device.table.valueLines(),
      bopLine(this.device.state().state, 0),
      returnLine(ok('OK authorized')),
    );
    for (const line of this.held.splice(0)) {
      if (this.phase !== 'authorized') return;
      this.handle(line);
    }
  }

  private handle(line: Rts2Line): void {
    const { command, params } = line;
    if (isCommandReturn(command)) return;
    if (command === 'T') {
      if (params[0] === 'ready') this.conn.send('T OK');
      return;
    }
    if (NOTIFICATIONS.has(command)) return;
    if (command === 'auth') {
      this.auth(params);
      return;
    }
    const handler = this.phase === 'authorized' ? COMMANDS.get(command) : undefined;
    if (handler === undefined) {
      this.conn.send(returnLine(unknownCommand(command)));
      return;
    }
    const replies: string[] = [];
    let ret: CommandReturn;
    try {
      ret = handler({ word: command, params, device: this.device, reply: (...lines) => replies.push(...lines) });
    } catch (error) {
      ret = systemError(`internal error: ${(error as Error).message}`);
    }
    this.conn.send(...replies, returnLine(ret));
  }

  /** `auth <client id> <centrald num> <key>` (`DevConnection::command`). */
  private auth(params: readonly string[]): void {
    if (params.length !== 3 || !params.every((p) => INTEGER.test(p))) {
      this.conn.send(returnLine(badParameters('auth')));
      return;
    }
    const [clientId, centraldNum, key] = params.map(Number) as [number, number, number];
    // Only one centrald (index 0) is supported; RTS2 answers an unknown index the same way.
    if (centraldNum !== 0 || !this.broker(clientId, key)) {
      this.conn.send(returnLine(systemError('cannot authorize; try again later')));
      return;
    }
    this.phase = 'pending';
    this.pendingClientId = clientId;
  }
}
