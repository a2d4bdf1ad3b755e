// Writes the bundled captures and timelines: `npm run pcaps`. Deterministic: the same bytes on
// every run (a test checks the checked-in files against this).
import { join } from 'node:path';
import { SCENARIOS, writeScenario } from './pcap-scenarios.js';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'pcaps');
{
  for (const s of SCENARIOS) {
    writeScenario(s, join(root, s.name));
    process.stdout.write(`pcaps/${s.name}/${s.name}.pcap: ${s.frames.length} frames\n`);
  }
}
