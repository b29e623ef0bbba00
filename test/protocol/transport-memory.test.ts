import { memoryPair } from '../../protocol/transport.ts';
import { transportContract } from './transport-contract.ts';

transportContract(
  'in-memory pair',
  async () => {
    const [a, b] = memoryPair();
    return { a, b };
  },
  { preservesChunks: true },
);
