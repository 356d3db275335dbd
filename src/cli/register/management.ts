import type { Command } from 'commander';
import type { Lazy } from '../main.js';

export function registerManagement(_program: Command, _lazy: Lazy): void {}
