// The step a form on the event page stands for: what the member typed or picked, as the
// `Action` core checks and stores. Core judges it (a missing reason, a zero limit, a step
// this role may not take are refusals with codes); this only shapes it.
import type { Action, ActionKind, Assignee, Limit, Rating, Settlement, Supervision } from './types';

/** What the step forms hold; each action reads the fields it needs. */
export interface StepForm {
  note: string;
  amount: string;
  unit: 'days' | 'hours';
  targetKind: 'grid' | 'department' | 'member';
  target: string;
  photos: string[];
  supervision: Supervision;
  rating: Rating | null;
  conflict: string | null;
  decision: Settlement;
}

export function emptyForm(): StepForm {
  return {
    note: '',
    amount: '5',
    unit: 'days',
    targetKind: 'grid',
    target: '',
    photos: [],
    supervision: 'normal',
    rating: null,
    conflict: null,
    decision: 'reapply',
  };
}

/** A whole number ≥ 0 from what was typed (NaN-free: junk is 0, which core refuses). */
function count(text: string): number {
  const n = Number.parseInt(text.trim(), 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

function limitOf(f: StepForm): Limit {
  const n = count(f.amount);
  return f.unit === 'hours' ? { working_hours: n } : { working_days: n };
}

function assigneeOf(f: StepForm): Assignee {
  const id = f.target.trim();
  return { kind: f.targetKind, id } as Assignee;
}

/**
 * The action of `kind` from `f`; `null` for 上报 (filed from the report form) or when a
 * choice the action cannot do without (a rating, a conflict) is still unmade.
 */
export function buildAction(kind: ActionKind, f: StepForm): Action | null {
  const note = f.note.trim();
  switch (kind) {
    case 'file':
      return null;
    case 'accept':
      return { kind, limit: limitOf(f) };
    case 'escalate':
      return { kind, note };
    case 'dispatch':
      return { kind, to: assigneeOf(f), limit: limitOf(f), note };
    case 'hand_over':
      return { kind, member: f.target.trim(), note };
    case 'progress':
    case 'finish':
      return { kind, note, photos: [...f.photos] };
    case 'request_delay':
      return { kind, days: count(f.amount), reason: note };
    case 'approve_delay':
      return { kind };
    case 'reject_delay':
    case 'reject_check':
    case 'send_back':
      return { kind, reason: note };
    case 'verify':
      return { kind, note };
    case 'supervise':
      return { kind, level: f.supervision, note };
    case 'rate':
      return f.rating ? { kind, rating: f.rating, note } : null;
    case 'settle':
      return f.conflict ? { kind, conflict: f.conflict, decision: f.decision } : null;
  }
}
