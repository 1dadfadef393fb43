/** The backup code lives in `backup/`; this keeps the old import path working. */
export * from './backup/index.ts';
