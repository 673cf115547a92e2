/**
 * dockerPrewarm: preflight's three questions asked over a unix socket before the CLI has
 * loaded, against a scripted Docker API server (node:http on a socket in a temp folder).
 * The answers are taken once, only for the same socket and image, errors keep docker-modem's
 * shape, and preflight really uses them instead of asking its own client.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerGet, localSocketPath, prewarmPreflight, takePrewarmed } from "../../src/sandbox/dockerPrewarm.js";
import { preflight } from "../../src/sandbox/preflight.js";
import { SandboxUnavailableError } from "../../src/sandbox/sandbox.js";

const dir = mkdtempSync(join(tmpdir(), "skillgate-prewarm-"));
const sock = join(dir, "docker.sock");
const traceDir = join(dir, "trace") + "/";
const requests: string[] = [];
let server: Server;

beforeAll(async () => {
  const { mkdirSync, writeFileSync, chmodSync } = await import("node:fs");
  mkdirSync(traceDir);
  writeFileSync(join(dir, "runsc"), "#!/bin/sh\necho 'runsc version 0.0~prewarm'\n");
  chmodSync(join(dir, "runsc"), 0o755);
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === "/version") return json(200, { Version: "20.10-prewarm" });
    if (req.url === "/info") {
      return json(200, {
        Runtimes: {
          runsc: { path: join(dir, "runsc"), runtimeArgs: ["--network=none"] },
          "runsc-trace": { path: join(dir, "runsc"), runtimeArgs: ["--network=none", "--strace", `--debug-log=${traceDir}`, "--debug-command=boot"] },
        },
      });
    }
    if (req.url === "/images/skillgate-sandbox:prewarm/json") return json(200, { Id: "sha256:prewarm", Config: { Labels: { "org.skillgate.bandit": "1.6.2" } } });
    return json(404, { message: `No such image: ${req.url}` });
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** A Docker client on the same socket that must not be asked anything. */
function silentDocker(asked: string[]): Dockerode {
  const ask = (what: string) => () => {
    asked.push(what);
    return Promise.reject(new Error(`${what} asked of the client`));
  };
  return { modem: { socketPath: sock }, version: ask("version"), info: ask("info"), getImage: () => ({ inspect: ask("image") }) } as unknown as Dockerode;
}

describe("dockerPrewarm", () => {
  it("finds the socket as docker-modem does, and none for a remote daemon", async () => {
    expect(await localSocketPath({ DOCKER_HOST: `unix://${sock}` })).toBe(sock);
    expect(await localSocketPath({ DOCKER_HOST: "tcp://127.0.0.1:2375" })).toBeUndefined();
    expect(await localSocketPath({ DOCKER_HOST: "ssh://me@host" })).toBeUndefined();
    expect(await localSocketPath({ HOME: dir })).toMatch(/docker\.sock$/);
  });

  it("answers with the parsed body, and errors shaped like docker-modem's", async () => {
    expect(await dockerGet(sock, "/version")).toEqual({ Version: "20.10-prewarm" });
    const notFound = await dockerGet(sock, "/images/missing/json").catch((e: unknown) => e);
    expect(notFound).toMatchObject({ statusCode: 404, message: "(HTTP code 404) No such image: /images/missing/json" });
    const down = await dockerGet(join(dir, "nobody.sock"), "/version").catch((e: unknown) => e);
    expect((down as { code?: string }).code).toMatch(/ENOENT|ECONNREFUSED/);
  });

  it("is taken once, and only for the same socket and image", async () => {
    prewarmPreflight("skillgate-sandbox:prewarm", { DOCKER_HOST: `unix://${sock}` });
    expect(await takePrewarmed("/elsewhere.sock", "skillgate-sandbox:prewarm")).toBeUndefined();
    prewarmPreflight("skillgate-sandbox:prewarm", { DOCKER_HOST: `unix://${sock}` });
    expect(await takePrewarmed(sock, "skillgate-sandbox:other")).toBeUndefined();
    prewarmPreflight("skillgate-sandbox:prewarm", { DOCKER_HOST: `unix://${sock}` });
    const answers = await takePrewarmed(sock, "skillgate-sandbox:prewarm");
    expect(await answers?.info).toHaveProperty("Runtimes");
    expect(await takePrewarmed(sock, "skillgate-sandbox:prewarm")).toBeUndefined();
  });

  it("is what preflight uses: its own client is never asked", async () => {
    requests.length = 0;
    prewarmPreflight("skillgate-sandbox:prewarm", { DOCKER_HOST: `unix://${sock}` });
    const asked: string[] = [];
    const r = await preflight({ docker: silentDocker(asked), imageTag: "skillgate-sandbox:prewarm", runtime: "runsc", traceRuntime: "runsc-trace", probe: () => Promise.reject(new Error("no probe")) });
    expect(asked).toEqual([]);
    expect(requests).toEqual(expect.arrayContaining(["/images/skillgate-sandbox:prewarm/json", "/info", "/version"]));
    expect(r).toMatchObject({ dockerVersion: "20.10-prewarm", imageId: "sha256:prewarm", banditVersion: "1.6.2", runscVersion: "0.0~prewarm", traceBootOnly: true });
    // Without prewarmed answers the client is asked (and here it fails, as reported).
    const err = await preflight({ docker: silentDocker(asked), imageTag: "skillgate-sandbox:prewarm", runtime: "runsc", traceRuntime: "runsc-trace", probe: () => Promise.reject(new Error("no probe")) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnavailableError);
    expect(asked.sort()).toEqual(["image", "info", "version"]);
  });

  it("reports a daemon that is down through preflight's usual message", async () => {
    const gone = join(dir, "gone.sock");
    prewarmPreflight("skillgate-sandbox:prewarm", { DOCKER_HOST: `unix://${gone}` });
    const docker = { modem: { socketPath: gone } } as unknown as Dockerode;
    const err = await preflight({ docker, imageTag: "skillgate-sandbox:prewarm", runtime: "runsc", traceRuntime: "runsc-trace", probe: () => Promise.reject(new Error("no probe")) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnavailableError);
    expect((err as Error).message).toMatch(new RegExp(`^Docker does not answer at ${gone.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: connect (ENOENT|ECONNREFUSED)`));
  });
});
