/**
 * How dependency-cruiser reads the repository's imports (tsconfig resolution, re-exports, dynamic
 * imports) for `trackops test`'s import-cycle check (cli/import-cycles.ts), which adds the
 * top-level folder cycles dependency-cruiser cannot express as a rule. `npx depcruise .` reports
 * the same module rules by hand.
 *
 * Only value imports count: type-only imports are erased by the compiler, and some folders share
 * types both ways by design (workflows/ and activities/ through the saga's contract).
 */
const VALUE_IMPORTS_ONLY = { dependencyTypesNot: ['type-only'] };

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-module-cycle',
      comment: 'a module imports, directly or through others, a module that imports it back',
      severity: 'error',
      from: {},
      to: { circular: true, ...VALUE_IMPORTS_ONLY, viaOnly: VALUE_IMPORTS_ONLY },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|coverage|prisma/generated|\\.stack)/' },
  },
};
