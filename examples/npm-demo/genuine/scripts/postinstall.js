'use strict';
// Benign install-time build step, the kind many real packages have: it reads the package's own
// files, asks a helper program about the platform, and writes its build output next to itself.
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.join(__dirname, '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const template = fs.readFileSync(path.join(root, 'templates', 'banner.txt.in'), 'utf8');

// A helper program, as native-addon builds run compilers or probes.
const platform = execFileSync('uname', ['-s', '-m'], { encoding: 'utf8' }).trim();

const banner = template.replace('@VERSION@', manifest.version).replace('@PLATFORM@', platform);
const outDir = path.join(root, 'build');
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'banner.txt'), banner);
fs.writeFileSync(path.join(outDir, 'platform.json'), JSON.stringify({ platform }) + '\n');
console.log(`bob-demo-widget: built ${path.relative(root, outDir)}/banner.txt for ${platform}`);
