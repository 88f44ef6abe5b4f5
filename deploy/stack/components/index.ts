import type { Component } from '../component';
import { postgresComponent } from './postgres';
import { redisComponent } from './redis';
import { temporalComponent } from './temporal';

/** Every component of the local stack, dependencies before dependents. */
export const STACK_COMPONENTS: readonly Component[] = [postgresComponent, redisComponent, temporalComponent];
