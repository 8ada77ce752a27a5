import type { Router } from 'vue-router';

/** Returns to the page the member came from (a form's parent), else goes to `path`. */
export async function backOr(router: Router, path: string): Promise<void> {
  const state = router.options.history.state as { back?: unknown } | undefined;
  if (state && typeof state.back === 'string' && state.back) router.back();
  else await router.replace(path);
}
