'use strict';
// Asserts what the end-to-end flow's verify-install reports say, beyond their exit codes:
// the tampered npm package is caught with alerts naming exactly the unexpected exec (curl), the
// credential reads (~/.npmrc, ~/.ssh/id_rsa) and the connection to the stand-in outside address;
// the command injection in the web application with the exec of cat and the read of /etc/passwd.
//   node check_reports.js WORKDIR [npm|webapp|all]
// Prints one line per check; exits 1 when any check fails.
const fs = require('fs');
const path = require('path');

const workdir = process.argv[2];
const part = process.argv[3] || 'all';
let failures = 0;

function check(ok, what, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${!ok && detail ? `\n     ${detail}` : ''}`);
  if (!ok) failures++;
}

function readReport(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    check(false, `${file} is a JSON report`, e.message);
    return null;
  }
}

// The findings of a verify-install JSON report (bob.dev/v1alpha1 VerifyInstallReport), each as
// {rule, args, leaf, raw}: the rule id, the node-agent style arguments and the comm of the process
// that did it (the last entry of the "process: root(pid) > ... > leaf(pid)" chain in `detail`).
function alertsOf(report) {
  return (report.findings || []).map((finding) => {
    const alert = finding.alert || {};
    const chain = /process: (.*)$/m.exec(finding.detail || '');
    const names = chain ? chain[1].split(' > ') : [];
    const leaf = names.length ? names[names.length - 1].replace(/\(\d+\).*$/, '') : '';
    return {
      rule: alert.RuleID || '',
      args: (alert.BaseRuntimeMetadata && alert.BaseRuntimeMetadata.arguments) || {},
      leaf,
      raw: finding,
    };
  });
}
const execOf = (a) => String(a.args.exec || '');
const pathOf = (a) => String(a.args.path || '');
const text = (a) => JSON.stringify(a.args);

function checkTampered() {
  const report = readReport(path.join(workdir, 'user-tampered', 'verify.json'));
  if (!report) return;
  const alerts = alertsOf(report);
  const outsidePort = fs.readFileSync(path.join(workdir, 'outside', 'port'), 'utf8').trim();

  const execs = [...new Set(alerts.filter((a) => a.rule === 'R0001').map(execOf))];
  check(execs.length === 1 && /\/curl$/.test(execs[0]),
        'tampered: exactly one unexpected process (R0001), and it is curl',
        `R0001 execs: ${JSON.stringify(execs)}`);

  const opens = alerts.filter((a) => a.rule === 'R0002');
  const npmrc = opens.filter((a) => /\/home\/\.npmrc$/.test(pathOf(a)));
  const sshKey = opens.filter((a) => /\/home\/\.ssh\/id_rsa$/.test(pathOf(a)));
  check(npmrc.length > 0, 'tampered: unexpected file access (R0002) of ~/.npmrc',
        `R0002 paths: ${JSON.stringify(opens.map(pathOf))}`);
  check(sshKey.length > 0, 'tampered: unexpected file access (R0002) of ~/.ssh/id_rsa',
        `R0002 paths: ${JSON.stringify(opens.map(pathOf))}`);
  // Every other unexpected open is explained: the curl process loading its libraries and
  // configuration, or npm's cache storing the tampered tarball under its own (different) sha512
  // digest. The genuine part of the install must raise nothing.
  const others = opens.filter((a) => !npmrc.includes(a) && !sshKey.includes(a));
  const unexplained = others.filter((a) => a.leaf !== 'curl' &&
                                           !/\/_cacache\/content-v2\/sha512\//.test(pathOf(a)));
  check(unexplained.length === 0,
        'tampered: every other unexpected file access is by curl or is the tarball\'s new digest',
        `unexplained: ${JSON.stringify(unexplained.map((a) => [a.leaf, pathOf(a)]))}`);

  const network = alerts.filter((a) => a.rule === 'R0011');
  const outside = network.filter((a) => text(a).includes('127.0.0.1') &&
                                        text(a).includes(outsidePort));
  check(outside.length > 0,
        `tampered: unexpected egress (R0011) to the outside stand-in 127.0.0.1:${outsidePort}`,
        `R0011 alerts: ${JSON.stringify(network.map((a) => a.args))}`);

  const allowed = new Set(['R0001', 'R0002', 'R0003', 'R0004', 'R0011', 'R0040']);
  const strange = alerts.filter((a) => !allowed.has(a.rule));
  check(strange.length === 0, 'tampered: no alerts of unrelated rules',
        JSON.stringify(strange.map((a) => a.rule)));
}

function checkGenuine() {
  const report = readReport(path.join(workdir, 'user-genuine', 'verify.json'));
  if (!report) return;
  const alerts = alertsOf(report);
  check(alerts.length === 0, 'genuine: no alerts',
        JSON.stringify(alerts.map((a) => [a.rule, a.args])));
}

function checkWebapp() {
  const benign = readReport(path.join(workdir, 'webapp', 'benign-verify.json'));
  if (benign) {
    const alerts = alertsOf(benign);
    check(alerts.length === 0, 'webapp: benign requests raise no alerts',
          JSON.stringify(alerts.map((a) => [a.rule, a.args])));
  }
  const report = readReport(path.join(workdir, 'webapp', 'attack-verify.json'));
  if (!report) return;
  const alerts = alertsOf(report);
  const execs = [...new Set(alerts.filter((a) => a.rule === 'R0001').map(execOf))];
  check(execs.length === 1 && /\/cat$/.test(execs[0]),
        'webapp: exactly one unexpected process (R0001), and it is cat',
        `R0001 execs: ${JSON.stringify(execs)}`);
  const opens = alerts.filter((a) => a.rule === 'R0002');
  check(opens.some((a) => pathOf(a) === '/etc/passwd'),
        'webapp: unexpected file access (R0002) of /etc/passwd',
        `R0002 paths: ${JSON.stringify(opens.map(pathOf))}`);
}

if (!workdir) {
  console.error('usage: node check_reports.js WORKDIR [npm|webapp|all]');
  process.exit(2);
}
if (part !== 'webapp') { checkGenuine(); checkTampered(); }
if (part !== 'npm') checkWebapp();
process.exit(failures ? 1 : 0);
