import { createServer } from 'node:net';

/**
 * Ports are drawn below the kernel's ephemeral range (32768-60999 by default): a port taken from that range (the
 * kernel's `listen(0)`) can be handed, between our check and the child's bind, to any outbound connection in the
 * namespace (thousands of them while simulated kubelets run), and the child then fails to start.
 */
const LOW = 20_000;
const HIGH = 32_000;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for a child process's server). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await canListen(port)) return port;
  }
}
