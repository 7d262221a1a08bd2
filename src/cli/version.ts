import pkg from '../../package.json' with { type: 'json' };

export const SKIFF_VERSION: string = pkg.version;
