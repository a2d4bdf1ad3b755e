#!/usr/bin/env node
// The compiled CLI runs in this very process (no fork), so signals reach sgfw itself.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
