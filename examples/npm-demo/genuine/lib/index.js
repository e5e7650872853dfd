'use strict';
// The widget's runtime entry point: it serves the banner that postinstall rendered at install time.
const fs = require('fs');
const path = require('path');

function banner() {
  return fs.readFileSync(path.join(__dirname, '..', 'build', 'banner.txt'), 'utf8');
}

module.exports = { banner };
