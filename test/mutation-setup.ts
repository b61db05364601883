// Setup for mutation runs only (vitest.mutation.config.ts): a property that fails under a mutant
// stops at its first counterexample instead of shrinking it. Shrinking an onnxruntime property
// runs hundreds of sessions, which turned detected mutants into 30 s timeouts; the verdict
// (killed) is the same either way. `npm test` keeps shrinking for readable counterexamples.
import fc from 'fast-check';

fc.configureGlobal({ endOnFailure: true });
