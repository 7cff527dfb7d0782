/**
 * Runs one assertion; when it fails, what was checked comes before Jest's message. A test with several counts
 * otherwise fails with a bare "Expected: 2, Received: 3" that names none of them.
 */
export function check(what: string, assertion: () => void): void {
  try {
    assertion();
  } catch (err) {
    if (err instanceof Error) err.message = `${what}\n\n${err.message}`;
    throw err;
  }
}
