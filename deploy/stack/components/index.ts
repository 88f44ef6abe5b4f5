import type { Component } from '../component';
import { postgresComponent } from './postgres';
import { redisComponent } from './redis';

/** Every component of the local stack, dependencies before dependents. */
export const STACK_COMPONENTS: readonly Component[] = [postgresComponent, redisComponent];
