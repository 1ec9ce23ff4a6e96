// Runs the CLI from source (no build needed) in a child process the tests can kill -9.
import { main } from '../../../src/cli.js';

process.exitCode = await main(process.argv.slice(2));
