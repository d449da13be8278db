/** Whether a process with this pid exists (EPERM: it does, another user's), for locks and scratch left by a killed run. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
