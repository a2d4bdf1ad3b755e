import { describe, it, expect } from 'vitest';
import { main } from '../src/cli/main.js';
describe('smoke', () => { it('runs', async () => { expect(await main([])).toBe(0); }); });
