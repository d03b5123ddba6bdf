#!/usr/bin/env node
// Build step: the JSON Schemas shipped in schema/, generated from the zod schemas in the code
// (so the documented shape is the shape the code checks). Written only when the content changed.
import fs from 'node:fs';
import { changeRecordJsonSchema } from '../dist/sinks/change-schema.js';
import { configJsonSchema } from '../dist/config/config-schema.js';

const schemas = {
  'change-record.schema.json': changeRecordJsonSchema(),
  'config.schema.json': configJsonSchema(),
};
const dir = new URL('../schema/', import.meta.url);
fs.mkdirSync(dir, { recursive: true });
let written = 0;
for (const [name, schema] of Object.entries(schemas)) {
  const file = new URL(name, dir);
  const text = `${JSON.stringify(schema, null, 2)}\n`;
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) continue;
  fs.writeFileSync(file, text);
  written++;
}
console.log(`schema/: ${Object.keys(schemas).length} JSON Schema file(s), ${written} updated`);
