#!/usr/bin/env node
// The `warmline` command: runs the TypeScript CLI through tsx's loader (no build step to forget).
import { register } from 'tsx/esm/api';

register();
await import('../server/cli.ts');
