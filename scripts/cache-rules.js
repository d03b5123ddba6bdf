#!/usr/bin/env node
// Build step: validate the built-in rules once and keep them as JSON next to the compiled code,
// so a run does not parse 130 KB of YAML (and load yaml and handlebars) at every start.
import { writeBuiltinCache } from '../dist/rules/load-rules.js';

const n = writeBuiltinCache();
console.log(`cached ${n} built-in rules`);
