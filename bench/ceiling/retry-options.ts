/** The ceiling's activities schedule exactly as the saga's database steps do: the same options. */
export { DATABASE_STEP_OPTIONS as CEILING_ACTIVITY_OPTIONS } from '../../workflows/activity-options';

export const CEILING_STEPS = 5;
