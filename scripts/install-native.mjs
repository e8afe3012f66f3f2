// npm's install step for this package: builds the TPM addon (binding.gyp) for the Node that runs npm.
// Its headers come from node-addon-api, a devDependency: with `npm ci --omit=dev` (the module set
// the .deb ships) there is nothing to build it with, so this says so and succeeds;
// scripts/package-deb.sh compiles the packaged addon for the bundled runtime.
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';

try {
  createRequire(import.meta.url).resolve('node-addon-api');
} catch {
  console.log('tnc-agent: TPM addon not built: node-addon-api (a devDependency) is not installed');
  process.exit(0);
}
// npm puts its node-gyp on the PATH of install scripts
const r = spawnSync('node-gyp', ['rebuild'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
