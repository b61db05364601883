/**
 * Lets the event loop run (a macrotask turn): a worker's long loop of awaited-but-synchronous
 * onnxruntime calls otherwise never handles an incoming cancel message until the loop ends.
 */
export const nextMacrotask = (): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, 0));
