/**
 * Child process serving the real Docker sandbox over Node's IPC channel, for tests that
 * load nock: nock patches node:http in its process, and through that patch a hijacked
 * Docker attach stream never delivers the half-close (stdin EOF) to the container, so
 * every run hangs until its deadline. Here, without nock, runs behave as in production.
 */
import { requireSandbox } from "../helpers/sandbox.js";
import type { SandboxRunRequest } from "../../src/sandbox/sandbox.js";

interface Call {
  id: number;
  method: "preflight" | "run";
  req?: SandboxRunRequest;
}

const sandbox = requireSandbox();
sandbox.catch(() => undefined);

process.on("message", (msg: Call) => {
  void (async () => {
    try {
      const sb = await sandbox;
      const result = msg.method === "preflight" ? await sb.preflight() : await sb.run(msg.req!);
      process.send?.({ id: msg.id, ok: true, result });
    } catch (err) {
      const e = err as Error & { fix?: string };
      process.send?.({ id: msg.id, ok: false, error: { name: e.name, message: e.message, fix: e.fix } });
    }
  })();
});
process.on("disconnect", () => process.exit(0));
process.send?.({ ready: true });
