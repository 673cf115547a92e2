/**
 * Preflight's three questions to a local Docker daemon (version, info, the sandbox image),
 * sent by the `skillgate` command before it loads the rest of itself (src/cli/entry.ts):
 * the daemon answers while Node compiles the CLI (about 80 ms), instead of after.
 *
 * Plain node:http over the unix socket, so that asking costs nothing to load. Only for a
 * local socket (DOCKER_HOST unset or unix://); preflight takes the answers only when its own
 * Docker client uses the same socket and image tag, and only once: any later preflight asks
 * the daemon itself. An answer is the parsed JSON body, or an error shaped like
 * docker-modem's (`code` for a socket error, `statusCode` and the daemon's message for an
 * HTTP error), so preflight reports it exactly as it would its own.
 */
import { access } from "node:fs";
import { request } from "node:http";
import { homedir } from "node:os";
import { join } from "node:path";

export interface PrewarmedAnswers {
  socketPath: string;
  imageTag: string;
  version: Promise<unknown>;
  info: Promise<unknown>;
  image: Promise<unknown>;
}

const MAX_BODY = 4 << 20;
let pending: Promise<PrewarmedAnswers | undefined> | undefined;

/** The socket docker-modem would use, or undefined for a remote or non-unix DOCKER_HOST. */
export function localSocketPath(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const host = env.DOCKER_HOST;
  if (host && !host.startsWith("unix://")) return Promise.resolve(undefined);
  const explicit = host?.slice("unix://".length);
  if (explicit) return Promise.resolve(explicit);
  // docker-modem's default: the user's Docker Desktop socket when there is one.
  const user = join(homedir(), ".docker", "run", "docker.sock");
  return new Promise((resolve) => access(user, (err) => resolve(err ? "/var/run/docker.sock" : user)));
}

/** GET a Docker API path over a unix socket; resolves with the parsed JSON body. */
export function dockerGet(socketPath: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: "GET", headers: { Host: "localhost" } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) req.destroy(new Error(`Docker's answer to ${path} is larger than ${MAX_BODY} bytes`));
        else chunks.push(c);
      });
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300 && body !== undefined) return resolve(body);
        const message = (body as { message?: unknown } | undefined)?.message;
        reject(Object.assign(new Error(`(HTTP code ${status}) ${typeof message === "string" ? message : text.slice(0, 300)}`), { statusCode: status }));
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** Ask now; the answers wait for takePrewarmed. Never throws, never leaves a rejection unhandled. */
export function prewarmPreflight(imageTag: string, env: NodeJS.ProcessEnv = process.env): void {
  pending = localSocketPath(env).then(
    (socketPath) => {
      if (!socketPath) return undefined;
      const ask = (path: string): Promise<unknown> => {
        const p = dockerGet(socketPath, path);
        p.catch(() => {}); // handled by whoever takes it
        return p;
      };
      return { socketPath, imageTag, version: ask("/version"), info: ask("/info"), image: ask(`/images/${imageTag}/json`) };
    },
    () => undefined,
  );
}

/** The prewarmed answers, once, when they were asked of this socket about this image. */
export async function takePrewarmed(socketPath: string | undefined, imageTag: string): Promise<PrewarmedAnswers | undefined> {
  const p = pending;
  pending = undefined; // one taker; whatever it finds, later preflights ask the daemon themselves
  const answers = await p;
  if (!answers || !socketPath || answers.socketPath !== socketPath || answers.imageTag !== imageTag) return undefined;
  return answers;
}
