import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface MachineInfo {
  hostname: string;
  platform: string;
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  loadAverageAtStart: number[];
}

export interface GitInfo {
  commit: string | null;
  /** Tracked files differ from the commit: the code measured is not exactly the commit's. */
  dirty: boolean | null;
}

export function machineInfo(): MachineInfo {
  return {
    hostname: os.hostname(),
    platform: `${os.platform()} ${os.release()}`,
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function gitInfo(cwd: string): GitInfo {
  const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
  try {
    return {
      commit: git('rev-parse', 'HEAD'),
      dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
    };
  } catch {
    return { commit: null, dirty: null };
  }
}
