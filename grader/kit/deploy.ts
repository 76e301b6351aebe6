/**
 * The Node version every deployment a teacher makes runs on: the student edition's GitHub workflow,
 * the class-grading workflow and the Gradescope image. One number, the current LTS line (Node 20
 * reached end of life in April 2026). The templates hold it literally, so a teacher can read and
 * copy them as they are; the kit builders refuse a template that says another version, and
 * test/deploy-node.test.ts checks every template against it. To move to the next LTS, change this
 * number and the templates the test names.
 */
export const DEPLOY_NODE_MAJOR = 24;

/** The Node versions a template pins: `node-version: N` (workflows) and `NODE_MAJOR="N"` (setup.sh). */
export function pinnedNodeVersions(template: string): number[] {
  return [...template.matchAll(/^\s*(?:node-version:\s*['"]?|NODE_MAJOR=")(\d+)/gm)].map((m) => Number(m[1]));
}

/** Why a template does not pin DEPLOY_NODE_MAJOR, or undefined when it does. */
export function nodePinProblem(name: string, template: string): string | undefined {
  const pins = pinnedNodeVersions(template);
  if (pins.length === 0) return `${name} pins no Node version (expected ${DEPLOY_NODE_MAJOR})`;
  const other = pins.find((v) => v !== DEPLOY_NODE_MAJOR);
  return other === undefined ? undefined : `${name} pins Node ${other}; deployments run Node ${DEPLOY_NODE_MAJOR} (grader/kit/deploy.ts)`;
}
