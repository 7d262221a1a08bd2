// Jobs and CronJobs with the real kubectl 1.35 against a full `skiff server` (every registered controller). No node
// agent runs pods yet, so the test moves them to Succeeded itself through the status subresource, as a kubelet would.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl, kubectlOk, type KubectlResult } from '../support/kubectl.ts';
import { eventually, startSkiffServer, type SkiffServer } from '../support/server.ts';

const timeout = 120_000;

describe('Jobs and CronJobs with kubectl 1.35', { timeout: 10 * 60_000 }, () => {
  const abort = new AbortController();
  let server: SkiffServer;

  const run = (args: string[]): Promise<KubectlResult> => kubectl(args, { kubeconfig: server.kubeconfig, timeoutMs: 90_000 });
  const ok = (args: string[]): Promise<string> => kubectlOk(args, { kubeconfig: server.kubeconfig, timeoutMs: 90_000 });
  const json = async (args: string[]): Promise<any> => JSON.parse(await ok([...args, '-o', 'json']));

  /** Waits for the Job's pod and marks it Succeeded with exit code 0. */
  const succeedPodOf = async (job: string): Promise<string> => {
    const name = await eventually(`a pod of ${job}`, async () => {
      const pods = await json(['get', 'pods', '-l', `batch.kubernetes.io/job-name=${job}`]);
      return pods.items[0]?.metadata?.name as string | undefined;
    });
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const status = {
      status: {
        phase: 'Succeeded',
        containerStatuses: [{ name: job, image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now } } }],
      },
    };
    await ok(['patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
    return name;
  };

  before(async () => {
    server = await startSkiffServer({ datastore: 'sqlite', signal: abort.signal });
  });
  after(async () => {
    try {
      await server?.stop();
    } finally {
      abort.abort();
    }
  });

  it('create job: its pod finishes, wait --for=condition=complete succeeds, get job shows 1/1', { timeout }, async () => {
    await ok(['create', 'job', 'hello', '--image=busybox', '--', 'echo', 'hi']);
    const pod = await succeedPodOf('hello');
    await ok(['wait', '--for=condition=complete', 'job/hello', '--timeout=60s']);
    assert.match(await ok(['get', 'job', 'hello']), /^hello\s+Complete\s+1\/1\s+\S+\s+\S+\s*$/m);
    const job = await json(['get', 'job', 'hello']);
    assert.equal(job.status.succeeded, 1);
    assert.deepEqual(
      job.status.conditions.map((c: { type: string; reason: string }) => [c.type, c.reason]),
      [
        ['SuccessCriteriaMet', 'CompletionsReached'],
        ['Complete', 'CompletionsReached'],
      ],
    );
    // The counted pod no longer carries the tracking finalizer.
    const finalizers = (await json(['get', 'pod', pod])).metadata.finalizers ?? [];
    assert.ok(!finalizers.includes('batch.kubernetes.io/job-tracking'), String(finalizers));
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=hello']);
    assert.match(events, /SuccessfulCreate\s+job\/hello\s+Created pod: hello-[a-z0-9]{5}/);
    assert.match(events, /Completed\s+job\/hello\s+Job completed/);
  });

  it('create cronjob --schedule is accepted; create job --from=cronjob runs its template', { timeout }, async () => {
    await ok(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/1 * * * *', '--', 'date']);
    assert.match(await ok(['get', 'cronjob', 'tick']), /^tick\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+\d+\s+/m);
    await ok(['create', 'job', 'tick-manual', '--from=cronjob/tick']);
    const job = await json(['get', 'job', 'tick-manual']);
    assert.equal(job.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
    assert.equal(job.metadata.ownerReferences[0].kind, 'CronJob');
    assert.equal(job.metadata.ownerReferences[0].name, 'tick');
    await succeedPodOf('tick-manual');
    await ok(['wait', '--for=condition=complete', 'job/tick-manual', '--timeout=60s']);
    assert.match(await ok(['get', 'job', 'tick-manual']), /^tick-manual\s+Complete\s+1\/1\s+/m);
    // A schedule robfig/cron cannot read is refused.
    const bad = await run(['create', 'cronjob', 'bad', '--image=busybox', '--schedule=61 * * * *']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec\.schedule/);
  });
});
