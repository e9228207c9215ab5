#!/usr/bin/env node
// Launcher: runs the command and sets the exit code, letting output finish flushing.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
