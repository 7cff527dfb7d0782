#!/usr/bin/env node
// The workshop's entry point (`chainmedic-dev`, built into dist-dev/ by `make build`); checks the runtime
// before loading anything, as the product's src/cli.ts does.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `chainmedic-dev: needs Node.js >= 22.19 (Node 24 LTS recommended); this is ${process.version}. ` +
      'From a checkout, `make` installs Node 24 into .tools/ and uses it.\n',
  );
  process.exit(2);
}
const { main } = await import('./program.js');
process.exitCode = await main(process.argv);
