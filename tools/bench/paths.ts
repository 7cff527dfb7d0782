import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built programs, found from this module's own location: tools/bench/ when tests run the sources,
 * dist-dev/tools/bench/ when running the built workshop (child processes always run the builds: `make build`
 * first). The product (the operator the bench measures) is the bundle dist/chainmedic.js; the workshop's own scripts are under
 * dist-dev/tools/.
 */
const here = dirname(fileURLToPath(import.meta.url));
const up2 = resolve(here, '..', '..');
const root = basename(up2) === 'dist-dev' ? dirname(up2) : up2;

/** The repository (or installed package) root. */
export const projectRoot = (): string => root;
/** A file of the product build (dist/). */
export const distPath = (...parts: string[]): string => join(root, 'dist', ...parts);
/** The product's entry: what the bench, the demo and the soak run as the operator. */
export const cliPath = (): string => distPath('chainmedic.js');
/** A file of the workshop's build (dist-dev/tools/). */
export const devDistPath = (...parts: string[]): string => join(root, 'dist-dev', 'tools', ...parts);
/** The workshop's entry (`chainmedic-dev`). */
export const devCliPath = (): string => devDistPath('cli.js');
