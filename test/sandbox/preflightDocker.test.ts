/**
 * preflight() against a scripted Docker (no daemon needed): the three questions to the
 * daemon go out at once, answers are checked in a fixed order (the first problem reported
 * does not depend on which answer came first), and the trace runtime counts as boot-only
 * only when runsc's last --debug-command is boot.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Dockerode from "dockerode";
import { afterAll, describe, expect, it } from "vitest";
import { preflight } from "../../src/sandbox/preflight.js";
import { SandboxUnavailableError } from "../../src/sandbox/sandbox.js";

const dir = mkdtempSync(join(tmpdir(), "skillgate-preflight-"));
const traceDir = join(dir, "trace") + "/";
const runsc = join(dir, "runsc");
writeFileSync(runsc, "#!/bin/sh\necho 'runsc version 0.0~test'\n");
chmodSync(runsc, 0o755);
mkdirSync(traceDir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Script {
  version?: () => Promise<unknown>;
  image?: () => Promise<unknown>;
  traceArgs?: string[];
}

function fakeDocker(script: Script, calls: string[]): Dockerode {
  return {
    modem: { socketPath: "/fake/docker.sock" },
    version: () => {
      calls.push("version");
      return script.version ? script.version() : Promise.resolve({ Version: "20.10-test" });
    },
    info: () => {
      calls.push("info");
      return Promise.resolve({
        Runtimes: {
          runsc: { path: runsc, runtimeArgs: ["--network=none"] },
          "runsc-trace": { path: runsc, runtimeArgs: script.traceArgs ?? ["--network=none", "--strace", `--debug-log=${traceDir}`, "--debug-command=boot"] },
        },
      });
    },
    getImage: () => ({
      inspect: () => {
        calls.push("image");
        return script.image ? script.image() : Promise.resolve({ Id: "sha256:test", Config: { Labels: { "org.skillgate.bandit": "1.6.2" } } });
      },
    }),
  } as unknown as Dockerode;
}

const run = (docker: Dockerode) =>
  preflight({
    docker,
    imageTag: "skillgate-sandbox:test",
    runtime: "runsc",
    traceRuntime: "runsc-trace",
    probe: () => Promise.reject(new Error("no probe in this test")),
  });

describe("preflight against a scripted Docker", () => {
  it("asks version, info and the image at once, then reports the versions", async () => {
    const calls: string[] = [];
    let seenWhenVersionAnswered: string[] = [];
    const docker = fakeDocker(
      {
        version: () =>
          new Promise((resolve) =>
            setImmediate(() => {
              seenWhenVersionAnswered = [...calls];
              resolve({ Version: "20.10-test" });
            }),
          ),
      },
      calls,
    );
    const r = await run(docker);
    expect(seenWhenVersionAnswered.sort()).toEqual(["image", "info", "version"]);
    expect(r).toMatchObject({ dockerVersion: "20.10-test", runscVersion: "0.0~test", banditVersion: "1.6.2", imageId: "sha256:test", traceBootOnly: true });
  });

  it("reports Docker down first even when the image inspect fails too, with no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      const docker = fakeDocker(
        {
          version: () => new Promise((_, reject) => setTimeout(() => reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })), 20)),
          image: () => Promise.reject(new Error("No such image")),
        },
        [],
      );
      const err = await run(docker).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SandboxUnavailableError);
      expect((err as Error).message).toMatch(/^Docker does not answer at \/fake\/docker\.sock/);
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("names the missing image when Docker and the runtimes are fine", async () => {
    const err = await run(fakeDocker({ image: () => Promise.reject(new Error("No such image: skillgate-sandbox:test")) }, [])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnavailableError);
    expect((err as Error).message).toMatch(/sandbox image skillgate-sandbox:test is missing/);
  });

  it("counts the trace runtime as boot-only only when runsc's last --debug-command is boot", async () => {
    const base = ["--network=none", "--strace", `--debug-log=${traceDir}`];
    const cases: Array<[string[], boolean]> = [
      [[...base, "--debug-command=boot"], true],
      [[...base, "--debug-command=boot", "--debug-command=boot,delete"], false],
      [[...base, "--debug-command=all", "--debug-command=boot"], true],
      [base, false],
    ];
    for (const [traceArgs, bootOnly] of cases) {
      const r = await run(fakeDocker({ traceArgs }, []));
      expect(r.traceBootOnly, traceArgs.join(" ")).toBe(bootOnly);
    }
  });
});
