import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout } from 'node:timers/promises';
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

test('embedded (chdb): blocks are spooled when encoded and their files removed once inserted; a new driver clears its database\'s leftovers', async () => {
  const spool = join(dir, 'insert-spool');
  const driver = await ChdbDriver.open(dir, 't_spool');
  try {
    await driver.exec('CREATE TABLE t (n UInt32, s String) ENGINE = MergeTree ORDER BY n');
    const block = await driver.encodeRows('t', ['n', 's'], [[1, 'a'], [2, 'b']]);
    await setTimeout(50);
    assert.deepEqual(readdirSync(spool).filter((f) => f.startsWith('t_spool.')).length, 1, 'spooled before the insert');
    await driver.insertBlock('t', ['n', 's'], block);
    await driver.insertBlock('t', ['n', 's'], block); // the same block again: spooled anew
    assert.deepEqual(readdirSync(spool).filter((f) => f.startsWith('t_spool.')), []);
    assert.deepEqual(await driver.select<{ n: number }>('SELECT count() AS n FROM t'), [{ n: 4 }]);
    writeFileSync(join(spool, 't_spool.t.999.native'), 'left by a killed process');
    writeFileSync(join(spool, 'other_db.t.1.native'), 'not ours');
  } finally {
    await driver.exec('DROP DATABASE IF EXISTS t_spool');
    await driver.close();
  }
  const reopened = await ChdbDriver.open(dir, 't_spool');
  await reopened.exec('DROP DATABASE IF EXISTS t_spool');
  await reopened.close();
  assert.deepEqual(readdirSync(spool).sort(), ['other_db.t.1.native']);
});
