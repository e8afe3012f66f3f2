/**
 * Costly test steps skip, with a printed reason, where their tools are missing. CI sets
 * TNC_REQUIRE (for example `deb,system`) so that such a skip fails instead: a pipeline must not
 * pass a step it never ran.
 */
export function skipUnlessRequired(
  step: string,
  why: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (why === undefined) return undefined;
  const required = (env.TNC_REQUIRE ?? '').split(',').map((s) => s.trim());
  if (required.includes(step))
    throw new Error(`TNC_REQUIRE=${env.TNC_REQUIRE} requires the ${step} test, but it cannot run: ${why}`);
  return why;
}
