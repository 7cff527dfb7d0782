// Writes the license texts of every npm package the bundle contains (from esbuild's metafile), so the image
// ships them beside dist/chainmedic.js. Usage: node hack/third-party-licenses.mjs <metafile> <output>
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [metafile, output] = process.argv.slice(2);
const meta = JSON.parse(readFileSync(metafile, 'utf8'));
const packages = new Set();
for (const input of Object.keys(meta.inputs)) {
  // The innermost node_modules/<package>/ names the package (a nested copy keeps its own folder).
  const match = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
  if (match) packages.add(match[1]);
}
const sections = [];
for (const dir of [...packages].sort()) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (!manifest.license) throw new Error(`${dir}: package.json names no license`);
  const files = readdirSync(dir).filter((f) => /^(licen[cs]e|copying|notice)/i.test(f));
  const texts = files.map((f) => readFileSync(join(dir, f), 'utf8').trim());
  const body = texts.length
    ? texts.join('\n\n')
    : '(the package ships no license file; its package.json names the license)';
  sections.push(`${manifest.name}@${manifest.version} (${manifest.license})\n\n${body}`);
}
writeFileSync(output, `Third-party software bundled into chainmedic.js\n\n${sections.join('\n\n---\n\n')}\n`);
process.stdout.write(`${packages.size} packages' licenses -> ${output}\n`);
