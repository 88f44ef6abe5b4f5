import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ICruiseResult } from 'dependency-cruiser';
import { repoRoot } from '../deploy/stack/paths';

/*
 * Dependencies point one way: no module imports a module that imports it back (the no-module-cycle
 * rule of .dependency-cruiser.cjs), and no top-level folder imports a folder that imports it back,
 * directly or through others. dependency-cruiser resolves the imports; its folder rules work on
 * every folder level (api/routes, api/...), so the top-level graph is built here from its result.
 */

/** One import that makes folder `from` depend on folder `to`: the first one found, as an example. */
interface FolderEdge {
  from: string;
  to: string;
  example: string;
}

const topFolder = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '.');

/** Value imports between different top-level folders, one example import per pair. */
export function folderEdges(result: ICruiseResult): FolderEdge[] {
  const edges = new Map<string, FolderEdge>();
  for (const module of result.modules) {
    for (const dependency of module.dependencies) {
      const valueImport =
        dependency.dependencyTypes.includes('local') && !dependency.dependencyTypes.includes('type-only');
      const from = topFolder(module.source);
      const to = topFolder(dependency.resolved);
      if (!valueImport || from === to || edges.has(`${from} ${to}`)) continue;
      edges.set(`${from} ${to}`, { from, to, example: `${module.source} imports ${dependency.resolved}` });
    }
  }
  return [...edges.values()];
}

/**
 * Every folder cycle, each as the edges that close it: for an edge a -> b, the shortest way back
 * from b to a (breadth first). A cycle found from several of its edges is reported once.
 */
export function folderCycles(edges: FolderEdge[]): FolderEdge[][] {
  const outgoing = new Map<string, FolderEdge[]>();
  for (const edge of edges) outgoing.set(edge.from, [...(outgoing.get(edge.from) ?? []), edge]);
  const cycles = new Map<string, FolderEdge[]>();
  for (const first of edges) {
    const cameBy = new Map<string, FolderEdge>();
    const queue = [first.to];
    while (queue.length > 0 && !cameBy.has(first.from)) {
      for (const edge of outgoing.get(queue.shift()!) ?? []) {
        if (cameBy.has(edge.to) || edge.to === first.to) continue;
        cameBy.set(edge.to, edge);
        queue.push(edge.to);
      }
    }
    if (!cameBy.has(first.from)) continue;
    const back: FolderEdge[] = [];
    for (let at = first.from; at !== first.to; at = cameBy.get(at)!.from) back.unshift(cameBy.get(at)!);
    const cycle = [first, ...back];
    const key = cycle
      .map((edge) => edge.from)
      .sort()
      .join(' ');
    if (!cycles.has(key)) cycles.set(key, cycle);
  }
  return [...cycles.values()];
}

/** Runs dependency-cruiser over the repository; one line per problem, none when the graph is clean. */
export async function findImportCycles(): Promise<string[]> {
  const depcruise = path.join(repoRoot, 'node_modules', '.bin', 'depcruise');
  // A non-zero exit only says that rules were violated; the JSON on stdout says which.
  const { stdout } = await promisify(execFile)(depcruise, ['--output-type', 'json', '.'], {
    cwd: repoRoot,
    maxBuffer: 256 * 1024 * 1024,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    if (!error.stdout) throw new Error(`dependency-cruiser failed: ${error.stderr ?? error.message}`);
    return { stdout: error.stdout };
  });
  const result = JSON.parse(stdout) as ICruiseResult;
  const moduleCycles = result.summary.violations.map(
    (violation) =>
      `${violation.rule.name}: ${[violation.from, ...(violation.cycle ?? []).map((step) => step.name)].join(' -> ')}`,
  );
  const cycles = folderCycles(folderEdges(result)).map(
    (cycle) =>
      `folder cycle ${[...cycle.map((edge) => edge.from), cycle[0]!.from].join(' -> ')}: ` +
      cycle.map((edge) => edge.example).join('; '),
  );
  return [...moduleCycles, ...cycles];
}

if (require.main === module) {
  findImportCycles().then(
    (problems) => {
      process.stdout.write(problems.length === 0 ? 'no import cycles\n' : `${problems.join('\n')}\n`);
      process.exitCode = problems.length === 0 ? 0 : 1;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
