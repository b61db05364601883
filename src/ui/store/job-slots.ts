/** The store's job slots are the session's (src/app/jobs.ts). */
export { JobSlots, errorMessage, type Job } from '../../app/jobs.ts';
