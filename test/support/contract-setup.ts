// Runs in every test file: a reply that broke the OpenAPI contract (see contract.ts) fails the test
// during which it was received, with the list of mismatches.
import { afterEach } from 'vitest';
import { takeContractMismatches } from './contract.js';

afterEach(() => {
  const broken = takeContractMismatches();
  if (broken.length) throw new Error(`replies broke the OpenAPI contract:\n${broken.join('\n')}`);
});
