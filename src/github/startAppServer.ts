/**
 * The App's HTTP server: Probot's webhook middleware (signature checked with the webhook
 * secret: unsigned or badly signed deliveries get 4xx and reach no handler) plus
 * GET /healthz. Listens on the given port (0 picks a free one).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createNodeMiddleware, Probot, type Logger } from "probot";
import { skillgateOctokit, type OctokitTuning } from "./octokitOptions.js";
import { createSkillgateApp, type SkillgateApp, type SkillgateAppOptions } from "./skillgateApp.js";

export interface AppServerOptions extends SkillgateAppOptions {
  appId: number | string;
  privateKey: string;
  webhookSecret: string;
  port?: number;
  host?: string;
  webhookPath?: string;
  /** GitHub API base URL (GitHub Enterprise Server). */
  baseUrl?: string;
  log?: Logger;
  octokit?: OctokitTuning;
}

export interface AppServer {
  url: string;
  webhookUrl: string;
  probot: Probot;
  app: SkillgateApp;
  close(): Promise<void>;
}

export const DEFAULT_WEBHOOK_PATH = "/api/github/webhooks";

export async function startAppServer(opts: AppServerOptions): Promise<AppServer> {
  const probot = new Probot({
    appId: opts.appId,
    privateKey: opts.privateKey,
    secret: opts.webhookSecret,
    Octokit: skillgateOctokit(opts.octokit),
    ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  const app = createSkillgateApp(opts);
  const webhookPath = opts.webhookPath ?? DEFAULT_WEBHOOK_PATH;
  const middleware = await createNodeMiddleware(app.appFn, { probot, webhooksPath: webhookPath });
  const server: Server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, queue: app.queue.size }));
      return;
    }
    void middleware(req, res, () => {
      if (!res.headersSent) res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 3000, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { port, address, family } = server.address() as AddressInfo;
  const host = family === "IPv6" ? `[${address}]` : address;
  const url = `http://${host}:${port}`;
  probot.log.info(`skillgate listening on ${url}${webhookPath}`);
  return {
    url,
    webhookUrl: url + webhookPath,
    probot,
    app,
    close: async () => {
      app.queue.abortAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
