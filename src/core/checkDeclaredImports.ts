/**
 * Declared imports against the policy: a forbidden module is never allowed, and a module
 * must be among the policy's allowed ones. Kept apart from the manifest gate on purpose:
 * these findings fail the skill but do not stop the other gates, so the contributor also
 * sees what the code did with the module. Pure.
 */
import type { Finding } from "./finding.js";
import type { Policy } from "./policy.js";
import { parseYamlSafely } from "./safeYaml.js";
import type { SkillManifest } from "./skillManifest.generated.js";

export function checkDeclaredImports(manifest: SkillManifest, manifestText: string, skill: string, repoPath: string, policy: Policy): Finding[] {
  const imports = manifest.permissions?.imports ?? [];
  if (imports.length === 0) return [];
  const file = `${repoPath}/skill.yaml`;
  const parsed = parseYamlSafely(manifestText, file);
  const anyAllowed = policy.imports.allowed.includes("*");
  const findings: Finding[] = [];
  imports.forEach((mod, i) => {
    const at = parsed.locate(`/permissions/imports/${i}`, "value");
    const where = { file, line: at.line, column: at.column };
    if (policy.imports.forbidden.includes(mod)) {
      findings.push({ rule: "manifest.import-forbidden", severity: "critical", gate: "manifest", skill, ...where, message: `permissions.imports: "${mod}" is forbidden by the policy, whatever a manifest declares` });
    } else if (!anyAllowed && !policy.imports.allowed.includes(mod)) {
      findings.push({ rule: "manifest.import-not-allowed", severity: "high", gate: "manifest", skill, ...where, message: `permissions.imports: "${mod}" is not among the modules the policy allows (imports.allowed); ask the maintainers to allow it, or drop it` });
    }
  });
  return findings;
}
