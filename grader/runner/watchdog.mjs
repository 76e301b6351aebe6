// Loaded into every server the grader starts (node --import). The grader holds the other end of our
// stdin pipe; if the grader dies without cleaning up (even SIGKILL), the pipe closes and we exit, so
// no learner server outlives its grader. unref() keeps this from holding an idle process open.
const bye = () => process.kill(process.pid, 'SIGKILL');
process.stdin.on('end', bye);
process.stdin.on('error', bye);
process.stdin.resume();
process.stdin.unref?.();
