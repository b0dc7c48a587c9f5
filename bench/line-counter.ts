/**
 * The baseline: a bare Node TCP server that frames lines and counts them, nothing else. Run as its
 * own process, compiled as the bridge is (`node <obsmon's node flags> <it bundled by esbuild> <port>
 * <mode>`; bench/children.ts compiledScript, deploy/node-flags.ts), so its CPU can be read from /proc
 * like the bridge's. Modes: `count` finds the newlines in each chunk (the runtime's limit for taking
 * bytes off sockets); `split` also turns every line into a string with the protocol's own
 * LineSplitter (what any line server must do before it can look at a line).
 * Each line on stdin is answered with the count so far.
 */
import { createServer } from 'node:net';
import { LineSplitter, type LineSink } from '../protocol/line-splitter.ts';

const port = Number(process.argv[2]);
const mode = process.argv[3] === 'split' ? 'split' : 'count';
let lines = 0;
let checksum = 0;
const sink: LineSink = {
  line: (text) => {
    lines += 1;
    // Touch the string so the work cannot be optimised away.
    checksum += text.length;
  },
  overlong: () => {},
};

const server = createServer((socket) => {
  socket.on('error', () => {});
  if (mode === 'split') {
    const splitter = new LineSplitter(4096);
    socket.on('data', (chunk: Buffer) => splitter.push(chunk, sink));
    return;
  }
  socket.on('data', (chunk: Buffer) => {
    for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) lines += 1;
  });
});
server.listen({ host: '127.0.0.1', port }, () => process.stdout.write('listening\n'));
process.stdin.on('data', () => process.stdout.write(`${lines} ${checksum}\n`));
process.stdin.on('end', () => process.exit(0));
