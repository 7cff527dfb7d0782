// Setup for the `unit` test group: a unit test is pure, so starting a process or listening on a socket
// fails at once with the reason, instead of a misfiled test slowing the fast group or needing root.
// Core modules are shared by every test file a jest worker runs, so the guard is lifted after each file.
import { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createRequire } from 'node:module';

const refuse = (what: string) => () => {
  throw new Error(`${what} in a unit test: move this test to the integration or root group (jest.config.js)`);
};
const cp = createRequire(import.meta.url)('node:child_process') as Record<string, unknown>;
const proto = ChildProcess.prototype as unknown as Record<string, unknown>;
const serverProto = net.Server.prototype as unknown as Record<string, unknown>;
const guarded: Array<[Record<string, unknown>, string, string]> = [
  [cp, 'spawnSync', 'child_process.spawnSync'],
  [cp, 'execSync', 'child_process.execSync'],
  [cp, 'execFileSync', 'child_process.execFileSync'],
  [proto, 'spawn', 'starting a child process'],
  [serverProto, 'listen', 'listening on a socket'],
];
const originals = guarded.map(([target, key]) => target[key]);
guarded.forEach(([target, key, what]) => (target[key] = refuse(what)));
afterAll(() => guarded.forEach(([target, key], i) => (target[key] = originals[i])));
