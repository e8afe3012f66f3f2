#!/usr/bin/env node
'use strict';
// A checkout runs the TypeScript sources through tsx (a devDependency); an installed package (no
// src/, no tsx) and a checkout installed with `npm ci --omit=dev` run the compiled dist/.
// Node.js 22.1+: keep V8's compiled code on disk before anything else loads (src/cli/main.ts says more)
const nodeModule = require('node:module');
if (typeof nodeModule.enableCompileCache === 'function') nodeModule.enableCompileCache();
const path = require('node:path');
const fs = require('node:fs');
const source = path.join(__dirname, '..', 'src', 'cli', 'main.ts');
const compiled = path.join(__dirname, '..', 'dist', 'cli', 'main.js');

function resolves(id) {
  try {
    require.resolve(id);
    return true;
  } catch {
    return false;
  }
}

if (fs.existsSync(source) && resolves('tsx/cjs')) {
  require('tsx/cjs');
  require(source).main(process.argv);
} else if (fs.existsSync(compiled)) {
  require(compiled).main(process.argv);
} else {
  console.error(
    'tnc-agent: no compiled dist/ and no tsx to run the sources: run `npm ci` (development) or `npm run build`',
  );
  process.exit(1);
}
