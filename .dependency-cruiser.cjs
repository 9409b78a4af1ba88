/**
 * The import graph of the libs (npm run lint). Each lib may use the libs below it, through their
 * barrels (@itn/<lib>), and nothing above it: core <- auth <- catalog; auth <- events <-
 * inventory <- cargo <- trades, and fast-path (the shortcuts) over inventory. Apps may use every
 * lib; no lib uses an app.
 */
const MAY_USE = {
  core: [],
  auth: ['core'],
  catalog: ['core', 'auth'],
  events: ['core', 'auth'],
  inventory: ['core', 'auth', 'events'],
  cargo: ['core', 'auth', 'events', 'inventory'],
  trades: ['core', 'auth', 'events', 'inventory', 'cargo'],
  // The speed shortcuts, behind FAST_PATHS: only the apps use them.
  'fast-path': ['core', 'auth', 'events', 'inventory'],
};
const LIBS = Object.keys(MAY_USE);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'libs-never-use-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'libs-use-each-other-through-barrels',
      comment: 'Another lib is used through its @itn/<lib> barrel (src/index.ts), never a file inside it.',
      severity: 'error',
      from: { path: '^libs/([^/]+)/' },
      to: { path: '^libs/[^/]+/src/.+', pathNot: ['^libs/$1/', '^libs/[^/]+/src/index\\.ts$'] },
    },
    ...LIBS.map((lib) => ({
      name: `${lib}-uses-only-the-libs-below-it`,
      comment: `${lib} may use ${MAY_USE[lib].join(', ') || 'no other lib'}`,
      severity: 'error',
      from: { path: `^libs/${lib}/` },
      to: { path: '^libs/', pathNot: [`^libs/${lib}/`, ...MAY_USE[lib].map((other) => `^libs/${other}/`)] },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
