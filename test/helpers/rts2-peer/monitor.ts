import { PeerConnection, type Answer } from './peer-connection.ts';
import { rts2Number, SHAPES } from './wire.ts';

/** A value as a client holds it after `E`/`V` lines (`Connection::metaInfo`, `commandValue`). */
export interface SeenValue {
  flags: number;
  description: string;
  /** The raw value text of the last `V`. */
  raw: string | undefined;
}

/**
 * A device seen from a monitor: the value table built from `E`/`V` in arrival order, the state from
 * `S`/`B`, and any line a real client would reject or ignore (V before E, malformed E).
 */
export class DeviceView {
  readonly values = new Map<string, SeenValue>();
  state: number | undefined;
  readonly problems: string[] = [];

  constructor(readonly conn: PeerConnection) {
    for (const line of conn.received) this.apply(line);
    conn.onLine((line) => this.apply(line));
  }

  number(name: string): number | undefined {
    const raw = this.values.get(name)?.raw;
    return raw === undefined ? undefined : rts2Number(raw);
  }

  /** A string value as rts2-mon prints it (without the quotes of the `V` line). */
  text(name: string): string | undefined {
    const raw = this.values.get(name)?.raw;
    return raw === undefined ? undefined : raw.replace(/^"(.*)"$/, '$1');
  }

  flags(name: string): number | undefined {
    return this.values.get(name)?.flags;
  }

  command(line: string): Promise<Answer> {
    return this.conn.command(line);
  }

  private apply(line: string): void {
    const word = line.split(' ')[0];
    if (word === 'E') {
      const m = SHAPES.E!.exec(line);
      if (m === null) return void this.problems.push(`malformed E: ${line}`);
      const known = this.values.get(m[2]!);
      if (known !== undefined) Object.assign(known, { flags: Number(m[1]), description: m[3]! });
      else this.values.set(m[2]!, { flags: Number(m[1]), description: m[3]!, raw: undefined });
    } else if (word === 'V') {
      const m = SHAPES.V!.exec(line);
      if (m === null) return void this.problems.push(`malformed V: ${line}`);
      const known = this.values.get(m[1]!);
      // A real client silently drops a V without a prior E; here it is a finding.
      if (known === undefined) this.problems.push(`V before E: ${line}`);
      else known.raw = m[2]!;
    } else if (word === 'S' || word === 'B') {
      const m = (word === 'S' ? SHAPES.S! : SHAPES.B!).exec(line);
      if (m === null) return void this.problems.push(`malformed ${word}: ${line}`);
      this.state = Number(m[1]);
    }
  }
}

/**
 * A client in the manner of rts2-mon (docs/rts2-wire.md §9, §4): logs in to centrald, asks for all messages,
 * gets its authorization key, then connects to a device's advertised port and authenticates.
 */
export class Monitor {
  id = 0;
  key = 0;
  readonly devices = new Map<string, { host: string; port: number }>();

  private constructor(readonly centrald: PeerConnection) {
    centrald.onLine((line) => this.note(line));
  }

  static async login(centraldPort: number, login = 'observer'): Promise<Monitor> {
    const monitor = new Monitor(await PeerConnection.open(centraldPort));
    await expectOk(monitor.centrald.command(`login ${login} monitor`));
    const password = await expectOk(monitor.centrald.command(`password ${login}`));
    monitor.id = Number(/^logged_as (\d+)$/.exec(password.lines.find((l) => l.startsWith('logged_as')) ?? '')?.[1]);
    await expectOk(monitor.centrald.command('info'));
    await expectOk(monitor.centrald.command('message_mask 16777215'));
    return monitor;
  }

  /** `M` lines centrald forwarded to this monitor. */
  get messages(): string[] {
    return this.centrald.received.filter((l) => l.startsWith('M '));
  }

  async requestKey(device: string): Promise<number> {
    const answer = await expectOk(this.centrald.command(`key ${device}`));
    this.key = Number(
      /^authorization_key \S+ (-?\d+)$/.exec(answer.lines.find((l) => l.startsWith('authorization_key')) ?? '')?.[1],
    );
    return this.key;
  }

  /** Connect to a registered device; `auth` with the key from centrald unless another is given. */
  async open(
    device: string,
    options: { key?: number; auth?: boolean } = {},
  ): Promise<{ view: DeviceView; auth: Answer | undefined }> {
    const address = this.devices.get(device);
    if (address === undefined) throw new Error(`centrald announced no device ${device}`);
    const conn = await PeerConnection.open(address.port, address.host);
    const view = new DeviceView(conn);
    if (options.auth === false) return { view, auth: undefined };
    const key = options.key ?? (await this.requestKey(device));
    return { view, auth: await conn.command(`auth ${this.id} 0 ${key}`) };
  }

  close(): void {
    this.centrald.close();
  }

  private note(line: string): void {
    const d = /^device \d+ \d+ (\S+) (\S+) (\d+) \d+$/.exec(line);
    if (d !== null) this.devices.set(d[1]!, { host: d[2]!, port: Number(d[3]) });
    const gone = /^delete_device \d+ (\S+)$/.exec(line);
    if (gone !== null) this.devices.delete(gone[1]!);
  }
}

async function expectOk(answer: Promise<Answer>): Promise<Answer> {
  const a = await answer;
  if (a.code !== 0) throw new Error(`centrald answered ${a.code} ${a.text}`);
  return a;
}
