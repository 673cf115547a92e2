/**
 * Make sure the sandbox image for the current recipe exists: build it with
 * sandbox/build-image.sh when missing (debootstrap + docker import, no registry),
 * printing progress. Concurrent callers (parallel test files, two CLIs) wait on
 * one build through a lock file. Also a standalone entry:
 *   node dist/src/sandbox/ensureImage.js [TAG]
 */
import { spawn } from "node:child_process";
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import Dockerode from "dockerode";
import { bounded, sleep } from "./bounded.js";
import { IMAGE_REPOSITORY, recipeFiles, recipeHash, sandboxRecipeDir } from "./imageTag.js";
import { createDockerSandbox } from "./dockerSandbox.js";
import { dockerAddress, SETUP_FIX } from "./preflight.js";
import { SandboxUnavailableError } from "./sandbox.js";

export interface EnsureImageOptions {
  tag?: string;
  docker?: Dockerode;
  /** Progress lines; default: stderr. */
  progress?: (line: string) => void;
  /** Give up on a build after this long (default 20 min). */
  buildTimeoutMs?: number;
}

export interface EnsuredImage {
  tag: string;
  imageId: string;
  built: boolean;
}

async function imageId(docker: Dockerode, tag: string): Promise<string | undefined> {
  try {
    return (await bounded(docker.getImage(tag).inspect(), 15_000, "image inspect")).Id;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw new SandboxUnavailableError(`Docker does not answer at ${dockerAddress(docker)}: ${(err as Error).message}`, SETUP_FIX);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** An exclusive lock file holding the owner's pid; a stale lock (dead owner) is taken over. */
async function withLock<T>(name: string, progress: (l: string) => void, work: () => Promise<T>): Promise<T> {
  const file = join(tmpdir(), `${name}.lock`);
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number(readFileSync(file, "utf8").trim() || "0");
      if (owner && !pidAlive(owner)) {
        try {
          unlinkSync(file);
        } catch {
          // someone else took it over first
        }
        continue;
      }
      if (!announced) progress(`waiting for another build (pid ${owner || "?"}) holding ${file}`);
      announced = true;
      await sleep(1000);
    }
  }
  try {
    return await work();
  } finally {
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  }
}

/**
 * Copy the recipe to a private folder first: the tag is the hash of exactly what
 * is built, even when sandbox/ changes during the build.
 */
function snapshotRecipe(): string {
  const from = sandboxRecipeDir();
  const to = mkdtempSync(join(tmpdir(), "skillgate-recipe-"));
  for (const rel of recipeFiles(from)) {
    mkdirSync(dirname(join(to, rel)), { recursive: true });
    copyFileSync(join(from, rel), join(to, rel));
  }
  return to;
}

function runBuild(recipe: string, tag: string, progress: (l: string) => void, timeoutMs: number): Promise<void> {
  const script = join(recipe, "build-image.sh");
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [script, tag], { stdio: ["ignore", "pipe", "pipe"] });
    const tail: string[] = [];
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line.trim()) continue;
        progress(line);
        tail.push(line);
        if (tail.length > 30) tail.shift();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new SandboxUnavailableError(`cannot start ${script}: ${err.message}`, SETUP_FIX));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new SandboxUnavailableError(
            `building the sandbox image ${tag} failed (${signal ? `killed by ${signal}` : `exit ${code}`}):\n${tail.join("\n")}`,
            SETUP_FIX,
          ),
        );
    });
  });
}

/**
 * The image for the recipe as it is now (or `opts.tag`, built from the current
 * recipe), built when missing. Returns the tag actually ensured.
 */
export async function ensureImage(opts: EnsureImageOptions = {}): Promise<EnsuredImage> {
  const docker = opts.docker ?? new Dockerode();
  const progress = opts.progress ?? ((l: string) => process.stderr.write(`skillgate image: ${l}\n`));
  const env = process.env.SKILLGATE_SANDBOX_IMAGE;
  const wanted = opts.tag ?? (env || undefined);
  if (wanted) {
    const id = await imageId(docker, wanted);
    if (id) return { tag: wanted, imageId: id, built: false };
  } else {
    const tag = `${IMAGE_REPOSITORY}:${recipeHash()}`;
    const id = await imageId(docker, tag);
    if (id) return { tag, imageId: id, built: false };
  }
  const recipe = snapshotRecipe();
  try {
    const tag = wanted ?? `${IMAGE_REPOSITORY}:${recipeHash(recipe)}`;
    return await withLock(`skillgate-image-${tag.replace(/[^A-Za-z0-9_.-]/g, "_")}`, progress, async () => {
      const again = await imageId(docker, tag);
      if (again) return { tag, imageId: again, built: false };
      progress(`building ${tag} (seconds on a cached base; about a minute when the debootstrap base is new)`);
      const t0 = Date.now();
      await runBuild(recipe, tag, progress, opts.buildTimeoutMs ?? 20 * 60_000);
      const id = await imageId(docker, tag);
      if (!id) throw new SandboxUnavailableError(`build-image.sh succeeded but ${tag} is not in Docker`, SETUP_FIX);
      progress(`built ${tag} in ${Math.round((Date.now() - t0) / 1000)} s`);
      return { tag, imageId: id, built: true };
    });
  } finally {
    rmSync(recipe, { recursive: true, force: true });
  }
}

// Standalone entry (scripts/setup.sh): node dist/src/sandbox/ensureImage.js [TAG]
// (The name test keeps the entry inert when this module is bundled into another entry, e.g. the Action.)
const argv1 = process.argv[1];
if (argv1 && /ensureImage\.[cm]?js$/.test(argv1) && import.meta.url === pathToFileURL(argv1).href) {
  ensureImage({ tag: process.argv[2] })
    .then(async (r) => {
      process.stdout.write(`${r.tag} ${r.imageId}${r.built ? " (built)" : " (present)"}\n`);
      // The same check every run starts with: runtimes, trace folder, a first runsc container, Bandit.
      const info = await createDockerSandbox({ imageTag: r.tag }).preflight();
      process.stdout.write(`sandbox ok: docker ${info.dockerVersion}, runsc ${info.runscVersion}, bandit ${info.banditVersion}\n`);
    })
    .catch((err: unknown) => {
      const fix = err instanceof SandboxUnavailableError ? `\nfix: ${err.fix}` : "";
      process.stderr.write(`skillgate image: ${(err as Error).message}${fix}\n`);
      process.exitCode = 1;
    });
}

