const fs = require('node:fs');
const path = require('node:path');

/** Packages that ship ESM only (NestJS 12 and some of its dependencies); swc turns them into CommonJS. */
function esmPackages() {
  const root = path.join(__dirname, 'node_modules');
  const names = [];
  const visit = (name) => {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(root, name, 'package.json'), 'utf8'));
      if (pkg.type === 'module') names.push(name);
    } catch {
      /* not a package */
    }
  };
  for (const entry of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    if (entry.startsWith('@')) for (const sub of fs.readdirSync(path.join(root, entry))) visit(`${entry}/${sub}`);
    else if (!entry.startsWith('.')) visit(entry);
  }
  return names.map((n) => n.replace(/[.+]/g, '\\$&'));
}

/** @type {import('jest').Config} */
const aliases = ['core', 'auth', 'catalog', 'inventory', 'events', 'cargo', 'trades', 'fast-path'];

module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testRegex: '(apps|libs|test)/.*\\.(e2e-)?spec\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  // NestJS 12 ships ESM; let swc turn it into CommonJS for jest.
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages().join('|')})/)`],
  moduleNameMapper: Object.fromEntries(
    aliases.flatMap((name) => [
      [`^@itn/${name}$`, `<rootDir>/libs/${name}/src`],
      [`^@itn/${name}/(.*)$`, `<rootDir>/libs/${name}/src/$1`],
    ]),
  ),
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 1,
  // The suite starts and kills API, worker and Redis processes and opens raw HTTP and socket
  // connections; a handle that outlives its test must not keep CI waiting after the results.
  forceExit: true,
};
