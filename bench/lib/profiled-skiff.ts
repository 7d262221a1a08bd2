// `skiff` under the V8 CPU profiler, for the benches (Node 20 refuses --cpu-prof in NODE_OPTIONS): the profile goes
// to $SKIFF_BENCH_CPU_PROF/skiff-<pid>.cpuprofile when the process exits; open it in Chrome DevTools or read its JSON.
import { writeFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env['SKIFF_BENCH_CPU_PROF'];
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  // A session in the process's own thread answers synchronously, so this runs to the end inside 'exit'.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result: Profiler.StopReturnType) => {
      if (!err) writeFileSync(join(dir, `skiff-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
await import('../../src/cli/main.ts');
