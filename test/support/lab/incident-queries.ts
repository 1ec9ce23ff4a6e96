import assert from 'node:assert/strict';
import type { Store } from '../../../src/store/store.js';
import { loadSavedQuery, resolveParams } from '../../../src/store/saved-queries.js';

interface AlertKey {
  alert_id: string;
  host: string | null;
  backend: string | null;
  server: string | null;
}

/**
 * termination_around_alert counts every connection failure of the alert's server that the store
 * holds (one per event_id), and the SC failures that caused the alert fall before or during it.
 * Which of the two depends on whether the kill and the firing share a minute of the rollup, so
 * the phase is not asserted beyond "not after".
 */
export async function assertFailuresAroundAlert(store: Store, alert: AlertKey): Promise<void> {
  const q = loadSavedQuery('termination_around_alert');
  assert.ok(q, 'termination_around_alert');
  const around = await store.query<{ phase: string; termination_state: string; conn_failures: number }>(q.sql, resolveParams(q, { alert_id: alert.alert_id }));
  const [{ failures }] = await store.query<{ failures: number }>(
    'SELECT uniqExactIf(event_id, conn_failure = 1) AS failures FROM haproxy_events WHERE host = {host:String} AND backend = {backend:String} AND server = {server:String}',
    { host: alert.host ?? '', backend: alert.backend ?? '', server: alert.server ?? '' },
  );
  const shown = JSON.stringify(around);
  assert.ok(Number(failures) > 0, `connection failures of ${alert.backend}/${alert.server} stored`);
  assert.equal(around.reduce((sum, r) => sum + Number(r.conn_failures), 0), Number(failures), shown);
  assert.ok(around.some((r) => r.termination_state === 'SC' && Number(r.conn_failures) > 0 && r.phase !== 'after'), shown);
}
