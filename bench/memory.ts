import fs from 'node:fs';
import type { StackContext } from '../deploy/stack/component';
import { STACK_COMPONENTS } from '../deploy/stack/components';

export interface ProcessMemory {
  pid: number;
  /** VmRSS of the process and all its descendants (Postgres backends, tsx's esbuild), MiB. */
  rssMiB: number;
  /** VmRSS of the process alone (the postmaster, the JVM, the node process), MiB. */
  ownRssMiB: number;
  processes: number;
}

export type MemorySnapshot = Record<string, ProcessMemory | null>;

const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;

function vmRssKiB(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // gone between listing and reading
  }
}

/** Parent pid of every live process, from /proc/<pid>/stat (field 4, after the parenthesised name). */
function parentsByPid(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // exited meanwhile
    }
  }
  return parents;
}

function treeOf(root: number, parents: Map<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, parent] of parents) children.set(parent, [...(children.get(parent) ?? []), pid]);
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/**
 * Resident memory of each stack component, by the pid its pid file names (deploy/stack/components).
 * Shared pages count once per process that maps them, so Postgres's shared buffers count once per
 * backend: its figure is an upper bound.
 */
export function memorySnapshot(ctx: StackContext): MemorySnapshot {
  const parents = parentsByPid();
  const snapshot: MemorySnapshot = {};
  for (const component of STACK_COMPONENTS) {
    const pid = component.pid(ctx);
    if (pid === undefined) {
      snapshot[component.name] = null;
      continue;
    }
    const tree = treeOf(pid, parents);
    const kib = tree.reduce((sum, p) => sum + vmRssKiB(p), 0);
    snapshot[component.name] = {
      pid,
      rssMiB: mib(kib),
      ownRssMiB: mib(vmRssKiB(pid)),
      processes: tree.length,
    };
  }
  return snapshot;
}

/** The largest figure of each component over a stretch of time, sampled every `intervalMs`. */
export class PeakMemorySampler {
  private peak: MemorySnapshot = {};
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: StackContext,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.peak = {};
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): MemorySnapshot {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return this.peak;
  }

  private sample(): void {
    for (const [name, now] of Object.entries(memorySnapshot(this.ctx))) {
      const before = this.peak[name];
      if (!before || (now && now.rssMiB > before.rssMiB)) this.peak[name] = now;
    }
  }
}

export const totalMiB = (snapshot: MemorySnapshot) =>
  Math.round(Object.values(snapshot).reduce((sum, m) => sum + (m?.rssMiB ?? 0), 0) * 10) / 10;
