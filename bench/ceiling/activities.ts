/** The ceiling's activity: a round trip through the server and the worker, with no work of its own. */
export const ceilingActivities = {
  async noop(step: number): Promise<number> {
    return step;
  },
};

export type CeilingActivities = typeof ceilingActivities;
