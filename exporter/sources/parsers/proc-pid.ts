/** The kernel keeps a process name (`comm`) of at most 15 bytes; longer executable names are cut. */
export const COMM_MAX_LENGTH = 15;

/** `/proc/<pid>/comm`: the name and a newline. */
export function parseComm(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/**
 * The basename of argv[0] from `/proc/<pid>/cmdline` (NUL-separated arguments). Empty for kernel
 * threads and zombies, whose cmdline is empty.
 */
export function parseArgv0Basename(text: string): string {
  const nul = text.indexOf('\0');
  const argv0 = nul < 0 ? text : text.slice(0, nul);
  return argv0.slice(argv0.lastIndexOf('/') + 1);
}

/**
 * Whether a process is one of `name`: its comm equals the name, or, when the comm is a cut
 * (15 bytes and the start of a longer name), the basename of its argv[0] does. `argv0` is called
 * only then: reading cmdline costs about five times a comm read.
 */
export function processMatches(name: string, comm: string, argv0: () => string): boolean {
  if (comm === name) return true;
  return name.length > COMM_MAX_LENGTH && comm.length === COMM_MAX_LENGTH && name.startsWith(comm) && argv0() === name;
}
