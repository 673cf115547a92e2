/**
 * The real sandbox, run from a child process (see sandboxWorker.ts for why): implements the
 * Sandbox port by forwarding preflight() and run() over IPC. Fails (never skips) when the
 * sandbox is unavailable: preflight() is awaited once before it is handed out.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { SandboxUnavailableError, type Sandbox, type SandboxInfo, type SandboxRunRequest, type SandboxRunResult } from "../../src/sandbox/sandbox.js";
import { packageRoot } from "../../src/packageRoot.js";

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: { name: string; message: string; fix?: string } };

export interface ProcessSandbox extends Sandbox {
  close(): void;
}

export async function requireSandboxInChildProcess(): Promise<ProcessSandbox> {
  const worker = join(dirname(fileURLToPath(import.meta.url)), "sandboxWorker.ts");
  const child: ChildProcess = fork(join(packageRoot(), "node_modules", "vite-node", "vite-node.mjs"), [worker], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 1;
  const ready = new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`sandbox worker exited with ${code} before it was ready`)));
    child.on("message", (msg: { ready?: boolean } | Reply) => {
      if ("ready" in msg) return resolve();
      const call = pending.get((msg as Reply).id);
      if (!call) return;
      pending.delete((msg as Reply).id);
      if ((msg as Reply).ok) call.resolve((msg as { result: unknown }).result);
      else {
        const e = (msg as { error: { name: string; message: string; fix?: string } }).error;
        call.reject(e.name === "SandboxUnavailableError" ? new SandboxUnavailableError(e.message, e.fix ?? "") : Object.assign(new Error(e.message), { name: e.name }));
      }
    });
  });
  child.on("exit", () => {
    for (const call of pending.values()) call.reject(new SandboxUnavailableError("the sandbox worker process exited", "see the test output"));
    pending.clear();
  });
  await ready;
  const call = <T>(method: "preflight" | "run", req?: SandboxRunRequest): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, method, req });
    });
  const sandbox: ProcessSandbox = {
    preflight: () => call<SandboxInfo>("preflight"),
    run: (req) => call<SandboxRunResult>("run", req),
    close: () => {
      if (child.connected) child.disconnect();
    },
  };
  try {
    await sandbox.preflight();
  } catch (err) {
    sandbox.close();
    throw new Error(`The sandbox is required for this test and is unavailable: ${(err as Error).message}${(err as { fix?: string }).fix ? `\nFix: ${(err as { fix?: string }).fix}` : ""}`, { cause: err });
  }
  return sandbox;
}
