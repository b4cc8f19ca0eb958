// Registers the TypeScript loader for the Pulumi program (see ../Pulumi.yaml):
//   node --import=./loader/register.mjs index.ts
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
