// Setup for the `unit` test group: a unit test is pure, so starting a process or listening on a socket
// fails at once with the reason, instead of a misfiled test slowing the fast group or needing root.
import childProcess, { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createRequire } from 'node:module';

const refuse = (what: string) => () => {
  throw new Error(`${what} in a unit test: move this test to the integration or root group (jest.config.js)`);
};
const cp = createRequire(import.meta.url)('node:child_process') as typeof childProcess;
for (const name of ['spawnSync', 'execSync', 'execFileSync'] as const) {
  (cp as unknown as Record<string, unknown>)[name] = refuse(`child_process.${name}`);
}
(ChildProcess.prototype as unknown as { spawn: unknown }).spawn = refuse('starting a child process');
net.Server.prototype.listen = refuse('listening on a socket');
