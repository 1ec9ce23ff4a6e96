import { ServerDriver } from '../../../src/store/clickhouse.js';
import { clickhouseUrl, uniqueName } from '../../support/services.js';
import { storeContract } from './contract.js';

storeContract('server (ClickHouse over HTTP)', async (name) => {
  const database = uniqueName(`bw_store_${name}`);
  const driver = await ServerDriver.open({ url: await clickhouseUrl(), database });
  return {
    driver,
    drop: async () => {
      await driver.exec(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
      await driver.close();
    },
  };
});
