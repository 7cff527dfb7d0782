import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built program, found from this module's own location: dist/bench/ when running the built CLI, src/bench/
 * when tests run the sources (child processes always run the build: `make build` first).
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The repository (or installed package) root. */
export const projectRoot = (): string => root;
export const distPath = (...parts: string[]): string => join(root, 'dist', ...parts);
export const cliPath = (): string => distPath('cli.js');
