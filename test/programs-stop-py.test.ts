/** Programs stopped without cutting a job, the Python job loop (skipped without python3). */
import { after } from 'node:test';
import { killStarted } from './helpers.js';
import { stopCases } from './program-stop-cases.js';

after(killStarted);

stopCases('py');
