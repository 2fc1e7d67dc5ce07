#!/usr/bin/env node
// A committed launcher, so that npm links `baton` at install time, before dist/ is built.
// It runs the bundled command (scripts/bundle-cli.mjs), which starts faster than dist/bin.js.
import '../dist/baton.js';
