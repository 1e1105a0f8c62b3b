/** The process entry (bin/kserve-llmd.js from a checkout, the image's ENTRYPOINT compiled): runs `main` once. */
import { main } from './main.js';

// -1: a long-running command (a server) keeps the process alive and exits through io.exit; anything else exits.
const code = await main(process.argv.slice(2));
if (code !== -1) process.exitCode = code;
