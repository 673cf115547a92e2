/** Probot's Octokit as skillgate configures it: retry and throttling plugins on, 4xx answers not retried. */
import nock from "nock";
import { afterEach, beforeEach, expect, it } from "vitest";
import { skillgateOctokit } from "../../src/github/octokitOptions.js";
import { OpenApiRecorder } from "../helpers/openapiCheck.js";

let api: OpenApiRecorder;
beforeEach(() => {
  nock.disableNetConnect();
  api = new OpenApiRecorder();
});
afterEach(() => {
  api.dispose();
  nock.cleanAll();
  nock.enableNetConnect();
});

const client = () => {
  const Octokit = skillgateOctokit({ retryBaseMs: 5 });
  const warnings: string[] = [];
  const log = { debug: () => undefined, info: () => undefined, warn: (m: string) => void warnings.push(m), error: () => undefined, child: () => log };
  return { octokit: new Octokit({ auth: { token: "ghs_x" }, log }), warnings };
};

it("retries a 5xx and a primary rate limit, then succeeds", async () => {
  const reset = String(Math.floor(Date.now() / 1000));
  api
    .scope()
    .get("/repos/o/r/pulls/1")
    .reply(502, { message: "Bad Gateway" })
    .get("/repos/o/r/pulls/1")
    .reply(403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset })
    .get("/repos/o/r/pulls/1")
    .reply(200, { number: 1 });
  const { octokit, warnings } = client();
  const res = await octokit.rest.pulls.get({ owner: "o", repo: "r", pull_number: 1 });
  expect(res.data.number).toBe(1);
  expect(api.of("pulls/get")).toHaveLength(3);
  expect(warnings.join("\n")).toMatch(/rate limit on GET \/repos\/\{owner\}\/\{repo\}\/pulls\/\{pull_number\}: retrying/);
  api.assertAllValid();
});

it("does not retry 409 or 405 (a merge refused stays refused)", async () => {
  api.scope().put("/repos/o/r/pulls/1/merge").reply(409, { message: "Head branch was modified" });
  api.scope().put("/repos/o/r/pulls/2/merge").reply(405, { message: "Pull Request is not mergeable" });
  const { octokit } = client();
  await expect(octokit.rest.pulls.merge({ owner: "o", repo: "r", pull_number: 1, sha: "a".repeat(40) })).rejects.toMatchObject({ status: 409 });
  await expect(octokit.rest.pulls.merge({ owner: "o", repo: "r", pull_number: 2, sha: "a".repeat(40) })).rejects.toMatchObject({ status: 405 });
  expect(api.of("pulls/merge")).toHaveLength(2);
  api.assertAllValid();
});
