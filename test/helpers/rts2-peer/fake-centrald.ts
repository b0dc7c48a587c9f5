import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { readLines, SHAPES, tokens } from './wire.ts';

interface Peer {
  readonly socket: Socket;
  readonly received: string[];
  kind: 'unknown' | 'device' | 'client';
  id: number;
  name: string;
  host: string;
  port: number;
  type: number;
  login: string;
  loggedIn: boolean;
  key: number;
  messageMask: number;
  /** Lines collected while the fake's own `status_info` waits for its return. */
  pending: { lines: string[]; done: (lines: string[]) => void } | undefined;
}

/** centrald's state word as the capture shows it: bad weather, hard off, day (docs/rts2-wire.md §6). */
export const CENTRALD_STATE = 2147483696;

/**
 * A minimal rts2-centrald built from docs/rts2-wire.md §1, §3, §4 and §7: pushes its metainfo on accept,
 * registers devices (rejecting a taken name), logs clients in, hands out authorization keys, checks
 * them for devices, fans out `status_info`, answers `T ready`, forwards `M` lines by message mask,
 * and announces `device`/`client`/`delete_device` to everyone. Every line is recorded.
 */
export class FakeCentrald {
  readonly peers = new Set<Peer>();
  /** Every `M` line a device sent. */
  readonly messages: string[] = [];
  /** `register` lines refused because the name was taken. */
  readonly refused: string[] = [];
  /** Lines from devices that match none of the shapes RTS2 accepts. */
  readonly protocolErrors: string[] = [];
  private nextId = 1;

  private constructor(private readonly server: Server) {}

  static async start(port = 0): Promise<FakeCentrald> {
    const server = createServer();
    const fake = new FakeCentrald(server);
    server.on('connection', (socket) => fake.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  device(name: string): Peer | undefined {
    return [...this.peers].find((p) => p.kind === 'device' && p.name === name);
  }

  /** Send `status_info` to a device, as centrald's fan-out does; resolves with the lines up to its return. */
  statusInfo(name: string): Promise<string[]> {
    const peer = this.device(name);
    if (peer === undefined) return Promise.reject(new Error(`no device ${name}`));
    return new Promise((resolve) => {
      peer.pending = { lines: [], done: resolve };
      peer.socket.write('status_info\n');
    });
  }

  /** Close every connection and stop listening (a centrald crash, as far as devices can tell). */
  async stop(): Promise<void> {
    for (const p of this.peers) p.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const peer: Peer = {
      socket,
      received: [],
      kind: 'unknown',
      id: 0,
      name: '',
      host: '',
      port: 0,
      type: 0,
      login: '',
      loggedIn: false,
      key: 0,
      messageMask: 0,
      pending: undefined,
    };
    this.peers.add(peer);
    socket.on('error', () => {});
    socket.on('close', () => this.drop(peer));
    // centrald's own values come first on every connection, a selection with its trailing empty line included (§4.1, §8.2).
    socket.write(
      'E 16778243 "infotime" "time of last update" \nV infotime 1.79541937902142310143e+09\nE 7 "next_state" "next state"\nF "next_state"\nF "next_state" "day"\n\nV next_state 0\n',
    );
    readLines(socket, (line) => {
      peer.received.push(line);
      this.onLine(peer, line);
    });
  }

  private send(peer: Peer, ...lines: string[]): void {
    if (!peer.socket.destroyed) peer.socket.write(`${lines.join('\n')}\n`);
  }

  private broadcast(line: string): void {
    for (const p of this.peers) if (p.kind !== 'unknown') this.send(p, line);
  }

  private list(): string[] {
    const peers = [...this.peers];
    return [
      ...peers
        .filter((p) => p.kind === 'device')
        .map((p) => `device 0 ${p.id} ${p.name} ${p.host} ${p.port} ${p.type}`),
      ...peers.filter((p) => p.kind === 'client' && p.loggedIn).map((p) => `client ${p.id} ${p.login} monitor`),
    ];
  }

  private onLine(peer: Peer, line: string): void {
    const [word = '', ...params] = tokens(line);
    if (peer.kind === 'device' && !validShape(line)) this.protocolErrors.push(line);
    if (peer.pending !== undefined && peer.kind === 'device') {
      peer.pending.lines.push(line);
      if (SHAPES.return!.test(line)) {
        peer.pending.done(peer.pending.lines);
        peer.pending = undefined;
        return;
      }
    }
    if (SHAPES.return!.test(line)) return;
    switch (word) {
      case 'T':
        if (params[0] === 'ready') this.send(peer, 'T OK');
        return;
      case 'M':
        this.messages.push(line);
        for (const p of this.peers) if (p.kind === 'client' && p.messageMask !== 0) this.send(p, line);
        return;
      case 'S':
      case 'E':
      case 'V':
      case 'F':
      case 'B':
        return;
      case 'register':
        return this.register(peer, line);
      case 'status_info':
        // Centrald::statusInfo: ask every device, answer the requester once all have answered.
        void Promise.all([...this.peers].filter((p) => p.kind === 'device').map((p) => this.statusInfo(p.name))).then(
          () => this.send(peer, '+0 OK'),
        );
        return;
      case 'authorize':
        return this.authorize(peer, params);
      case 'login':
        if (params.length !== 2) return this.send(peer, '-2 invalid parameters/invalid number of parameters - login');
        Object.assign(peer, { kind: 'client', id: this.nextId++, login: params[0] });
        this.broadcast(`client ${peer.id} ${peer.login} ${params[1]}`);
        return this.send(peer, '+0 OK');
      case 'password':
        if (peer.kind !== 'client' || params[0] !== peer.login) return this.send(peer, '-5 invalid login or password');
        peer.loggedIn = true;
        return this.send(peer, `logged_as ${peer.id}`, `S ${CENTRALD_STATE}`, '+0 OK');
      case 'info':
        if (peer.kind === 'unknown') return this.send(peer, '-1 unknow command info');
        return this.send(peer, ...this.list(), '+0 OK');
      case 'message_mask':
        peer.messageMask = Number(params[0]);
        return this.send(peer, '+0 OK');
      case 'key':
        if (!peer.loggedIn) return this.send(peer, '-1 unknow command key');
        // One key per client connection, reused for every device (§5).
        if (peer.key === 0) peer.key = 1 + Math.floor(Math.random() * 2_000_000_000);
        return this.send(peer, `authorization_key ${params[0]} ${peer.key}`, '+0 OK');
      default:
        return this.send(peer, `-1 unknow command ${word}`);
    }
  }

  private register(peer: Peer, line: string): void {
    const m = SHAPES.register!.exec(line);
    if (m === null) return this.send(peer, '-2 invalid parameters/invalid number of parameters - register');
    const taken = this.device(m[1]!);
    if (taken !== undefined) this.refused.push(line);
    if (taken !== undefined) return this.send(peer, `-5 name ${m[1]} already registered with id ${taken.id}`);
    Object.assign(peer, {
      kind: 'device',
      id: this.nextId++,
      name: m[1],
      type: Number(m[2]),
      host: m[3],
      port: Number(m[4]),
    });
    this.send(peer, `S ${CENTRALD_STATE}`, `A registered_as ${peer.id}`);
    this.broadcast(`device 0 ${peer.id} ${peer.name} ${peer.host} ${peer.port} ${peer.type}`);
    this.send(peer, ...this.list(), '+0 OK');
  }

  private authorize(peer: Peer, params: string[]): void {
    const [id, key] = params.map(Number);
    const client = [...this.peers].find((p) => p.kind === 'client' && p.id === id);
    if (client === undefined) return this.send(peer, '-5 client vanished during auth sequence');
    if (client.key !== 0 && client.key === key)
      return this.send(peer, `A authorization_ok ${id}`, ...this.list(), '+0 OK');
    this.send(peer, `A authorization_failed ${id}`, '-5 invalid authorization key');
  }

  private drop(peer: Peer): void {
    this.peers.delete(peer);
    if (peer.kind === 'device') this.broadcast(`delete_device ${peer.id} ${peer.name}`);
    if (peer.kind === 'client') this.broadcast(`delete_client ${peer.id}`);
  }
}

function validShape(line: string): boolean {
  const word = line.split(' ')[0] ?? '';
  const shape = /^[+-]\d/.test(word) ? SHAPES.return : SHAPES[word];
  return shape !== undefined && shape.test(line);
}
