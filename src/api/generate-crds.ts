/** `node dist-dev/src/api/generate-crds.js <dir>` (make crds): writes the CRD YAML generated from the zod schemas. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCrds, renderCrdYaml } from './crd.js';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: generate-crds <output directory>\n');
  process.exitCode = 2;
} else {
  mkdirSync(dir, { recursive: true });
  for (const [file, crd] of Object.entries(buildCrds())) {
    writeFileSync(join(dir, file), renderCrdYaml(crd));
    process.stdout.write(`wrote ${join(dir, file)}\n`);
  }
}
