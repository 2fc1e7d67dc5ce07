#!/usr/bin/env node
// A committed launcher, so that npm links `baton` at install time, before dist/ is built.
import '../dist/bin.js';
