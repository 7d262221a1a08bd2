// `kubectl create token SERVICE_ACCOUNT`: a TokenRequest; prints the token alone (no newline when not a terminal).
import { str, strs } from '../flags.ts';
import { DurationError, parseGoDuration } from '../goduration.ts';
import { CommandError, generator, type Obj } from './create-common.ts';
import { formatObject, outputOf } from '../mutate-output.ts';


const BOUND_KINDS: Record<string, string> = { Node: 'v1', Pod: 'v1', Secret: 'v1' };

export const createToken = generator({
  use: 'create token',
  flags: [
    { name: 'audience', type: 'array' },
    { name: 'duration', type: 'string' },
    { name: 'bound-object-kind', type: 'string' },
    { name: 'bound-object-name', type: 'string' },
    { name: 'bound-object-uid', type: 'string' },
  ],
  build(ctx) {
    // The frame gives every generator --dry-run; kubectl's create token has none.
    if (ctx.flags.has('dry-run')) throw new CommandError("unknown flag: --dry-run\nSee 'kubectl create token --help' for usage.");
    const durationText = str(ctx.flags, 'duration') ?? '0s';
    let seconds: number;
    try {
      seconds = parseGoDuration(durationText) / 1000;
    } catch (err) {
      if (!(err instanceof DurationError)) throw err;
      throw new CommandError(`invalid argument "${durationText}" for "--duration" flag: ${err.message}\nSee 'kubectl create token --help' for usage.`);
    }
    if (!ctx.namespace) throw new CommandError('--namespace is required');
    if (seconds < 0) throw new CommandError('--duration must be greater than or equal to 0');
    if (!Number.isInteger(Math.round(seconds * 1e9) / 1e9)) throw new CommandError('--duration cannot be expressed in units less than seconds');
    const audiences = strs(ctx.flags, 'audience');
    if (audiences.some((a) => a === '')) throw new CommandError('--audience must not be an empty string');
    const kind = str(ctx.flags, 'bound-object-kind') ?? '';
    const boundName = str(ctx.flags, 'bound-object-name') ?? '';
    const boundUid = str(ctx.flags, 'bound-object-uid') ?? '';
    if (!kind) {
      if (boundName) throw new CommandError('--bound-object-name can only be set if --bound-object-kind is provided');
      if (boundUid) throw new CommandError('--bound-object-uid can only be set if --bound-object-kind is provided');
    } else {
      if (!(kind in BOUND_KINDS)) throw new CommandError(`supported --bound-object-kind values are ${Object.keys(BOUND_KINDS).join(', ')}`);
      if (!boundName) throw new CommandError('--bound-object-name is required if --bound-object-kind is provided');
    }
    const spec: Obj = { audiences: audiences.length ? audiences : null };
    if (seconds > 0) spec['expirationSeconds'] = Math.round(seconds);
    if (kind) {
      const ref: Obj = { kind, apiVersion: BOUND_KINDS[kind], name: boundName };
      if (boundUid) ref['uid'] = boundUid;
      spec['boundObjectRef'] = ref;
    }
    const obj: Obj = { kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', metadata: {}, spec, status: { token: '', expirationTimestamp: null } };
    return {
      obj,
      target: { group: 'authentication.k8s.io', version: 'v1', resource: 'tokenrequests', kind: 'TokenRequest', namespaced: true },
      failure: 'failed to create token: ',
      path: `/api/v1/namespaces/${encodeURIComponent(ctx.namespace)}/serviceaccounts/${encodeURIComponent(ctx.name)}/token`,
    };
  },
  async print(ctx, created, target) {
    const token = String(created['status']?.token ?? '');
    if (!token) throw new CommandError('failed to create token: no token in server response');
    if (ctx.flags.has('output')) return formatObject(created, target, outputOf(ctx.flags), 'created', ctx.dryRun);
    return token;
  },
});
