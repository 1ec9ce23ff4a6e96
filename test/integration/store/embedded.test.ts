import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { ChdbDriver } from '../../../src/store/embedded.js';
import { storeContract } from './contract.js';

// chdb binds one data directory per process: every test uses this one, each its own database.
const dir = mkdtempSync(join(tmpdir(), 'bw-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

storeContract('embedded (chdb)', async (name) => {
  const driver = await ChdbDriver.open(dir, `t_${name}`);
  return {
    driver,
    drop: async () => {
      await driver.exec(`DROP DATABASE IF EXISTS t_${name}`).catch(() => undefined);
      await driver.close();
    },
  };
});
