import net from 'node:net';
import WebSocket from 'ws';
import type { WebSocketConstructor } from '../../src/index.js';

/** `ws` with every frame sent and received kept, parsed, for assertions on the protocol itself. */
export function spyingWebSocket(): {
  WebSocket: WebSocketConstructor;
  sent: Array<Record<string, unknown>>;
  received: Array<Record<string, unknown>>;
} {
  const sent: Array<Record<string, unknown>> = [];
  const received: Array<Record<string, unknown>> = [];
  class SpyingWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      this.on('message', (data) => received.push(JSON.parse(data.toString())));
    }
    override send(data: string): void {
      sent.push(JSON.parse(data));
      super.send(data);
    }
  }
  return { WebSocket: SpyingWebSocket, sent, received };
}

/** A TCP proxy to a local port whose open connections can be frozen: a network that silently stops. */
export async function startProxy(port: number) {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const frozen: net.Socket[] = [];
  const server = net.createServer((inbound) => {
    const outbound = net.connect(port, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [inbound, outbound];
    pairs.add(pair);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const end = () => {
      pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', end).on('close', end);
    outbound.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as net.AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${own}`,
    /** Nothing more passes on the connections open now; new ones work. */
    freeze(): void {
      for (const [inbound, outbound] of pairs) {
        inbound.unpipe(outbound);
        outbound.unpipe(inbound);
        inbound.pause();
        outbound.pause();
        frozen.push(inbound, outbound);
      }
      pairs.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of [...frozen, ...[...pairs].flat()]) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
