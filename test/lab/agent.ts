/**
 * Traffic endpoint run inside a pod namespace (`ip netns exec POD node agent.ts ...`).
 * Everything it sends is bounded (byte counts, datagram counts, deadlines) and
 * deterministic, so two runs of a scenario produce the same conversation.
 *
 *   serve   --tcp PORT --udp PORT --ttl SECONDS
 *   tcp     HOST PORT BYTES TIMEOUT_MS
 *   udp     HOST PORT SIZE[,SIZE...] TIMEOUT_MS
 *
 * Clients print one JSON line describing what happened.
 */
import { createServer, connect } from 'node:net';
import { createSocket } from 'node:dgram';

const LINE = 'netdiag lab payload ';

/** Printable, position-dependent payload: readable in a hex dump, and a lost segment is visible as a gap in the counter. */
export function payload(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  let off = 0;
  for (let i = 0; off < bytes; i++) {
    off += out.write(`${LINE}${String(i).padStart(6, '0')}\n`, off, 'ascii');
  }
  return out;
}

function serve(tcpPort: number, udpPort: number, ttl: number): void {
  const server = createServer((sock) => {
    let n = 0;
    sock.on('data', (d: Buffer) => (n += d.length));
    sock.on('end', () => sock.end(`ok ${n}\n`));
    sock.on('error', () => sock.destroy());
  });
  const udp = createSocket('udp4');
  udp.on('message', (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address));
  let ready = 0;
  const up = () => {
    if (++ready === 2) console.log(`ready tcp/${tcpPort} udp/${udpPort}`);
  };
  server.listen(tcpPort, '0.0.0.0', up);
  udp.bind(udpPort, '0.0.0.0', up);
  setTimeout(() => process.exit(0), ttl * 1000);
}

function tcpClient(host: string, port: number, bytes: number, timeoutMs: number): void {
  const started = Date.now();
  const sock = connect({ host, port });
  let reply = '';
  let connected = false;
  let error: string | undefined;
  const done = (outcome: string) => {
    clearTimeout(timer);
    console.log(
      JSON.stringify({ proto: 'tcp', host, port, bytes, connected, outcome, reply: reply.trim(), error, ms: Date.now() - started }),
    );
    sock.destroy();
    process.exit(outcome === 'ok' ? 0 : 1);
  };
  const timer = setTimeout(() => done('timeout'), timeoutMs);
  sock.on('connect', () => {
    connected = true;
    sock.end(payload(bytes));
  });
  sock.on('data', (d: Buffer) => (reply += d.toString('utf8')));
  sock.on('error', (e: NodeJS.ErrnoException) => {
    error = e.code ?? e.message;
  });
  sock.on('close', () => done(reply.trim() === `ok ${bytes}` ? 'ok' : 'failed'));
}

function udpClient(host: string, port: number, sizes: number[], timeoutMs: number): void {
  const sock = createSocket('udp4');
  const echoed: number[] = [];
  sock.on('message', (msg) => echoed.push(msg.length));
  sock.on('error', () => undefined);
  let i = 0;
  const sendNext = () => {
    const size = sizes[i++];
    if (size === undefined) return;
    sock.send(payload(size), port, host, () => setTimeout(sendNext, 50));
  };
  sock.bind(0, sendNext);
  setTimeout(() => {
    console.log(JSON.stringify({ proto: 'udp', host, port, sent: sizes, echoed }));
    process.exit(echoed.length === sizes.length ? 0 : 1);
  }, timeoutMs);
}

function main(argv: string[]): void {
  const [cmd, ...rest] = argv;
  if (cmd === 'serve') {
    const opt = (name: string, dflt: number) => {
      const i = rest.indexOf(`--${name}`);
      return i >= 0 ? Number(rest[i + 1]) : dflt;
    };
    serve(opt('tcp', 8080), opt('udp', 9000), opt('ttl', 60));
  } else if (cmd === 'tcp') {
    const [host, port, bytes, timeout] = rest;
    tcpClient(String(host), Number(port), Number(bytes), Number(timeout));
  } else if (cmd === 'udp') {
    const [host, port, sizes, timeout] = rest;
    udpClient(String(host), Number(port), String(sizes).split(',').map(Number), Number(timeout));
  } else {
    console.error('usage: agent.ts serve|tcp|udp ...');
    process.exit(2);
  }
}

main(process.argv.slice(2));
