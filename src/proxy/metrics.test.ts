import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { httpGet } from '../../test/support/http.ts';
import { ProxyMetrics, serveProxyMetrics } from './metrics.ts';

/** The value of one sample line (`name{labels} value`) in a Prometheus text page. */
function sample(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('ProxyMetrics', () => {
  it('renders upstream’s sync histograms (1 ms … 16.4 s buckets) and change counters', () => {
    let now = 1_700_000_000_000;
    const metrics = new ProxyMetrics(() => now);
    metrics.serviceChanged();
    metrics.endpointsChanged();
    metrics.endpointsChanged();
    now += 500;
    metrics.synced(true, 1.5);
    metrics.synced(false, 300);
    metrics.syncFailed();
    const page = metrics.render();
    const all = 'kubeproxy_sync_proxy_rules_duration_seconds';
    assert.match(page, new RegExp(`^# TYPE ${all} histogram$`, 'm'));
    assert.equal(sample(page, `${all}_bucket{le="0.001"}`), 0);
    assert.equal(sample(page, `${all}_bucket{le="0.002"}`), 1, '1.5 ms falls in the 2 ms bucket');
    assert.equal(sample(page, `${all}_bucket{le="0.256"}`), 1);
    assert.equal(sample(page, `${all}_bucket{le="0.512"}`), 2);
    assert.equal(sample(page, `${all}_bucket{le="16.384"}`), 2, 'the last of 15 doubling buckets');
    assert.equal(sample(page, `${all}_bucket{le="+Inf"}`), 2);
    assert.equal(sample(page, `${all}_sum`), 0.3015);
    assert.equal(sample(page, `${all}_count`), 2);
    assert.equal(sample(page, 'kubeproxy_sync_full_proxy_rules_duration_seconds_count'), 1);
    assert.equal(sample(page, 'kubeproxy_sync_partial_proxy_rules_duration_seconds_count'), 1);
    assert.equal(sample(page, 'kubeproxy_sync_proxy_rules_service_changes_total'), 1);
    assert.equal(sample(page, 'kubeproxy_sync_proxy_rules_endpoint_changes_total'), 2);
    assert.equal(sample(page, 'kubeproxy_sync_proxy_rules_failures_total'), 1);
    assert.equal(sample(page, 'kubeproxy_sync_proxy_rules_last_timestamp_seconds'), 1_700_000_000.5);
    assert.equal(sample(page, 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds'), 1_700_000_000);
  });
});

describe('serveProxyMetrics', () => {
  let close: (() => Promise<void>) | undefined;
  after(() => close?.());

  it('serves /metrics, /proxyMode and /healthz, and 404 elsewhere', async () => {
    const metrics = new ProxyMetrics();
    metrics.synced(true, 12);
    const served = await serveProxyMetrics(metrics, 'nftables', '127.0.0.1:0');
    close = served.close;
    const get = (path: string) => httpGet('127.0.0.1', served.address.port, path);
    assert.equal((await get('/proxyMode')).body, 'nftables');
    const page = await get('/metrics');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal(sample(page.body, 'kubeproxy_sync_full_proxy_rules_duration_seconds_count'), 1);
    assert.deepEqual(await get('/healthz').then((r) => [r.status, r.body]), [200, 'ok']);
    assert.equal((await get('/configz')).status, 404);
  });
});
