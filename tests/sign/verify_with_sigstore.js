// Independent check of a bob bundle with the npm @sigstore/verify library (no network):
//   node verify_with_sigstore.js BUNDLE.json KEY.pub sha256:<expected manifest digest>
// Exit 0 when the signature verifies AND the in-toto subject is the expected digest; 1 otherwise,
// with the reason on stderr. @sigstore/verify does not look at the in-toto subject (bug-log
// G11), so this script decodes the payload and compares it itself.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const path = require('path');

const modules = path.join(__dirname, '..', 'node', 'node_modules');
const { bundleFromJSON } = require(path.join(modules, '@sigstore', 'bundle'));
const { toSignedEntity, toTrustMaterial, Verifier } =
  require(path.join(modules, '@sigstore', 'verify'));

function main() {
  const [bundlePath, keyPath, expected] = process.argv.slice(2);
  if (!bundlePath || !keyPath || !/^sha256:[0-9a-f]{64}$/.test(expected || '')) {
    console.error('usage: verify_with_sigstore.js BUNDLE KEY.pub sha256:<hex>');
    return 2;
  }
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const publicKey = crypto.createPublicKey(fs.readFileSync(keyPath, 'utf8'));
  const trust = toTrustMaterial(
    { tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] },
    () => ({ publicKey, validFor: () => true }));
  const verifier = new Verifier(trust,
    { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  try {
    verifier.verify(toSignedEntity(bundle));
  } catch (error) {
    console.error(`sigstore-verify: ${error.code || ''} ${error.message}`);
    return 1;
  }
  // The payload the verifier just checked, not a second decoding of the file.
  if (bundle.content.$case !== 'dsseEnvelope') {
    console.error('bundle holds no DSSE envelope');
    return 1;
  }
  const statement = JSON.parse(bundle.content.dsseEnvelope.payload.toString('utf8'));
  const digests = (statement.subject || []).map((s) => (s.digest || {}).sha256);
  if (!digests.includes(expected.slice('sha256:'.length))) {
    console.error(`subject mismatch: statement signs ${JSON.stringify(digests)}, expected ${expected}`);
    return 1;
  }
  console.log(`verified by @sigstore/verify; subject ${expected}`);
  return 0;
}

process.exitCode = main();
