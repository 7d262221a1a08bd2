import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTemplate, evaluate, evaluateAll, parseExpression, parseGoDuration, renderTemplate, TemplateEvaluationError, TemplateSyntaxError, type EvalContext } from './template.ts';

const ctx: EvalContext = { now: new Date('2026-01-02T03:04:05.678Z') };
const scope = (root: unknown, vars: Record<string, unknown> = {}, c: EvalContext = ctx) => ({ root, vars, ctx: c });
const value = (expr: string, root: unknown, vars: Record<string, unknown> = {}) => evaluate(parseExpression(expr), scope(root, vars));

const pod = {
  metadata: { name: 'p', annotations: { 'pod-ready.stage.skiff.dev/delay': '2s' } },
  spec: {
    containers: [
      { name: 'a', image: 'nginx', readinessProbe: { initialDelaySeconds: 3 } },
      { name: 'b', image: 'busybox' },
    ],
  },
  status: {
    phase: 'Running',
    conditions: [
      { type: 'Ready', status: 'False' },
      { type: 'Initialized', status: 'True' },
    ],
    containerStatuses: [{ name: 'a', state: { running: { startedAt: 'T1' } } }],
  },
};

void describe('expressions', () => {
  void it('follow paths to one value, or to a list through [] and filters', () => {
    assert.equal(value('.status.phase', pod), 'Running');
    assert.equal(value('.spec.nodeName', pod), undefined);
    assert.deepEqual(value('.spec.containers[].name', pod), ['a', 'b']);
    assert.deepEqual(value('.spec.containers.[].name', pod), ['a', 'b'], "jq's .[] spelling");
    assert.deepEqual(value('.status.conditions[type=Ready].status', pod), ['False']);
    assert.deepEqual(value('.spec.containers[readinessProbe].name', pod), ['a']);
    assert.deepEqual(value('.spec.containers[!readinessProbe].name', pod), ['b']);
    assert.equal(value('.spec.containers[1].image', pod), 'busybox');
    assert.equal(value('.metadata.annotations["pod-ready.stage.skiff.dev/delay"]', pod), '2s');
    assert.equal(value('.', 7), 7);
  });

  void it('bind variables, including inside filters', () => {
    const c = pod.spec.containers[0];
    assert.equal(value('$c.image', pod, { c }), 'nginx');
    assert.deepEqual(value('.status.containerStatuses[name=$c.name].state.running.startedAt', pod, { c }), ['T1']);
    assert.deepEqual(value('.status.containerStatuses[name=$c.name].state.running.startedAt', pod, { c: pod.spec.containers[1] }), []);
    assert.throws(() => value('$nope.x', pod), TemplateEvaluationError);
  });

  void it('call the built-in functions', () => {
    assert.equal(value('now()', pod), '2026-01-02T03:04:05Z');
    assert.equal(value('join(.spec.containers[].name, ",")', pod), 'a,b');
    assert.equal(value('exists(.spec.containers[readinessProbe])', pod), true);
    assert.equal(value('exists(.spec.initContainers)', pod), false);
    assert.equal(value('not(.spec.initContainers)', pod), true);
    assert.equal(value('eq(.status.phase, "Running")', pod), true);
    assert.equal(value('first(.spec.containers[].name)', pod), 'a');
    assert.equal(value('len(.spec.containers)', pod), 2);
    assert.equal(value('mul(max(.spec.containers[].readinessProbe.initialDelaySeconds), 1000)', pod), 3000);
    assert.equal(value('mul(max(.spec.initContainers[].readinessProbe.initialDelaySeconds), 1000)', pod), 0);
    assert.equal(value('add(1, 2, 3.5)', pod), 6.5);
    assert.equal(value('default(.spec.nodeName, "none")', pod), 'none');
    assert.equal(value('duration("1m30s")', pod), 90_000);
    assert.equal(value('or(.spec.nodeName, .metadata.name)', pod), 'p');
    assert.equal(value('and(.metadata.name, .spec.nodeName)', pod), undefined);
  });

  void it('evaluate only the branch of if() that is taken', () => {
    let calls = 0;
    const counting: EvalContext = { ...ctx, functions: { podIPs: () => (calls++, ['10.0.0.2']) } };
    const expr = parseExpression('if(.spec.hostNetwork, "host", first(podIPs()))');
    assert.equal(evaluate(expr, scope({ spec: { hostNetwork: true } }, {}, counting)), 'host');
    assert.equal(calls, 0);
    assert.equal(evaluate(expr, scope({ spec: {} }, {}, counting)), '10.0.0.2');
    assert.equal(calls, 1);
  });

  void it('give selectors every value a path reaches', () => {
    assert.deepEqual(evaluateAll(parseExpression('.status.containerStatuses[].state.running.startedAt'), scope(pod)), ['T1']);
    assert.deepEqual(evaluateAll(parseExpression('.status.phase'), scope(pod)), ['Running']);
    assert.deepEqual(evaluateAll(parseExpression('.spec.nodeName'), scope(pod)), []);
  });

  void it('reject malformed text with the position', () => {
    for (const bad of ['.spec[', 'join(.a', 'foo', '.a b', '.status.conditions[type', "'open"]) {
      assert.throws(() => parseExpression(bad), TemplateSyntaxError, bad);
    }
    assert.throws(() => value('nosuch()', pod), /unknown function nosuch/);
  });

  void it('read Go durations', () => {
    assert.equal(parseGoDuration('1.5s'), 1500);
    assert.equal(parseGoDuration('2m30s'), 150_000);
    assert.equal(parseGoDuration('250ms'), 250);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('5 s'), undefined);
    assert.equal(parseGoDuration('soon'), undefined);
  });
});

void describe('templates', () => {
  void it('keep types of whole-string expressions, interpolate others, drop undefined keys', () => {
    const tpl = compileTemplate({ ready: '{{ exists(.spec.containers) }}', n: '{{ len(.spec.containers) }}', msg: 'names: [{{ join(.spec.containers[].name, " ") }}]', gone: '{{ .spec.nodeName }}', keep: null });
    assert.deepEqual(renderTemplate(tpl, scope(pod)), { ready: true, n: 2, msg: 'names: [a b]', keep: null });
  });

  void it('map lists with $each and choose with $if, spreading both into arrays', () => {
    const tpl = compileTemplate({
      statuses: { $each: '.spec.containers', as: 'c', value: { name: '{{ $c.name }}', i: '{{ $index }}', ready: '{{ not(exists($c.readinessProbe)) }}' } },
      conditions: [
        { type: 'A' },
        { $if: 'exists(.spec.initContainers)', then: { type: 'Init' } },
        { $if: 'exists(.spec.containers)', then: [{ type: 'B' }, { type: 'C' }] },
        { $each: '.spec.containers', as: 'c', value: { type: 'X-{{ $c.name }}' } },
      ],
    });
    assert.deepEqual(renderTemplate(tpl, scope(pod)), {
      statuses: [
        { name: 'a', i: 0, ready: false },
        { name: 'b', i: 1, ready: true },
      ],
      conditions: [{ type: 'A' }, { type: 'B' }, { type: 'C' }, { type: 'X-a' }, { type: 'X-b' }],
    });
  });

  void it('does not share constant objects between renders', () => {
    const tpl = compileTemplate({ lastState: {} });
    const first = renderTemplate(tpl, scope(pod)) as { lastState: Record<string, unknown> };
    first.lastState['x'] = 1;
    assert.deepEqual(renderTemplate(tpl, scope(pod)), { lastState: {} });
  });

  void it('name the place of a syntax error', () => {
    assert.throws(() => compileTemplate({ a: [{ b: '{{ join( }}' }] }, 'status'), /status\.a\[0\]\.b/);
    assert.throws(() => compileTemplate({ $each: 3 }), TemplateSyntaxError);
  });
});
