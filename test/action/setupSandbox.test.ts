import { describe, expect, it } from "vitest";
import { setupCommand } from "../../action/src/setupSandbox.js";

describe("setup-sandbox command", () => {
  it("runs setup.sh directly as root and through non-interactive sudo otherwise", () => {
    expect(setupCommand("/a/scripts/setup.sh", 0)).toEqual(["bash", "/a/scripts/setup.sh"]);
    expect(setupCommand("/a/scripts/setup.sh", 1001)).toEqual(["sudo", "-n", "--preserve-env=PATH", "bash", "/a/scripts/setup.sh"]);
  });
});
