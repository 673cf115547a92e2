/** Timing and memory helpers for the benchmark: child processes timed from spawn to exit, peak RSS by polling /proc. */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";

export interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  peakRssBytes: number;
}

export function timeCommand(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: opts.env ?? process.env, cwd: opts.cwd });
    let stdout = "";
    let stderr = "";
    let peak = 0;
    const poll = setInterval(() => {
      if (!child.pid) return;
      readFile(`/proc/${child.pid}/status`, "utf8").then(
        (s) => {
          const m = /VmHWM:\s+(\d+) kB/.exec(s);
          if (m) peak = Math.max(peak, Number(m[1]) * 1024);
        },
        () => {},
      );
    }, 50);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err) => {
      clearInterval(poll);
      reject(err);
    });
    child.on("close", (code) => {
      clearInterval(poll);
      resolve({ ms: performance.now() - t0, code, stdout, stderr, peakRssBytes: peak });
    });
    child.stdin.end(opts.input ?? "");
  });
}

export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function stats(runs: number[]): Stats {
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}
