/**
 * Declared imports against the policy: a forbidden module is never allowed, and a module
 * must be among the policy's allowed ones. These findings fail the skill but, unlike the
 * rest of the manifest gate, do not stop the other gates, so the contributor also sees
 * what the code did with the module. Pure.
 */
import type { Finding } from "./finding.js";
import type { Policy } from "./policy.js";
import type { SkillManifest } from "./skillManifest.generated.js";
import type { Position } from "./yamlLocate.js";

export function checkDeclaredImports(
  manifest: SkillManifest,
  locate: (pointer: string) => Position,
  file: string,
  skill: string,
  policy: Policy,
): Finding[] {
  const anyAllowed = policy.imports.allowed.includes("*");
  const findings: Finding[] = [];
  (manifest.permissions?.imports ?? []).forEach((mod, i) => {
    const at = locate(`/permissions/imports/${i}`);
    const where = { file, line: at.line, column: at.column };
    if (policy.imports.forbidden.includes(mod)) {
      findings.push({ rule: "manifest.import-forbidden", severity: "critical", gate: "manifest", skill, ...where, message: `permissions.imports: "${mod}" is forbidden by the policy, whatever a manifest declares` });
    } else if (!anyAllowed && !policy.imports.allowed.includes(mod)) {
      findings.push({ rule: "manifest.import-not-allowed", severity: "high", gate: "manifest", skill, ...where, message: `permissions.imports: "${mod}" is not among the modules the policy allows (imports.allowed); ask the maintainers to allow it, or drop it` });
    }
  });
  return findings;
}
