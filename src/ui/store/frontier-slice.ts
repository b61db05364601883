/**
 * The joint search's slice: a thin binding over the session's search (src/app/frontier.ts).
 */
import type { FrontierPoint } from '../../core/design/frontier.ts';
import { idleFrontier, type FrontierSearch } from '../../app/frontier.ts';
import type { AppState, FrontierSliceActions, FrontierState } from './types.ts';

export { idleFrontier } from '../../app/frontier.ts';
export type { FrontierState } from '../../app/state.ts';
export type { FrontierSliceActions } from './types.ts';

export function createFrontierSlice(search: FrontierSearch<AppState>): { frontier: FrontierState } & FrontierSliceActions {
  return {
    frontier: idleFrontier(),
    runFrontier: (targets, options) => search.run(targets, options),
    cancelFrontier: () => search.cancel(),
    applyFrontierPoint: (index) => search.apply(index),
  };
}

const NO_POINTS: FrontierPoint[] = [];

/** For views (a stable selector: the same array while nothing changed): the frontier points of the open model. */
export function frontierOfModel(state: Pick<AppState, 'frontier' | 'model'>): FrontierPoint[] {
  return state.frontier.modelSha256 && state.frontier.modelSha256 === state.model?.sha256 ? state.frontier.points : NO_POINTS;
}
