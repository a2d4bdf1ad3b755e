import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Tests that run the real executable (bin/sgfw.js → dist/) need dist/ built from this tree:
    // built once here, before any test file runs, so no two files race to write it.
    globalSetup: ['./test/support/build-dist.ts'],
    testTimeout: 20_000,
    // No test reads /etc/sgfw/sgfw.conf (the default config file), nor do the sgfw processes tests start.
    env: { SGFW_CONFIG: 'none' },
  },
});
