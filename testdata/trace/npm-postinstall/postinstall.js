// Reads one system file and writes a marker into the package: what a small installer does.
// BOB_EXTRA_READ (tests only) makes it read one more file, which verification must catch.
const fs = require('fs');
const path = require('path');
fs.readFileSync('/etc/os-release');
if (process.env.BOB_EXTRA_READ) fs.readFileSync(process.env.BOB_EXTRA_READ);
// BOB_POSTINSTALL_LOG (tests only): one line per run, to count how often the script really ran.
if (process.env.BOB_POSTINSTALL_LOG) fs.appendFileSync(process.env.BOB_POSTINSTALL_LOG, 'ran\n');
fs.writeFileSync(path.join(__dirname, 'installed.marker'), 'ok\n');
