// Target grids picked by name (a notice's, a campaign's): the directory's grids, and before
// the directory has come the user's own by code; a filter by name narrows the chips of a
// centre's many grids (picked ones stay shown). Reloads the directory on sync rounds.
import { computed, onMounted, ref, type Ref } from 'vue';
import { api } from '@/lib/api';
import type { Unit } from '@/lib/types';
import { appInfo } from '@/composables/appInfo';
import { onSyncRound } from '@/composables/sync';

export function useGridPicker(grids: Ref<string[]>) {
  const units = ref<Unit[]>([]);
  async function loadUnits() {
    units.value = await api.directory().catch(() => units.value);
  }
  onMounted(loadUnits);
  onSyncRound(() => void loadUnits());
  const gridChoices = computed(() => {
    const named = units.value.filter((u) => u.kind === 'grid');
    const own = (appInfo.value?.grids ?? []).filter((g) => !named.some((u) => u.code === g));
    return [...named, ...own.map((code) => ({ code, name: code, kind: 'grid' as const }))];
  });
  const gridLabels = computed(() => Object.fromEntries(gridChoices.value.map((u) => [u.code, u.name])));
  const gridFilter = ref('');
  const shownGrids = computed(() => {
    const f = gridFilter.value.trim();
    return gridChoices.value
      .filter((u) => !f || u.name.includes(f) || u.code.includes(f) || grids.value.includes(u.code))
      .map((u) => u.code);
  });
  const pickedNames = computed(() => grids.value.map((g) => gridLabels.value[g] ?? g).join('、'));
  return { units, gridChoices, gridLabels, gridFilter, shownGrids, pickedNames };
}
