// Photos for a report: camera/gallery File → bytes → `add_photo` (core makes the evidence
// JPEG and thumbnail) → hash. Progress comes on the `photo://progress` event.
import { onBeforeUnmount, ref } from 'vue';
import type { UnlistenFn } from '@tauri-apps/api/event';
import { api } from '@/lib/api';
import { toAppError } from '@/lib/errors';
import type { ErrorCode, PhotoProgress } from '@/lib/types';

export interface AddedPhoto {
  hash: string;
  url: string | null;
}

/** Bytes shown through a Blob URL (the `photo` command answers raw bytes). */
export async function photoUrl(hash: string, thumb: boolean): Promise<string | null> {
  const bytes = await api.photo(hash, thumb);
  const blob = new Blob([bytes as ArrayBuffer], { type: 'image/jpeg' });
  return typeof URL.createObjectURL === 'function' ? URL.createObjectURL(blob) : null;
}

async function fileBytes(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}

export function usePhotos() {
  const photos = ref<AddedPhoto[]>([]);
  const busy = ref(0);
  const progress = ref<PhotoProgress | null>(null);
  const errorCode = ref<ErrorCode | null>(null);
  let unlisten: UnlistenFn | null = null;
  let disposed = false;

  void api.onPhotoProgress((p) => {
    progress.value = p;
  }).then((u) => {
    if (disposed) u();
    else unlisten = u;
  });

  onBeforeUnmount(() => {
    disposed = true;
    unlisten?.();
    for (const p of photos.value) if (p.url) URL.revokeObjectURL(p.url);
  });

  /** Processes each file in turn; a refused file leaves the others in place. */
  async function addFiles(files: Iterable<File>): Promise<void> {
    for (const file of files) {
      busy.value++;
      errorCode.value = null;
      progress.value = { stage: 'inspecting', done: 0, total: 1 };
      try {
        const ref_ = await api.addPhoto(await fileBytes(file));
        if (!photos.value.some((p) => p.hash === ref_.hash)) {
          let url: string | null = null;
          try {
            url = await photoUrl(ref_.hash, true);
          } catch {
            url = null;
          }
          photos.value = [...photos.value, { hash: ref_.hash, url }];
        }
      } catch (e) {
        errorCode.value = toAppError(e).code;
      } finally {
        busy.value--;
        if (busy.value === 0) progress.value = null;
      }
    }
  }

  function remove(hash: string) {
    const p = photos.value.find((x) => x.hash === hash);
    if (p?.url) URL.revokeObjectURL(p.url);
    photos.value = photos.value.filter((x) => x.hash !== hash);
  }

  /** 0–100 for the progress bar. */
  function percent(): number {
    const p = progress.value;
    if (!p || p.total <= 0) return 0;
    return Math.max(0, Math.min(100, Math.round((p.done / p.total) * 100)));
  }

  return { photos, busy, progress, errorCode, addFiles, remove, percent };
}
