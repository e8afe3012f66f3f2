#!/usr/bin/env node
'use strict';
// In a checkout the TypeScript source runs through tsx; an installed package (no src/) runs dist/.
const path = require('node:path');
const fs = require('node:fs');
const source = path.join(__dirname, '..', 'src', 'cli', 'main.ts');
if (fs.existsSync(source)) {
  require('tsx/cjs');
  require(source).main(process.argv);
} else {
  require(path.join(__dirname, '..', 'dist', 'cli', 'main.js')).main(process.argv);
}
