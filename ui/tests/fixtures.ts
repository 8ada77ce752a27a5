// Shapes as the Rust side serialises them (invented people).
import type { AppInfo, CheckRow, HouseholdView, Relation, ResidentView } from '@/lib/types';

export const HH = '7b0c1a52-4a55-4c1f-9a39-6f4f0f3b9d01';
export const R1 = '11111111-1111-4111-8111-111111111111';
export const R2 = '22222222-2222-4222-8222-222222222222';
export const R3 = '33333333-3333-4333-8333-333333333333';

function resident(id: string, name: string, relation: Relation): ResidentView {
  return {
    id,
    name,
    id_number: '110105********0021',
    phone: '138****1234',
    birth_date: null,
    relation,
    status: 'registered',
    tags: [],
    notes: '',
    moved_out: false,
  };
}

export function householdView(conflicts: HouseholdView['conflicts'] = []): HouseholdView {
  return {
    household: {
      id: HH,
      grid: '110105001001001',
      address: { kind: 'flat', estate: '阳光小区', building: '3', unit: '2', room: '501' },
      address_line: '阳光小区3栋2单元501室',
      head: R1,
      tags: ['dibao'],
      needs_home_visit: true,
      notes: '',
      last_visit: null,
      residents: [resident(R1, '王建国', 'head'), resident(R2, '李秀英', 'spouse'), resident(R3, '王小明', 'child')],
    },
    conflicts,
  };
}

export function checkRow(resident: string, name: string, tenths: number, fever: boolean): CheckRow {
  return { resident, household: HH, name, slot: 'morning', tenths, fever };
}

export function appInfoFixture(p: Partial<AppInfo> = {}): AppInfo {
  return {
    state: 'demo',
    role: 'member',
    party: 'member',
    mayFile: true,
    mayCount: false,
    mayNotify: false,
    mayCampaign: false,
    userId: 'demo-member',
    grids: ['110105001001001'],
    grid: '110105001001001',
    relayUrl: null,
    today: '2026-11-24',
    prefillRelayUrl: null,
    enrollError: null,
    ...p,
  };
}
