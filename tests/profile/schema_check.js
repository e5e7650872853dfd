// Validates profiles with the JSON Schemas in schemas/ using ajv, and checks that ajv and
// `bob validate` give the same verdict (valid = no errors) on every file.
//   node schema_check.js NODE_MODULES SOURCE_ROOT BOB
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const [nodeModules, sourceRoot, bob] = process.argv.slice(2).map((a, i) => (i < 2 ? path.resolve(a) : a));
const Ajv2020 = require(path.join(nodeModules, 'ajv/dist/2020')).default;
const YAML = require(path.join(nodeModules, 'yaml'));

const ajv = new Ajv2020({ allErrors: true, strict: false });
const schemas = {
  ApplicationProfile: ajv.compile(JSON.parse(
    fs.readFileSync(path.join(sourceRoot, 'schemas/application-profile.schema.json'), 'utf8'))),
  ContainerProfile: ajv.compile(JSON.parse(
    fs.readFileSync(path.join(sourceRoot, 'schemas/container-profile.schema.json'), 'utf8'))),
};

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [full];
  });
}

// Every object of a file, List items expanded; null when the file is not a profile file.
function objects(file) {
  const text = fs.readFileSync(file, 'utf8');
  if (!/kind"?\s*:\s*"?(ApplicationProfile|ContainerProfile)/.test(text)) return null;
  if (text.includes('{{')) return null;  // Helm templates are not YAML
  const out = [];
  for (const doc of YAML.parseAllDocuments(text)) {
    const value = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value.kind === 'string' && value.kind.endsWith('List')) out.push(...(value.items || []));
    else out.push(value);
  }
  return out;
}

function schemaVerdict(object) {
  const validate = schemas[object && object.kind] || schemas.ApplicationProfile;
  const ok = validate(object);
  return { ok, errors: ok ? [] : validate.errors.map((e) => `${e.instancePath} ${e.message}`) };
}

let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) passed++;
  else { failed++; console.error(`FAIL: ${what}`); }
}

function bobVerdict(file) {
  const run = spawnSync(bob, ['validate', '-q', file], { encoding: 'utf8' });
  return run.status;
}

// 1. Every profile in testdata is valid for the schema and for bob.
let validFiles = 0;
for (const file of walk(path.join(sourceRoot, 'testdata')).filter((f) => /\.(ya?ml|json)$/.test(f))) {
  if (file.includes(`${path.sep}invalid${path.sep}`)) continue;
  const list = objects(file);
  if (list === null) continue;
  validFiles++;
  for (const object of list) {
    const verdict = schemaVerdict(object);
    check(verdict.ok, `${file}: schema rejects a valid profile: ${verdict.errors.join('; ')}`);
  }
  check(bobVerdict(file) === 0, `${file}: bob validate rejects a valid profile`);
}
check(validFiles >= 16, `expected at least 16 valid profile files, saw ${validFiles}`);

// 2. Every invalid fixture is rejected by both.
const invalidDir = path.join(sourceRoot, 'testdata/profile/invalid');
const invalid = fs.readdirSync(invalidDir).filter((f) => f.endsWith('.json'));
check(invalid.length >= 20, `expected at least 20 invalid fixtures, saw ${invalid.length}`);
for (const name of invalid) {
  const file = path.join(invalidDir, name);
  const verdict = schemaVerdict(JSON.parse(fs.readFileSync(file, 'utf8')));
  check(!verdict.ok, `${name}: the schema accepts an invalid profile`);
  check(bobVerdict(file) === 2, `${name}: bob validate accepts an invalid profile`);
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
