/**
 * `npm install` runs this (compiled) to build the embedded database's migrated template ahead
 * of the first start, so that `npm start` on a fresh DATA_DIR only copies it.
 */
import { createLogger } from '../../logger.ts';
import { ensureTemplate } from './template.ts';

const directory = await ensureTemplate(createLogger('warn'));
console.log(`embedded database template: ${directory}`);
