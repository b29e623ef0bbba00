/** `npm run docs`: writes docs/protocol.md. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderProtocolDoc } from './protocol-doc.ts';

const path = join(import.meta.dirname, '../../docs/protocol.md');
writeFileSync(path, renderProtocolDoc());
console.log(`wrote ${path}`);
